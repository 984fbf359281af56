"""The enrolment QR code, drawn on the server as inline SVG (no script, no external image)."""

from __future__ import annotations

import segno
from markupsafe import Markup

LABEL = "QR code for your authenticator app"


def qr_svg(uri: str) -> Markup:
    """An ``<svg role="img">`` of ``uri`` with a white quiet zone (readable in dark mode too)."""
    svg = segno.make(uri, error="m").svg_inline(scale=5, border=4, dark="#000", light="#fff",
                                                 svgclass="qr-code", lineclass=None, omitsize=False)
    return Markup(svg.replace("<svg ", f'<svg role="img" aria-label="{LABEL}" focusable="false" ', 1))
