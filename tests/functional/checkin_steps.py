"""Driving check-ins over HTTP in tests."""

from __future__ import annotations

import re
from typing import Any

from tests.checkin_data import NEGATIVE, csi
from tests.conftest import csrf_token


def token_of(html: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


def open_questions(client: Any, checkin_id: int) -> Any:
    """Pass the "can you answer privately" gate; returns the questions page."""
    gate = client.post(f"/checkins/{checkin_id}", data={"csrf_token": csrf_token(client, f"/checkins/{checkin_id}"),
                                                        "private": "yes"})
    assert gate.status_code == 200, gate.get_data(as_text=True)[:2000]
    return gate


def answer(client: Any, checkin_id: int, items: tuple[int, ...] = (3, 3, 3, 3),
           screen: dict[str, str] | None = None, **extra: str) -> Any:
    page = open_questions(client, checkin_id)
    data = {"csrf_token": token_of(page.get_data(as_text=True)), "version": "1", **csi(*items),
            **(screen or NEGATIVE), **extra}
    return client.post(f"/checkins/{checkin_id}/answers", data=data)


def send(client: Any, couple_id: int) -> Any:
    path = f"/coach/couples/{couple_id}/checkins"
    return client.post(path, data={"csrf_token": csrf_token(client, path)})
