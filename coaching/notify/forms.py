"""Notify forms: buttons that only need CSRF protection."""

from __future__ import annotations

from flask_wtf import FlaskForm


class RetryEmailForm(FlaskForm):
    """Send a failed email again."""
