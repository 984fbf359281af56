"""Pages of the matching feature."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("matching", __name__)
