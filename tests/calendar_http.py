"""A loopback HTTP server for calendar subscription tests: serves set paths, redirects, slow answers."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class CalendarHTTP:
    """``routes``: path -> (status, headers, body); ``hits`` counts requests per path."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.routes: dict[str, tuple[int, dict[str, str], bytes]] = {}
        self.hits: dict[str, int] = {}
        self.delay = 0.0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                path = self.path
                outer.hits[path] = outer.hits.get(path, 0) + 1
                status, headers, body = outer.routes.get(path, (404, {}, b"not here"))
                if outer.delay:
                    time.sleep(outer.delay)
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer((host, 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.host = host
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        return f"http://{self.host}:{self.port}{path}"

    def ics(self, path: str, body: str | bytes) -> str:
        self.routes[path] = (200, {"Content-Type": "text/calendar"},
                             body.encode() if isinstance(body, str) else body)
        return self.url(path)

    def redirect(self, path: str, location: str) -> str:
        self.routes[path] = (302, {"Location": location}, b"")
        return self.url(path)

    def __enter__(self) -> CalendarHTTP:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()
