"""Validation of the coach catalogue file: every mistake is named with its coach index and field."""

from __future__ import annotations

import copy
from datetime import date, time
from typing import Any

import pytest

from coaching.coaches.catalog import parse_catalog

SESSION_TYPE = {"slug": "consultation", "name": "Free consultation", "duration_min": 20,
                "price_cents": 0, "currency": "usd", "kind": "joint", "buffer_before_min": 0,
                "buffer_after_min": 10, "min_notice_hours": 12, "horizon_days": 60}
COACH = {"email": "ana@example.com", "name": "Ana Ruiz", "timezone": "America/New_York",
         "languages": ["en", "ES"], "specialties": ["infidelity", "communication", "trust"],
         "approaches": ["gottman"], "formats": ["video"], "gender": "female",
         "lgbtq_affirming": True, "faith_based": False, "accepting_new": True,
         "max_active_couples": 12, "bio": "...",
         "weekly_hours": {"mon": [["13:00", "17:00"], ["09:00", "12:00"]], "wed": [["10:00", "18:00"]]},
         "time_off": [{"start": "2026-12-24", "end": "2026-12-26"}],
         "session_types": ["consultation"]}


def catalog_with(*coaches: dict[str, Any], session_types: list[Any] | None = None) -> dict[str, Any]:
    return {"session_types": [copy.deepcopy(SESSION_TYPE)] if session_types is None else session_types,
            "coaches": [copy.deepcopy(c) for c in coaches]}


def coach(**changes: Any) -> dict[str, Any]:
    data = copy.deepcopy(COACH)
    for key, value in changes.items():
        if value is DROP:
            data.pop(key)
        else:
            data[key] = value
    return data


DROP = object()


def errors_of(data: Any, existing: set[str] = frozenset()) -> list[str]:
    return [str(e) for e in parse_catalog(data, existing)[1]]


def test_the_example_from_the_issue_is_valid_and_parsed_to_values() -> None:
    catalog, errors = parse_catalog(catalog_with(COACH))
    assert errors == []
    [spec] = catalog.coaches
    assert spec.email == "ana@example.com" and spec.languages == ["en", "es"]
    assert spec.weekly_hours == {0: [(time(9), time(12)), (time(13), time(17))], 2: [(time(10), time(18))]}
    assert spec.time_off == [(date(2026, 12, 24), date(2026, 12, 26))]
    assert catalog.session_types[0].slug == "consultation"


def test_email_is_lowercased_so_upsert_by_email_ignores_case() -> None:
    catalog, errors = parse_catalog(catalog_with(coach(email="Ana@Example.COM")))
    assert errors == [] and catalog.coaches[0].email == "ana@example.com"


@pytest.mark.parametrize(("changes", "where", "message"), [
    ({"email": DROP}, "coaches[1].email", "is required"),
    ({"email": "not-an-email"}, "coaches[1].email", "is not an email address"),
    ({"name": ""}, "coaches[1].name", "must be a non-empty string"),
    ({"name": 42}, "coaches[1].name", "must be a non-empty string"),
    ({"timezone": "Mars/Olympus"}, "coaches[1].timezone", "is not an IANA time zone"),
    ({"timezone": "EST5EDT/../x"}, "coaches[1].timezone", "is not an IANA time zone"),
    ({"languages": "en"}, "coaches[1].languages", "must be a list of strings"),
    ({"formats": ["video", "carrier pigeon"]}, "coaches[1].formats", "'carrier pigeon' is not one of"),
    ({"lgbtq_affirming": "yes"}, "coaches[1].lgbtq_affirming", "must be true or false"),
    ({"accepting_new": 1}, "coaches[1].accepting_new", "must be true or false"),
    ({"max_active_couples": -1}, "coaches[1].max_active_couples", "must be between 0 and 1000"),
    ({"max_active_couples": "12"}, "coaches[1].max_active_couples", "must be a whole number"),
    ({"max_active_couples": True}, "coaches[1].max_active_couples", "must be a whole number"),
    ({"bio": "x" * 5001}, "coaches[1].bio", "at most 5000 characters"),
    ({"session_types": ["therapy"]}, "coaches[1].session_types", "'therapy' is not a session type"),
    ({"weekly_hours": {"funday": [["09:00", "10:00"]]}}, "coaches[1].weekly_hours.funday", "unknown weekday"),
    ({"weekly_hours": {"mon": [["9am", "10:00"]]}}, "coaches[1].weekly_hours.mon[0]", '["HH:MM", "HH:MM"]'),
    ({"weekly_hours": {"mon": [["24:00", "23:00"]]}}, "coaches[1].weekly_hours.mon[0]", '["HH:MM", "HH:MM"]'),
    ({"weekly_hours": {"tue": [["12:00", "09:00"]]}}, "coaches[1].weekly_hours.tue[0]", "must end after it starts"),
    ({"weekly_hours": {"mon": [["09:00", "12:00"], ["11:00", "13:00"]]}}, "coaches[1].weekly_hours.mon",
     "ranges 09:00-12:00 and 11:00-13:00 overlap"),
    ({"weekly_hours": {"mon": "09:00-17:00"}}, "coaches[1].weekly_hours.mon", "must be a list"),
    ({"weekly_hours": [["09:00", "17:00"]]}, "coaches[1].weekly_hours", "must be an object"),
    ({"time_off": [{"start": "2026-12-24"}]}, "coaches[1].time_off[0]", "YYYY-MM-DD"),
    ({"time_off": [{"start": "2026-02-30", "end": "2026-03-01"}]}, "coaches[1].time_off[0]", "YYYY-MM-DD"),
    ({"time_off": [{"start": "2026-12-26", "end": "2026-12-24"}]}, "coaches[1].time_off[0]", "ends before it starts"),
    ({"time_off": {"start": "2026-12-24"}}, "coaches[1].time_off", "must be a list"),
])
def test_a_bad_coach_field_is_reported_with_its_coach_index_and_field(
        changes: dict[str, Any], where: str, message: str) -> None:
    good = coach(email="first@example.com")
    errors = errors_of(catalog_with(good, coach(**changes)))
    assert len(errors) == 1, errors
    assert errors[0].startswith(f"{where}: "), errors
    assert message in errors[0]


