"""A revenue-by-month bar chart as SVG markup, drawn on the server (no JavaScript needed)."""

from __future__ import annotations

from html import escape

from coaching.payments.pricing import format_amount

__pure__ = True

WIDTH, HEIGHT, PAD, LABEL = 640, 240, 28, 20


def revenue_svg(months: list[tuple[str, int]], currency: str = "usd") -> str:
    """An accessible SVG bar chart of ``(label, cents)`` per month; empty months draw no bar."""
    top = max((cents for _, cents in months), default=0) or 1
    slot = (WIDTH - 2 * PAD) / max(len(months), 1)
    bars = []
    for i, (label, cents) in enumerate(months):
        height = round((HEIGHT - 2 * PAD - LABEL) * max(cents, 0) / top)
        x = round(PAD + i * slot + slot * 0.15)
        y = HEIGHT - PAD - LABEL - height
        amount = format_amount(cents, currency)
        bars.append(
            f'<g><title>{escape(label)}: {escape(amount)}</title>'
            f'<rect class="bar" fill="#3d5a80" x="{x}" y="{y}" width="{round(slot * 0.7)}" height="{height}"></rect>'
            f'<text x="{round(PAD + i * slot + slot / 2)}" y="{HEIGHT - PAD}" text-anchor="middle" '
            f'font-size="11">{escape(label)}</text></g>'
        )
    total = sum(c for _, c in months)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="Net revenue by month, total {escape(format_amount(total, currency))}" '
        f'class="revenue-chart">'
        f'<line x1="{PAD}" y1="{HEIGHT - PAD - LABEL}" x2="{WIDTH - PAD}" y2="{HEIGHT - PAD - LABEL}" '
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
