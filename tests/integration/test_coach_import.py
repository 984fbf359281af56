"""``flask coaches import`` and ``flask seed-demo`` through the CLI, on SQLite and PostgreSQL."""

from __future__ import annotations

import copy
import json
from datetime import date, time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from coaching import db
from coaching.accounts.models import Role, User
from coaching.coaches.models import CoachProfile
from coaching.intake.models import Couple, Partner
from coaching.scheduling.models import AvailabilityRule, SessionType, TimeOff
from tests.conftest import login

SESSION_TYPES = [
    {"slug": "consultation", "name": "Free consultation", "duration_min": 20, "price_cents": 0,
     "currency": "usd", "kind": "joint", "buffer_before_min": 0, "buffer_after_min": 10,
     "min_notice_hours": 12, "horizon_days": 60},
    {"slug": "couples-50", "name": "Couples session", "duration_min": 50, "price_cents": 15000,
     "currency": "usd", "kind": "joint"},
]


def coach(n: int, **changes: Any) -> dict[str, Any]:
    data = {"email": f"coach{n}@example.com", "name": f"Coach {n}", "timezone": "America/New_York",
            "languages": ["en", "es"], "specialties": ["communication", "trust"], "approaches": ["gottman"],
            "formats": ["video"], "gender": "female", "lgbtq_affirming": True, "faith_based": False,
            "accepting_new": True, "max_active_couples": 12, "bio": "Warm and direct.",
            "weekly_hours": {"mon": [["09:00", "12:00"], ["13:00", "17:00"]], "wed": [["10:00", "18:00"]]},
            "time_off": [{"start": "2026-12-24", "end": "2026-12-26"}],
            "session_types": ["consultation", "couples-50"]}
    data.update(changes)
    return data


def write(tmp_path: Path, coaches: list[dict[str, Any]], session_types: list[Any] | None = None,
          name: str = "coaches.json") -> str:
    path = tmp_path / name
    path.write_text(json.dumps({"session_types": copy.deepcopy(SESSION_TYPES if session_types is None
                                                               else session_types),
                                "coaches": coaches}))
    return str(path)


def count(app: Any, model: Any) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def snapshot(app: Any) -> dict[str, int]:
    return {m.__name__: count(app, m) for m in (User, CoachProfile, SessionType, AvailabilityRule, TimeOff)}


def test_import_creates_session_types_and_coaches_with_their_hours(app: Any, runner: Any, tmp_path: Path) -> None:
    result = runner.invoke(args=["coaches", "import", write(tmp_path, [coach(1), coach(2, timezone="Asia/Tokyo")])])
    assert result.exit_code == 0, result.output
    assert "Session types: 2 created, 0 updated. Coaches: 2 created, 0 updated." in result.stdout
    assert snapshot(app) == {"User": 2, "CoachProfile": 2, "SessionType": 2, "AvailabilityRule": 6, "TimeOff": 2}
    with app.app_context():
        profile = db.session.scalar(select(CoachProfile).join(User).where(User.email == "coach2@example.com"))
        assert profile.user.role == Role.COACH and profile.user.is_verified
        assert profile.timezone == "Asia/Tokyo" and profile.languages == ["en", "es"]
        assert [t.slug for t in profile.session_types] == ["consultation", "couples-50"]
        rules = db.session.scalars(select(AvailabilityRule).where(AvailabilityRule.coach_id == profile.id)
                                   .order_by(AvailabilityRule.weekday, AvailabilityRule.start_time)).all()
        assert [(r.weekday, r.start_time, r.end_time) for r in rules] == [
            (0, time(9), time(12)), (0, time(13), time(17)), (2, time(10), time(18))]
        [off] = db.session.scalars(select(TimeOff).where(TimeOff.coach_id == profile.id)).all()
        assert (off.start_date, off.end_date) == (date(2026, 12, 24), date(2026, 12, 26))


def test_importing_the_same_file_twice_changes_nothing(app: Any, runner: Any, tmp_path: Path) -> None:
    path = write(tmp_path, [coach(1), coach(2)])
    assert runner.invoke(args=["coaches", "import", path]).exit_code == 0
    before = snapshot(app)
    again = runner.invoke(args=["coaches", "import", path])
    assert again.exit_code == 0, again.output
    assert "Session types: 0 created, 2 updated. Coaches: 0 created, 2 updated." in again.stdout
    assert snapshot(app) == before


def test_import_upserts_by_email_ignoring_case_and_replaces_weekly_hours(
        app: Any, runner: Any, tmp_path: Path) -> None:
    assert runner.invoke(args=["coaches", "import", write(tmp_path, [coach(1)])]).exit_code == 0
    changed = coach(1, email="COACH1@Example.com", name="Coach One", timezone="Europe/Berlin",
                    accepting_new=False, weekly_hours={"fri": [["08:00", "09:30"]]},
                    session_types=["couples-50"])
    result = runner.invoke(args=["coaches", "import", write(tmp_path, [changed], name="v2.json")])
    assert result.exit_code == 0, result.output
    assert "Coaches: 0 created, 1 updated." in result.stdout
    with app.app_context():
        [profile] = db.session.scalars(select(CoachProfile)).all()
        assert (profile.user.email, profile.user.name, profile.timezone, profile.accepting_new) == (
            "coach1@example.com", "Coach One", "Europe/Berlin", False)
        assert [t.slug for t in profile.session_types] == ["couples-50"]
        rules = db.session.scalars(select(AvailabilityRule)).all()
        assert [(r.weekday, r.start_time, r.end_time) for r in rules] == [(4, time(8), time(9, 30))]