@pytest.mark.parametrize(("changes", "where", "message"), [
    ({"slug": "Free Consult"}, "session_types[0].slug", "lowercase letters, digits and dashes"),
    ({"duration_min": 0}, "session_types[0].duration_min", "between 5 and 480"),
    ({"duration_min": DROP}, "session_types[0].duration_min", "is required"),
    ({"price_cents": -100}, "session_types[0].price_cents", "between 0 and"),
    ({"currency": "dollars"}, "session_types[0].currency", "at most 3 characters"),
    ({"currency": "u$d"}, "session_types[0].currency", "three-letter ISO code"),
    ({"kind": "group"}, "session_types[0].kind", "must be one of joint, individual"),
    ({"horizon_days": 0}, "session_types[0].horizon_days", "between 1 and 366"),
    ({"daily_max": 0}, "session_types[0].daily_max", "positive whole number"),
])
def test_a_bad_session_type_field_is_reported_with_its_index_and_field(
        changes: dict[str, Any], where: str, message: str) -> None:
    session_type = copy.deepcopy(SESSION_TYPE)
    for key, value in changes.items():
        if value is DROP:
            session_type.pop(key)
        else:
            session_type[key] = value
    errors = errors_of(catalog_with(coach(session_types=[]), session_types=[session_type]))
    assert any(e.startswith(f"{where}: ") and message in e for e in errors), errors


def test_every_error_in_a_file_is_reported_in_one_pass() -> None:
    data = catalog_with(coach(email="bad"), coach(email="ok@example.com", timezone="Nowhere/Land"),
                        coach(email="also-ok@example.com", formats=["fax"], max_active_couples=-3))
    fields = [e.split(":")[0] for e in errors_of(data)]
    assert fields == ["coaches[0].email", "coaches[1].timezone", "coaches[2].formats",
                      "coaches[2].max_active_couples"]


def test_a_repeated_email_names_the_first_coach_with_it() -> None:
    errors = errors_of(catalog_with(coach(), coach(email="other@example.com"), coach(email="ANA@example.com")))
    assert errors == ["coaches[2].email: repeats coaches[0]"]


def test_session_types_already_in_the_database_may_be_referenced() -> None:
    data = catalog_with(coach(session_types=["couples-60"]), session_types=[])
    assert errors_of(data) == ["coaches[0].session_types: 'couples-60' is not a session type in this file or the database"]
    assert errors_of(data, existing={"couples-60"}) == []


@pytest.mark.parametrize(("data", "expected"), [
    ([], ["$: the file must hold a JSON object"]),
    ({"coaches": {"email": "x"}}, ["coaches: must be a list"]),
    ({"session_types": "consultation", "coaches": []}, ["session_types: must be a list"]),
    ({"coaches": ["ana@example.com"]}, ["coaches[0]: must be an object"]),
])
def test_a_file_of_the_wrong_shape_is_reported_not_raised(data: Any, expected: list[str]) -> None:
    errors = errors_of(data)
    assert errors[: len(expected)] == expected


def test_optional_fields_take_safe_defaults() -> None:
    minimal = {"email": "min@example.com", "name": "Min", "timezone": "Europe/Paris"}
    catalog, errors = parse_catalog({"coaches": [minimal]})
    assert errors == []
    [spec] = catalog.coaches
    assert (spec.accepting_new, spec.max_active_couples, spec.weekly_hours, spec.time_off, spec.gender) == (
        True, 10, {}, [], None)
