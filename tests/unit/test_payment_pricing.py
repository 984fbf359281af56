"""Package prices, validity and receipt numbers: integer minor units only."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from coaching.payments.chart import month_labels, revenue_svg
from coaching.payments.pricing import package_price, receipt_number, valid_until


@pytest.mark.parametrize(("unit", "sessions", "discount", "expected"), [
    (15000, 4, 10, 54000),
    (15000, 4, 0, 60000),
    (15000, 1, 100, 0),
    (999, 3, 10, 2697),      # 2697.3 -> 2697
    (1005, 1, 50, 503),      # 502.5 rounds half up
])
def test_package_price_applies_the_discount_in_whole_cents(unit, sessions, discount, expected):
    price = package_price(unit, sessions, discount)
    assert price == expected and isinstance(price, int)


@pytest.mark.parametrize(("unit", "sessions", "discount"), [(-1, 4, 10), (100, 0, 10), (100, 4, 101)])
def test_package_price_refuses_invalid_terms(unit, sessions, discount):
    with pytest.raises(ValueError):
        package_price(unit, sessions, discount)


@pytest.mark.parametrize(("start", "months", "expected"), [
    (datetime(2026, 1, 15, tzinfo=UTC), 6, datetime(2026, 7, 15, tzinfo=UTC)),
    (datetime(2026, 8, 31, tzinfo=UTC), 6, datetime(2027, 2, 28, tzinfo=UTC)),
    (datetime(2026, 12, 1, tzinfo=UTC), 1, datetime(2027, 1, 1, tzinfo=UTC)),
])
def test_package_is_valid_for_calendar_months(start, months, expected):
    assert valid_until(start, months) == expected


def test_receipt_numbers_differ_per_payment():
    assert receipt_number(2026, 7) == "TR-2026-000007"
    assert receipt_number(2026, 7) != receipt_number(2026, 8)


def test_month_labels_end_with_the_given_month_across_a_year():
    assert month_labels(2026, 2, 3) == ["2025-12", "2026-01", "2026-02"]


def test_revenue_chart_is_an_svg_with_a_bar_per_month_and_no_script():
    svg = revenue_svg([("2026-01", 1000), ("2026-02", 0), ("2026-03", 2500)])
    assert svg.startswith("<svg") and svg.count("<rect") == 3 and "<script" not in svg
    assert 'height="0"' in svg and "2026-03: $25.00" in svg


def test_revenue_chart_labels_months_by_short_name_with_the_year_under_the_first_bar_and_january():
    svg = revenue_svg([("2025-12", 1000), ("2026-01", 0), ("2026-02", 2500)])
    labels = re.findall(r"<text[^>]*>([^<]*)</text>", svg)
    assert labels == ["Dec", "\u201925", "Jan", "\u201926", "Feb"]
    assert 'viewBox="0 0 360 200"' in svg and 'font-size="12"' in svg
