"""A revenue-by-month bar chart as SVG markup, drawn on the server (no JavaScript needed)."""

from __future__ import annotations

from html import escape

from coaching.payments.pricing import format_amount

__pure__ = True

# Drawn at a phone's width: on a 390 px screen one SVG unit is about one CSS pixel, so the 12-unit axis
# labels stay readable (the CSS caps the chart's width on larger screens).
WIDTH, HEIGHT, PAD, LABEL, FONT = 360, 200, 8, 30, 12
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _axis_label(label: str, first: bool) -> tuple[str, str]:
    """``YYYY-MM`` as a short month name, and the year (``’26``) under the first bar and each January."""
    year, _, month = label.partition("-")
    if not (year.isdigit() and month.isdigit() and 1 <= int(month) <= 12):
        return label, ""
    return MONTHS[int(month) - 1], ("\u2019" + year[-2:] if first or month == "01" else "")


def revenue_svg(months: list[tuple[str, int]], currency: str = "usd") -> str:
    """An accessible SVG bar chart of ``(label, cents)`` per month; empty months draw no bar."""
    top = max((cents for _, cents in months), default=0) or 1
    slot = (WIDTH - 2 * PAD) / max(len(months), 1)
    base = HEIGHT - PAD - LABEL
    bars = []
    for i, (label, cents) in enumerate(months):
        height = round((base - PAD) * max(cents, 0) / top)
        x = round(PAD + i * slot + slot * 0.15)
        amount = format_amount(cents, currency)
        month, year = _axis_label(label, i == 0)
        middle = round(PAD + i * slot + slot / 2)
        year_text = (f'<text x="{middle}" y="{base + 2 * FONT + 4}" text-anchor="middle" '
                     f'font-size="{FONT}">{escape(year)}</text>') if year else ""
        bars.append(
            f'<g><title>{escape(label)}: {escape(amount)}</title>'
            f'<rect class="bar" fill="#3d5a80" x="{x}" y="{base - height}" width="{round(slot * 0.7)}" '
            f'height="{height}"></rect>'
            f'<text x="{middle}" y="{base + FONT + 2}" text-anchor="middle" font-size="{FONT}">{escape(month)}</text>'
            f'{year_text}</g>'
        )
    total = sum(c for _, c in months)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="Net revenue by month, total {escape(format_amount(total, currency))}" '
        f'class="revenue-chart">'
        f'<line x1="{PAD}" y1="{base}" x2="{WIDTH - PAD}" y2="{base}" '
        f'stroke="currentColor"></line>{"".join(bars)}</svg>'
    )


def month_labels(last_year: int, last_month: int, count: int = 12) -> list[str]:
    """``count`` month keys ``YYYY-MM`` ending with the given month, oldest first."""
    labels = []
    year, month = last_year, last_month
    for _ in range(count):
        labels.append(f"{year:04d}-{month:02d}")
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return labels[::-1]
