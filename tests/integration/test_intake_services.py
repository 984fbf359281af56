"""Intake services on SQLite and PostgreSQL: encryption at rest, the safety block, invites."""

from __future__ import annotations

from datetime import timedelta

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select, text

from coaching import crypto, db
from coaching.intake import invites, safety, services
from coaching.intake.models import Couple, Invite, Partner, SafetyFlag
from coaching.intake.questionnaire import AnswersInvalid
from coaching.notify.models import OutboxMessage
from tests.mail import sent_emails

NEGATIVE = {"fear": "never", "physical_harm": "no", "threats": "no", "monitoring": "no", "money": "no",
            "isolation": "no", "forced_sex": "no", "self_harm": "no"}


def f(**values):
    return {k: v if isinstance(v, list) else [v] for k, v in values.items()}


@pytest.fixture
def ctx(app):
    with app.test_request_context():
        yield db.session


@pytest.fixture
def new_user(ctx):
    """Create a user in the test's own session (``create_user`` would end that session)."""
    from coaching import clock
    from coaching.accounts import passwords
    from coaching.accounts.models import Role, User

    def _new(email: str, role: Role = Role.CLIENT, name: str = "Someone") -> User:
        user = User(email=email, name=name, role=role, timezone="UTC", email_verified_at=clock.now(),
                    password_hash=passwords.hash_password("correct horse battery"))
        ctx.add(user)
        ctx.commit()
        return user

    return _new


@pytest.fixture
def started(ctx, new_user):
    """Partner A has started and consented; returns (session, user_a, partner_a)."""
    user = new_user("sam@example.com", name="Sam Rivera")
    couple = services.start_intake(ctx, user)
    partner = couple.partners[0]
    services.give_consent(ctx, partner, terms=True, sharing=True, sensitive_data=True)
    return ctx, user, partner


def test_private_answers_csi_items_safety_answers_and_shared_answers_are_encrypted_at_rest(started):
    dbs, _user, partner = started
    services.save_shared_step(dbs, partner, "goals", "1", f(goals="SHARED-SECRET-goal"))
    services.save_private_step(dbs, partner, "view", "1", f(what_is_happening="PRIVATE-SECRET-view",
                                                           hopes="hope", commitment="stay"))
    services.save_private_step(dbs, partner, "satisfaction", "1", f(csi1="6", csi2="5", csi3="5", csi4="5"))
    safety.submit_screen(dbs, partner, "1", f(**{**NEGATIVE, "monitoring": "yes"}))
    raw = " ".join(str(v) for sql in (
        "SELECT answers FROM intake_shared_answers", "SELECT answers FROM intake_private_answers",
        "SELECT items FROM satisfaction_responses", "SELECT answers, result FROM safety_screens",
    ) for row in dbs.execute(text(sql)) for v in row)
    for plain in ("SHARED-SECRET", "PRIVATE-SECRET", "csi1", "monitoring", "never", "positive"):
        assert plain not in raw
    assert services.private_answers(dbs, partner)["view"]["what_is_happening"] == "PRIVATE-SECRET-view"
    assert services.private_answers(dbs, partner)["satisfaction"]["csi1"] == "6"


def test_a_positive_screen_raises_one_flag_tells_admins_and_changes_nothing_in_the_couple(started, new_user):
    dbs, _user, partner = started
    from coaching.accounts.models import Role
    admin = new_user("admin@example.com", role=Role.ADMIN)
    result = safety.submit_screen(dbs, partner, "1", f(**{**NEGATIVE, "threats": "yes"}))
    assert result.positive
    couple = dbs.get(Couple, partner.couple_id)
    assert not couple.joint_sessions_open and couple.status.value == "intake"
    [flag] = dbs.scalars(select(SafetyFlag)).all()
    assert flag.partner_id == partner.id and flag.status.value == "open"
    [mail] = dbs.scalars(select(OutboxMessage).where(OutboxMessage.kind == "intake_review_needed")).all()
    assert mail.to_addr == admin.email
    assert not hasattr(services.matching_profile(dbs, couple), "safety_flagged")


def test_raising_a_flag_later_tells_the_coach_and_leaves_open_joint_sessions_open(started, new_user):
    # A re-screen (check-ins) calls the same function; the coach decides, nothing is automatic.
    from coaching import clock
    from coaching.admin.services import create_coach
    from coaching.intake.models import JointSessionOpening
    dbs, _user, partner = started
    profile, _ = create_coach(dbs, email="coach@example.com", name="Casey Coach", timezone="UTC")
    couple = dbs.get(Couple, partner.couple_id)
    couple.coach_id = profile.id
    couple.joint_opening = JointSessionOpening(couple_id=couple.id, opened_at=clock.now())
    dbs.commit()
    flag = safety.raise_safety_flag(dbs, partner, clock.now())
    dbs.commit()
    assert flag.status.value == "open" and dbs.get(Couple, couple.id).joint_sessions_open
    told = sent_emails(kind="couple_review_needed")
    assert [m.to_addr for m in told] == ["coach@example.com"]
    assert f"/coach/couples/{couple.id}" in told[0].text_body


def test_a_negative_screen_raises_no_flag(started):
    dbs, _user, partner = started
    assert not safety.submit_screen(dbs, partner, "1", f(**NEGATIVE)).positive
    assert not dbs.get(Couple, partner.couple_id).joint_sessions_open
    assert dbs.scalars(select(SafetyFlag)).all() == []


