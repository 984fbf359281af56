"""In the browser at phone width: a partner changes their time zone, asks for a copy of their
data, follows the emailed link and downloads the ZIP once; the pages and the ZIP's own readable
page fit 390 px and pass axe-core (the app's pages through the conftest hook, the ZIP's page here)."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import expect

from tests.e2e.pages import PHONE, emailed_link, log_in, scroll_width
from tests.export_data import SAM, build_world, markers, unzip


def test_a_partner_downloads_their_data_once_on_a_phone(app, live_server, new_page, smtp_server, frozen_clock,
                                                       tmp_path: Path):
    with app.app_context():
        build_world()
    page = new_page(viewport=PHONE)
    log_in(page, live_server, SAM)
    page.goto(live_server + "/account/settings")
    page.get_by_role("link", name="Your profile: name, time zone, email address").click()
    page.get_by_label("Your time zone").select_option("Europe/Lisbon")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Your profile is saved.")).to_be_visible()
    assert scroll_width(page) <= PHONE["width"]

    page.goto(live_server + "/account/data")
    page.get_by_role("button", name="Prepare my data").click()
    expect(page.get_by_text("will email you a download link", exact=False)).to_be_visible()
    wide = page.evaluate("() => [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > 390).map(e => e.tagName + '.' + e.className + ':' + e.textContent.slice(0, 60) + ':' + e.getBoundingClientRect().right).slice(0, 8)")
    assert scroll_width(page) <= PHONE["width"], wide
    [ready] = [m for m in smtp_server.inbox.wait_for(SAM) if "ready to download" in m["Subject"]]
    link = emailed_link(ready, "/account/data/download")

    page.goto(link)
    with page.expect_download() as info:
        page.get_by_role("button", name="Download the ZIP file").click()
    saved = tmp_path / "export.zip"
    info.value.save_as(saved)
    files = unzip(saved.read_bytes())
    everything = "\n".join(files.values())
    assert [m for m in markers("A") if m.lower() not in everything.lower()] == [] and "BMARK" not in everything
    assert page.goto(link).status == 404  # once
    assert page.goto(live_server + "/account/data").status == 200
    expect(page.get_by_text("downloaded", exact=False).first).to_be_visible()

    # The readable page inside the ZIP: legible on a phone, and accessible.
    from axe_playwright_python.sync_playwright import Axe

    readable = new_page(viewport=PHONE)
    readable.set_content(files["tandem-export/index.html"])
    assert scroll_width(readable) <= PHONE["width"]
    serious = [v["id"] for v in Axe().run(readable).response["violations"] if v["impact"] in ("critical", "serious")]
    assert serious == []
