"""A Redis server of the test's own, on a free port, that the test may stop and restart.

Never the shared 6379 one: other test runs use it. Without ``redis-server`` the test is
skipped locally, and fails when ``TANDEM_REQUIRE_REDIS=1``.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from typing import Any

from tests.conftest import unavailable
from tests.smtp import free_port


class RedisServer:
    def __init__(self, tmp_dir: Any, password: str | None = None) -> None:
        self.binary = shutil.which("redis-server")
        self.port = free_port()
        self.dir = tmp_dir
        self.password = password
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        auth = f":{self.password}@" if self.password else ""
        return f"redis://{auth}127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        if self.binary is None:
            unavailable("redis-server", "TANDEM_REQUIRE_REDIS")
        self.process = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.dir), *(["--requirepass", self.password] if self.password else [])],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self._wait(up=True)
        return self

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(15)
            self.process = None
        self._wait(up=False)

    def _wait(self, up: bool) -> None:
        import redis

        from coaching.config import redis_fail_fast_options

        client = redis.Redis.from_url(self.url, **redis_fail_fast_options(0.2, 0.5))
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                client.ping()
                if up:
                    return
            except redis.RedisError:
                if not up:
                    return
            time.sleep(0.05)
        raise RuntimeError(f"redis on port {self.port} did not come {'up' if up else 'down'}")
