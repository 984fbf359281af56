"""The axe-core check that every browser test gets (conftest): pages are recorded as served, and a
critical or serious violation is reported with the page it was on."""

from __future__ import annotations

from tests.e2e.conftest import axe_violations

BROKEN = """<!doctype html><html lang="en"><head><title>Broken</title></head><body><main>
<h1>Broken</h1><img src="/static/none.png"><form><input type="text" name="who"></form>
<p style="color:#ccc;background:#fff">Faint words</p></main></body></html>"""


def test_every_page_a_browser_test_loads_is_recorded_as_it_was_served(live_server, page, page_recorder):
    page.goto(live_server + "/")
    page.get_by_role("link", name="Our coaches").first.click()
    page.wait_for_url(live_server + "/coaches")
    paths = [path for _, path, _ in page_recorder.documents]
    assert paths == ["/", "/coaches"]
    assert "<h1" in page_recorder.documents[1][2]


def test_a_page_with_critical_or_serious_violations_is_reported_with_its_path(browser, live_server):
    found = axe_violations(browser, live_server, [(0, "/somewhere?x=1", BROKEN)], {0: {"width": 390, "height": 844}})
    rules = {line.split(": ")[1].split()[1] for line in found}
    assert {"image-alt", "label", "color-contrast"} <= rules, found
    assert all(line.startswith("/somewhere?x=1 (390 px): ") for line in found)