def test_one_bad_coach_imports_nothing_and_names_each_error_with_index_and_field(
        app: Any, runner: Any, tmp_path: Path) -> None:
    coaches = [coach(0), coach(1, timezone="Mars/Olympus"), coach(2),
               coach(3, weekly_hours={"mon": [["17:00", "09:00"]]}, max_active_couples=-1)]
    result = runner.invoke(args=["coaches", "import", write(tmp_path, coaches)])
    assert result.exit_code != 0
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert [e.split(":")[1].strip() for e in errors] == [
        "coaches[1].timezone", "coaches[3].max_active_couples", "coaches[3].weekly_hours.mon[0]"]
    assert "'Mars/Olympus' is not an IANA time zone" in errors[0]
    assert "3 error(s); nothing was imported." in result.stderr
    assert snapshot(app) == {"User": 0, "CoachProfile": 0, "SessionType": 0, "AvailabilityRule": 0, "TimeOff": 0}


def test_a_coach_email_that_belongs_to_a_client_is_refused_and_nothing_changes(
        app: Any, runner: Any, create_user: Any, tmp_path: Path) -> None:
    create_user("client@example.com", role=Role.CLIENT)
    before = snapshot(app)
    result = runner.invoke(args=["coaches", "import", write(tmp_path, [coach(0), coach(1, email="Client@example.com")])])
    assert result.exit_code != 0
    assert "error: coaches[1].email: belongs to a client account" in result.stderr
    assert snapshot(app) == before
    with app.app_context():
        assert db.session.scalar(select(User).where(User.email == "client@example.com")).role == Role.CLIENT


def test_a_file_that_is_not_json_is_refused_with_a_clear_message(app: Any, runner: Any, tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{"coaches": [')
    result = runner.invoke(args=["coaches", "import", str(path)])
    assert result.exit_code != 0
    assert "is not valid JSON" in result.stderr
    missing = runner.invoke(args=["coaches", "import", str(tmp_path / "nope.json")])
    assert missing.exit_code != 0 and "does not exist" in missing.stderr


def test_a_large_file_shows_a_progress_bar_and_imports_every_coach(
        app: Any, runner: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import click._termui_impl

    monkeypatch.setattr(click._termui_impl, "isatty", lambda _stream: True)  # draw it as on a terminal
    coaches = [coach(i, weekly_hours={"tue": [["09:00", "17:00"]]}, time_off=[]) for i in range(500)]
    result = runner.invoke(args=["coaches", "import", write(tmp_path, coaches)])
    assert result.exit_code == 0, result.output[-2000:]
    assert "Importing coaches  [####" in result.stderr and "100%" in result.stderr
    assert "Coaches: 500 created, 0 updated." in result.stdout
    assert count(app, CoachProfile) == 500 and count(app, AvailabilityRule) == 500


def test_seed_demo_is_idempotent_and_its_printed_logins_work(app: Any, runner: Any) -> None:
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0, first.output
    counts = {**snapshot(app), "Couple": count(app, Couple), "Partner": count(app, Partner)}
    second = runner.invoke(args=["seed-demo"])
    assert second.exit_code == 0, second.output
    assert {**snapshot(app), "Couple": count(app, Couple), "Partner": count(app, Partner)} == counts
    assert second.stdout == first.stdout
    # Sam & Alex (new, for the intake walk-through), Jordan & Casey (months of history with Ana)
    # and Robin & Quinn (a couple that ended, for starting again)
    assert counts["CoachProfile"] == 3 and counts["Couple"] == 3 and counts["Partner"] == 6
    with app.app_context():
        zones = set(db.session.scalars(select(CoachProfile.timezone)))
        roles = set(db.session.scalars(select(User.role)))
    assert len(zones) == 3 and roles == {Role.ADMIN, Role.COACH, Role.CLIENT}
    logins = [line.split() for line in first.stdout.splitlines() if " / " in line]
    assert {parts[0] for parts in logins} == {"admin", "coach", "partner"}
    for role, email, _slash, password, *_ in logins:
        client = app.test_client()
        assert login(client, email, password).status_code == 302, (role, email)


WELCOME = {"slug": "welcome", "name": "Welcome call", "duration_min": 30, "price_cents": 0, "currency": "usd",
           "kind": "individual"}


def test_with_a_welcome_call_every_coach_must_offer_it_and_it_must_be_free_and_individual(
        app: Any, runner: Any, tmp_path: Path) -> None:
    types = [*SESSION_TYPES, WELCOME]
    ok = runner.invoke(args=["coaches", "import", write(tmp_path, [
        coach(1, session_types=["welcome", "consultation"])], session_types=types)])
    assert ok.exit_code == 0, ok.output
    missing = runner.invoke(args=["coaches", "import", write(tmp_path, [coach(2)], session_types=[], name="v2.json")])
    assert missing.exit_code != 0
    assert "coaches[0].session_types: must include 'welcome': every couple starts with a welcome call" in missing.stderr
    paid = runner.invoke(args=["coaches", "import", write(tmp_path, [], name="v3.json", session_types=[
        {**WELCOME, "price_cents": 5000, "kind": "joint"}])])
    assert paid.exit_code != 0 and "'welcome' is the welcome call: it must be individual and free" in paid.stderr
    with app.app_context():
        assert count(app, CoachProfile) == 1
        assert db.session.scalar(select(SessionType.price_cents).where(SessionType.slug == "welcome")) == 0


def test_seed_demo_gives_every_coach_the_free_individual_welcome_call(app: Any, runner: Any) -> None:
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    with app.app_context():
        welcome = db.session.scalar(select(SessionType).where(SessionType.slug == "welcome"))
        assert welcome.price_cents == 0 and welcome.kind.value == "individual"
        for profile in db.session.scalars(select(CoachProfile)):
            assert "welcome" in [t.slug for t in profile.session_types], profile.user.email
