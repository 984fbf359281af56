"""Registration preselects the browser's time zone from a canonical list grouped by region."""

from __future__ import annotations


def test_registration_preselects_the_browsers_zone_and_lists_only_current_zones_by_region(live_server, new_page):
    page = new_page("America/Chicago")
    page.goto(live_server + "/account/register")
    select = page.get_by_label("Your time zone")
    assert select.input_value() == "America/Chicago"
    groups = select.locator("optgroup").evaluate_all("gs => gs.map(g => g.label)")
    assert groups[:3] == ["Africa", "America", "Antarctica"] and "Europe" in groups
    assert select.locator("option[value='Africa/Timbuktu']").count() == 0
    assert select.locator("option[value='US/Eastern']").count() == 0


def test_without_javascript_registration_keeps_its_default_zone(live_server, browser):
    context = browser.new_context(timezone_id="Asia/Tokyo", java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(live_server + "/account/register")
        assert page.get_by_label("Your time zone").input_value() == "America/New_York"
    finally:
        context.close()
