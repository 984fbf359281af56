"""Driving the intake over HTTP in tests: one small function per step of the flow."""

from __future__ import annotations

import re
from typing import Any

from tests.conftest import PASSWORD, csrf_token, login
from tests.mail import sent_emails

# Distinctive words, so a test can search every page and email for them.
A_PRIVATE = "PRIVATE-A-lighthouse"
B_PRIVATE = "PRIVATE-B-marmalade"
NEGATIVE = {"fear": "never", "physical_harm": "no", "threats": "no", "monitoring": "no", "money": "no",
            "isolation": "no", "forced_sex": "no", "self_harm": "no"}
POSITIVE = {**NEGATIVE, "fear": "often", "physical_harm": "yes"}


def post(client: Any, path: str, data: dict[str, Any], page: str | None = None) -> Any:
    data = {"csrf_token": csrf_token(client, page or path), "version": "1", **data}
    return client.post(path, data=data)


def logged_in(app: Any, user: Any) -> Any:
    client = app.test_client()
    assert login(client, user.email, PASSWORD).status_code == 302
    return client


def start(client: Any) -> None:
    assert post(client, "/intake/start", {}, page="/home").status_code == 302
    assert client.post("/intake/consent", data={"csrf_token": csrf_token(client, "/intake/consent"), "terms": "y",
                                                "sharing": "y", "sensitive_data": "y"}).status_code == 302


def consent(client: Any) -> None:
    response = client.post("/intake/consent", data={"csrf_token": csrf_token(client, "/intake/consent"),
                                                    "terms": "y", "sharing": "y", "sensitive_data": "y"})
    assert response.status_code == 302


def shared(client: Any, infidelity: bool = True, goals: str = "Talk without shouting",
           names: tuple[str, str] = ("Sam", "Alex")) -> None:
    ok = [
        post(client, "/intake/shared/about", {"partner_a_name": names[0], "partner_b_name": names[1],
                                              "together_for": "3to10", "living_together": "yes",
                                              "children": "none"}),
        post(client, "/intake/shared/concerns", {"concerns-infidelity": "1" if infidelity else "",
                                                 "concerns-trust": "2", "concerns-communication": "3"}),
    ]
    if infidelity:
        ok.append(post(client, "/intake/shared/infidelity", {"kind": "emotional", "ongoing": "no",
                                                             "came_to_light": "discovered",
                                                             "how_long_ago": "1to6m"}))
    ok += [
        post(client, "/intake/shared/goals", {"goals": goals}),
        post(client, "/intake/shared/preferences", {"coach_gender": "any", "coach_language": "en",
                                                    "faith_based": "any", "lgbtq_affirming": "yes",
                                                    "approach": "gottman", "format": "video", "budget": "15000"}),
    ]
    assert [r.status_code for r in ok] == [302] * len(ok), [r.get_data(as_text=True)[:2000] for r in ok]


def personal(client: Any, zone: str = "America/Chicago", blocks: tuple[str, ...] = ("mon-evening", "mon-late")) -> None:
    response = post(client, "/intake/you", {"country": "United States", "timezone": zone,
                                            "languages": ["en", "es"], "free_times": list(blocks)})
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]


def invite(client: Any, app: Any, email: str) -> str:
    """Invite ``email`` and return the token from the emailed link."""
    response = post(client, "/intake/invite", {"email": email})
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    return last_invite_token(app, email)


def last_invite_token(app: Any, email: str) -> str:
    with app.app_context():
        message = sent_emails(to=email, kind="invite_partner")[-1]
        return re.search(r"/intake/join/([\w-]+)", message.text_body).group(1)


def join(client: Any, token: str) -> Any:
    return post(client, f"/intake/join/{token}", {})


def private(client: Any, words: str, csi: tuple[int, int, int, int] = (3, 3, 3, 3),
            screen: dict[str, str] | None = None) -> Any:
    ok = [
        post(client, "/intake/private/view", {"what_is_happening": words, "hopes": words + " hopes",
                                              "commitment": "unsure", "for_coach": words + " coach"}),
        post(client, "/intake/private/satisfaction", {f"csi{i}": str(v) for i, v in enumerate(csi, 1)}),
    ]
    assert [r.status_code for r in ok] == [302, 302], [r.get_data(as_text=True)[:2000] for r in ok]
    return answer_screen(client, screen or NEGATIVE)


def answer_screen(client: Any, screen: dict[str, str]) -> Any:
    gate = client.post("/intake/safety", data={"csrf_token": csrf_token(client, "/intake/safety"), "private": "yes"})
    assert gate.status_code == 200
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', gate.get_data(as_text=True)).group(1)
    return client.post("/intake/safety/answers", data={"csrf_token": token, "version": "1", **screen})


def full_couple(app: Any, user_a: Any, user_b: Any, screen_a: dict[str, str] | None = None,
                screen_b: dict[str, str] | None = None) -> tuple[Any, Any]:
    """Both partners through the whole intake; returns their logged-in clients."""
    a = logged_in(app, user_a)
    start(a)
    shared(a)
    personal(a)
    token = invite(a, app, user_b.email)
    b = logged_in(app, user_b)
    assert join(b, token).status_code == 302
    consent(b)
    personal(b, zone="Europe/London", blocks=("tue-evening",))
    private(a, A_PRIVATE, csi=(2, 2, 2, 2), screen=screen_a)
    private(b, B_PRIVATE, csi=(5, 4, 4, 4), screen=screen_b)
    return a, b
