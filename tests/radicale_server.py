"""A real Radicale CalDAV server for tests: ``python -m radicale`` on a free loopback port.

htpasswd authentication (plain entries: the file lives in the test's temporary folder) and
a temporary storage folder. Radicale is a pip package of the test extra, so it is always
there: these tests never skip.
"""

from __future__ import annotations

import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from tests.smtp import free_port

USER = "ana"
PASSWORD = "app-password-" + "x" * 12


@dataclass
class Radicale:
    folder: Path
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def start(self) -> Radicale:
        (self.folder / "storage").mkdir(parents=True, exist_ok=True)
        users = self.folder / "users"
        users.write_text(f"{USER}:{PASSWORD}\n")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "radicale", "--server-hosts", f"127.0.0.1:{self.port}",
             "--auth-type", "htpasswd", "--auth-htpasswd-filename", str(users),
             "--auth-htpasswd-encryption", "plain", "--rights-type", "owner_only",
             "--storage-filesystem-folder", str(self.folder / "storage"), "--logging-level", "warning"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("radicale exited: " + (self.proc.stderr.read() or b"").decode()[-2000:])
            try:
                requests.get(self.url, timeout=1)
                return self
            except Exception:  # noqa: BLE001 - not listening yet
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("radicale did not start within 20 s")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def client(self) -> Any:
        """A caldav client as the coach's other calendar app (not Tandem)."""
        import caldav

        from requests.auth import HTTPBasicAuth

        return caldav.DAVClient(url=self.url, auth=HTTPBasicAuth(USER, PASSWORD), timeout=10)

    def new_calendar(self) -> str:
        """A new empty calendar of the user; its URL."""
        principal = self.client().principal()
        calendar = principal.make_calendar(name="Work", cal_id=uuid.uuid4().hex)
        return str(calendar.url)

    def events(self, calendar_url: str) -> list[Any]:
        """The icalendar VEVENTs stored in the calendar."""
        import icalendar

        calendar = self.client().calendar(url=calendar_url)
        found = []
        for obj in calendar.events():
            for component in icalendar.Calendar.from_ical(obj.data).walk("VEVENT"):
                found.append(component)
        return found

    def add_event(self, calendar_url: str, uid: str, start: Any, end: Any, summary: str = "Dentist") -> None:
        import caldav
        import icalendar

        event = icalendar.Event()
        event.add("uid", uid)
        event.add("dtstamp", start)
        event.add("dtstart", start)
        event.add("dtend", end)
        event.add("summary", summary)
        ics = icalendar.Calendar()
        ics.add("prodid", "-//elsewhere//EN")
        ics.add("version", "2.0")
        ics.add_component(event)
        calendar = self.client().calendar(url=calendar_url)
        caldav.Event(client=calendar.client, data=ics.to_ical().decode(), parent=calendar).save()


import pytest  # noqa: E402


@pytest.fixture(scope="session")
def radicale(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """One Radicale for the test session (import this fixture into a test module to use it)."""
    server = Radicale(tmp_path_factory.mktemp("radicale")).start()
    yield server
    server.stop()