def test_invalid_answers_leave_the_database_untouched(started):
    dbs, _user, partner = started
    with pytest.raises(AnswersInvalid):
        services.save_private_step(dbs, partner, "view", "1", f(what_is_happening="x" * 5000, hopes="h",
                                                               commitment="stay"))
    assert services.private_answers(dbs, partner) == {}


def test_rotating_the_data_keys_keeps_every_intake_value_readable(app, started):
    dbs, _user, partner = started
    services.save_private_step(dbs, partner, "view", "1", f(what_is_happening="before rotation",
                                                           hopes="h", commitment="stay"))
    services.save_shared_step(dbs, partner, "goals", "1", f(goals="shared before rotation"))
    new_key = Fernet.generate_key().decode()
    old_keys = app.config["DATA_KEYS"]
    app.config["DATA_KEYS"] = f"{new_key},{old_keys}"
    try:
        assert crypto.rotate_all(dbs) >= 2
        app.config["DATA_KEYS"] = new_key  # the old key is gone
        dbs.expire_all()
        assert services.private_answers(dbs, partner)["view"]["what_is_happening"] == "before rotation"
    finally:
        app.config["DATA_KEYS"] = old_keys


# --- invites ---------------------------------------------------------------------------------


def test_only_a_hash_of_the_invite_token_is_stored(started):
    dbs, _user, partner = started
    token = invites.invite_partner(dbs, partner, "alex@example.com")
    invite = dbs.scalar(select(Invite))
    assert invite.token_hash == invites.token_hash(token) and token not in invite.token_hash
    assert all(token not in str(v) for row in dbs.execute(text("SELECT * FROM intake_invites")) for v in row)


def test_an_invite_link_works_once(started, new_user):
    dbs, _user, partner = started
    token = invites.invite_partner(dbs, partner, "alex@example.com")
    alex = new_user("alex@example.com")
    couple = invites.accept_invite(dbs, token, alex)
    assert couple.partner_for(alex.id).slot == "b"
    with pytest.raises(invites.InviteInvalid):
        invites.accept_invite(dbs, token, alex)


def test_an_invite_link_expires(started, new_user, frozen_clock):
    dbs, _user, partner = started
    token = invites.invite_partner(dbs, partner, "alex@example.com")
    frozen_clock.advance(days=7, seconds=1)
    with pytest.raises(invites.InviteInvalid):
        invites.accept_invite(dbs, token, new_user("alex@example.com"))


def test_sending_a_new_invite_makes_the_old_link_stop_working(started, new_user):
    dbs, _user, partner = started
    old = invites.invite_partner(dbs, partner, "alex@example.com")
    new = invites.invite_partner(dbs, partner, "alex@example.com")
    alex = new_user("alex@example.com")
    with pytest.raises(invites.InviteInvalid):
        invites.accept_invite(dbs, old, alex)
    invites.accept_invite(dbs, new, alex)


def test_a_third_person_cannot_join_a_full_couple(started, new_user, frozen_clock):
    dbs, _user, partner = started
    token = invites.invite_partner(dbs, partner, "alex@example.com")
    invites.accept_invite(dbs, token, new_user("alex@example.com"))
    with pytest.raises(services.IntakeError, match="already joined"):
        invites.invite_partner(dbs, partner, "casey@example.com")
    # Even a valid link for the couple (say, planted directly) does not seat a third partner.
    dbs.add(Invite(couple_id=partner.couple_id, email="casey@example.com", token_hash=invites.token_hash("planted"),
                   expires_at=frozen_clock() + timedelta(days=1)))
    dbs.commit()
    casey = new_user("casey@example.com")
    with pytest.raises(services.IntakeError, match="already has two partners"):
        invites.accept_invite(dbs, "planted", casey)
    assert len(dbs.scalars(select(Partner).where(Partner.couple_id == partner.couple_id)).all()) == 2


def test_a_partner_cannot_join_two_couples(started, new_user):
    dbs, _user, partner = started
    token = invites.invite_partner(dbs, partner, "alex@example.com")
    alex = new_user("alex@example.com")
    services.start_intake(dbs, alex)  # Alex already started a couple of their own
    with pytest.raises(services.IntakeError, match="already part of a couple"):
        invites.accept_invite(dbs, token, alex)
    assert dbs.scalar(select(Invite)).used_at is None


def test_the_joining_account_must_use_the_invited_address(started, new_user):
    dbs, _user, partner = started
    token = invites.invite_partner(dbs, partner, "alex@example.com")
    with pytest.raises(services.IntakeError, match=r"sent to a\*\*\*@example.com"):
        invites.accept_invite(dbs, token, new_user("intruder@example.com"))


def test_partner_a_cannot_invite_their_own_address(started):
    dbs, user, partner = started
    with pytest.raises(services.IntakeError, match="not your own"):
        invites.invite_partner(dbs, partner, user.email.upper())


def test_registering_through_an_invite_creates_a_confirmed_account_in_the_couple(started, new_user):
    dbs, _user, partner = started
    token = invites.invite_partner(dbs, partner, "alex@example.com")
    alex = invites.register_through_invite(dbs, token, name="Alex", password="a long password",
                                           timezone="Europe/London")
    assert alex.is_verified and alex.email == "alex@example.com"
    assert dbs.get(Couple, partner.couple_id).partner_for(alex.id).timezone == "Europe/London"


def test_registering_through_an_invite_for_a_known_address_is_refused(started, new_user):
    dbs, _user, partner = started
    new_user("alex@example.com")
    token = invites.invite_partner(dbs, partner, "alex@example.com")
    with pytest.raises(services.IntakeError, match="log in"):
        invites.register_through_invite(dbs, token, name="Alex", password="a long password", timezone="UTC")
