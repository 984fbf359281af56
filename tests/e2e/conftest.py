"""Browser tests: the app served on loopback, driven by Debian's Chromium through Playwright."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
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
    from playwright.sync_api import sync_playwright

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


@pytest.fixture
def live_server(app: Any, server_port: int) -> Iterator[str]:
    """Serve ``app`` on loopback in a thread; yields its base URL."""
    server = make_server("127.0.0.1", server_port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server_port}"
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture
def new_page(browser: Any) -> Iterator[Any]:
    """Open pages in separate browser contexts (separate cookies), e.g. one per partner."""
    contexts = []

    def _new_page(timezone_id: str = "America/New_York") -> Any:
        context = browser.new_context(timezone_id=timezone_id, locale="en-US")
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield _new_page
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page: Any) -> Any:
    return new_page()
