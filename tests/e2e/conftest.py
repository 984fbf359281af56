"""Browser tests: the app served on loopback, driven by Debian's Chromium through Playwright."""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import make_server

from tests.conftest import unavailable
from tests.smtp import free_port

CHROMIUM = os.environ.get("TANDEM_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]

pytestmark = pytest.mark.browser


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        unavailable("Chromium (/usr/bin/chromium)", "TANDEM_REQUIRE_BROWSER")
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=10_000)  # as patient as the pages' actions (new_page), on a busy machine
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def server_port() -> int:
    return free_port()


@pytest.fixture
def config_overrides(server_port: int, smtp_server: Any) -> dict[str, Any]:
    return {"TANDEM_BASE_URL": f"http://127.0.0.1:{server_port}", "SMTP_URL": smtp_server.url}


PAGE_HEADER = "X-Tandem-Test-Page"
BLOCKING_IMPACTS = ("critical", "serious")
_CSRF_VALUE = re.compile(r'(name="csrf_token"[^>]*value=")[^"]*"')


class PageRecorder:
    """WSGI middleware keeping every HTML document the test's browser pages loaded, as served.

    Each page opened by ``new_page`` sends ``X-Tandem-Test-Page: <n>`` with its requests; a main-frame
    navigation (``Sec-Fetch-Dest: document``) answered with HTML is kept as (page, url, html). The
    pages are checked with axe after the test, in a browser context of their own, so the check can
    never interleave with what the test itself does in its pages.
    """

    def __init__(self, app: Any) -> None:
        self.app = app
        self.documents: list[tuple[int, str, str]] = []
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        page = environ.get("HTTP_" + PAGE_HEADER.upper().replace("-", "_"))
        if page is None or environ.get("HTTP_SEC_FETCH_DEST") != "document":
            return self.app(environ, start_response)
        seen: dict[str, str] = {}

        def _start(status: str, headers: list[tuple[str, str]], *args: Any) -> Any:
            seen["type"] = dict((k.lower(), v) for k, v in headers).get("content-type", "")
            return start_response(status, headers, *args)

        body = self.app(environ, _start)
        chunks = list(body)
        if hasattr(body, "close"):
            body.close()
        if seen.get("type", "").startswith("text/html"):
            url = environ.get("PATH_INFO", "/")
            if environ.get("QUERY_STRING"):
                url += "?" + environ["QUERY_STRING"]
            with self._lock:
                self.documents.append((int(page), url, b"".join(chunks).decode("utf-8", "replace")))
        return chunks


def _serve(html: str) -> Callable[..., None]:
    def handler(route: Any, request: Any) -> None:
        route.fulfill(status=200, body=html, content_type="text/html; charset=utf-8")
    return handler


def axe_violations(browser: Any, base_url: str, documents: list[tuple[int, str, str]],
                   viewports: dict[int, Any]) -> list[str]:
    """Run axe-core on each distinct recorded document; describe every critical or serious finding."""
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    found: list[str] = []
    checked: set[tuple[Any, str]] = set()
    context = browser.new_context(locale="en-US")
    context.set_default_timeout(10_000)
    try:
        page = context.new_page()
        for page_no, path, html in documents:
            viewport = viewports.get(page_no)
            key = (tuple(sorted(viewport.items())) if viewport else None, _CSRF_VALUE.sub(r'\1"', html))
            if key in checked:
                continue
            checked.add(key)
            url = base_url + path
            if viewport:
                page.set_viewport_size(viewport)
            page.route(lambda u, url=url: u == url, _serve(html))
            page.goto(url, wait_until="load")
            page.unroute_all()
            results = axe.run(page)
            for violation in results.response["violations"]:
                if violation["impact"] in BLOCKING_IMPACTS:
                    targets = [" ".join(map(str, node["target"])) for node in violation["nodes"]][:5]
                    found.append(f"{path} ({viewport['width'] if viewport else 'default'} px): "
                                 f"{violation['impact']} {violation['id']}: {violation['help']} -> {targets}")
    finally:
        context.close()
    return found


@pytest.fixture
def page_recorder(app: Any) -> PageRecorder:
    return PageRecorder(app)


@pytest.fixture
def live_server(page_recorder: PageRecorder, server_port: int) -> Iterator[str]:
    """Serve the app on loopback in a thread; yields its base URL."""
    server = make_server("127.0.0.1", server_port, page_recorder, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server_port}"
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture
def new_page(browser: Any, live_server: str, page_recorder: PageRecorder) -> Iterator[Any]:
    """Open pages in separate browser contexts (separate cookies), e.g. one per partner, optionally
    with a viewport of their own (``new_page(viewport=PHONE)``).

    Every page they load is checked with axe-core once the test is done: any critical or serious
    violation fails the test (see ``PageRecorder``).
    """
    contexts = []
    pages: list[Any] = []

    def _new_page(timezone_id: str = "America/New_York", viewport: dict[str, int] | None = None) -> Any:
        context = browser.new_context(timezone_id=timezone_id, locale="en-US", viewport=viewport,
                                      extra_http_headers={PAGE_HEADER: str(len(pages))})
        context.set_default_timeout(10_000)
        contexts.append(context)
        pages.append(context.new_page())
        return pages[-1]

    yield _new_page
    viewports = {number: page.viewport_size for number, page in enumerate(pages)}
    for context in contexts:
        context.close()
    found = axe_violations(browser, live_server, page_recorder.documents, viewports)
    assert page_recorder.documents or not pages, "the browser loaded no page from the app"
    if found:
        pytest.fail("axe-core found critical or serious violations:\n" + "\n".join(found), pytrace=False)


@pytest.fixture
def page(new_page: Any) -> Any:
    return new_page()


@pytest.fixture
def couple_with_history(app: Any, frozen_clock: Any) -> Any:
    """The erasure tests' couple (``tests.erasure_data``: A and B, months of history with Ana,
    bookings from eight days ahead), made in the app's database; returns its ``World``."""
    from datetime import timedelta

    from coaching import db
    from tests.erasure_data import build_world

    with app.app_context():
        world = build_world(future_from=frozen_clock() + timedelta(days=8))
        db.session.remove()
    return world
