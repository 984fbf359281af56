"""Form markup that assistive technology reads: no ARIA attribute ever says "None".

WTForms prints a ``None`` keyword as the text "None", and a screen reader takes an unknown
``aria-invalid`` value as "true", so every field would be announced invalid. The walk covers
every argument-free GET page for a visitor and each role, so pages added later are checked too.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from coaching.accounts.models import Role
from tests.conftest import csrf_token

NONE_ATTRIBUTE = re.compile(r'\s[a-z-]+="None"')


def argument_free_get_paths(app: Any) -> list[str]:
    return sorted({rule.rule for rule in app.url_map.iter_rules()
                   if "GET" in (rule.methods or set()) and not rule.arguments
                   and not rule.rule.startswith(("/static", "/api/", "/webhooks"))})


@pytest.mark.parametrize("role", [None, Role.CLIENT, Role.COACH, Role.ADMIN])
def test_no_page_prints_an_attribute_whose_value_is_none(app, client, create_user, login_as, role):
    if role is not None:
        login_as(create_user(role=role))
    checked = 0
    for path in argument_free_get_paths(app):
        response = client.get(path)
        if response.status_code != 200 or not response.mimetype == "text/html":
            continue
        html = response.get_data(as_text=True)
        assert not NONE_ATTRIBUTE.search(html), f"{path}: {NONE_ATTRIBUTE.search(html).group(0)}"
        checked += 1
    assert checked >= 3


def test_a_field_with_an_error_is_marked_invalid_and_described_by_its_message(client):
    response = client.post("/account/register", data={
        "csrf_token": csrf_token(client, "/account/register"), "email": "not-an-email",
        "name": "", "password": "x", "confirm": "y"})
    html = response.get_data(as_text=True)
    field = re.search(r'<input[^>]*id="email"[^>]*>', html)
    assert field, html[:2000]
    assert 'aria-invalid="true"' in field.group(0)
    assert 'aria-describedby="email-help"' in field.group(0)
    assert 'id="email-help"' in html


def test_a_valid_field_carries_no_aria_invalid_attribute(client):
    html = client.get("/account/login").get_data(as_text=True)
    field = re.search(r'<input[^>]*id="email"[^>]*>', html)
    assert field and "aria-invalid" not in field.group(0)
