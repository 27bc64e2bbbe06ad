"""API tokens (core.tokens), on SQLite and PostgreSQL: shown once and stored hashed, used with the
user's role as it is now, revoked by their user or an admin, expiring, and intake tokens' rules."""

import hashlib
from datetime import date, timedelta

import pytest
from sqlalchemy import column, insert, select, table

from core import customers, tokens, users
from core.clock import utcnow
from core.errors import NotFound, PermissionDenied, ValidationError
from core.tokens import Intake
from db.migrate import upgrade
from db.models import ApiToken, Contact, Role, TokenScope
from tests.conftest import new_database


def test_a_token_is_shown_once_and_stored_as_its_hash_only(session, world):
    token_id, secret = tokens.create(session, world.anna, "  Zapier  ")

    row = session.get(ApiToken, token_id)
    assert secret.startswith(tokens.PREFIX) and len(secret) > 40
    assert row.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in {str(getattr(row, column.name)) for column in ApiToken.__table__.columns}
    assert (row.name, row.scope, row.expires_at) == ("Zapier", TokenScope.API, None)
    caller = tokens.authenticate(session, secret)
    assert (caller.user.login, caller.token.id, caller.touch) == ("anna", token_id, True)


def test_a_token_acts_with_its_users_role_as_it_is_now(session, world):
    _, secret = tokens.create(session, world.anna, "script")
    same = {"display_name": "Anna", "team_id": world.anna.team_id}
    users.update_user(session, world.admin, world.anna.id, role=Role.EXECUTIVE, is_active=True, **same)
    assert tokens.authenticate(session, secret).user.role == Role.EXECUTIVE

    users.update_user(session, world.admin, world.anna.id, role=Role.EXECUTIVE, is_active=False, **same)
    assert tokens.authenticate(session, secret) is None


@pytest.mark.parametrize("secret", ["", "fnl_", "fnl_unknown", "not a token"])
def test_an_unknown_secret_finds_nobody(session, world, secret):
    tokens.create(session, world.anna, "script")
    assert tokens.authenticate(session, secret) is None


def test_a_token_expires_at_the_end_of_its_day(session, world):
    now = utcnow()
    token_id, secret = tokens.create(session, world.anna, "week", expires_on=now.date() + timedelta(days=7))
    end = session.get(ApiToken, token_id).expires_at

    assert end.date() == now.date() + timedelta(days=8) and (end.hour, end.minute) == (0, 0)
    assert tokens.authenticate(session, secret, now=end - timedelta(seconds=1)) is not None
    assert tokens.authenticate(session, secret, now=end) is None
    assert tokens.list_tokens(session, world.anna, now=end) == []


@pytest.mark.parametrize(
    ("name", "expires_on", "field"),
    [
        ("", None, "name"),
        ("x" * 201, None, "name"),
        ("ok", "abc", "expires_on"),
        ("ok", date(2020, 1, 1), "expires_on"),
    ],
)
def test_a_bad_token_is_refused_naming_the_field(session, world, name, expires_on, field):
    with pytest.raises(ValidationError) as raised:
        tokens.create(session, world.anna, name, expires_on=expires_on)
    assert field in raised.value.errors
    assert session.scalar(select(ApiToken.id)) is None


def test_a_user_sees_and_revokes_their_own_and_an_admin_everyones(session, world):
    anna_id, anna_secret = tokens.create(session, world.anna, "anna's")
    boris_id, _ = tokens.create(session, world.boris, "boris's")

    assert [t.id for t in tokens.list_tokens(session, world.anna)] == [anna_id]
    with pytest.raises(PermissionDenied):
        tokens.list_tokens(session, world.anna, everyone=True)
    assert {t.id for t in tokens.list_tokens(session, world.admin, everyone=True)} == {anna_id, boris_id}
    with pytest.raises(NotFound):
        tokens.revoke(session, world.anna, boris_id)  # another user's token is not even said to exist

    tokens.revoke(session, world.anna, anna_id)
    tokens.revoke(session, world.admin, boris_id)
    assert tokens.authenticate(session, anna_secret) is None
    assert tokens.list_tokens(session, world.admin, everyone=True) == []


def test_only_an_admin_creates_an_intake_token_and_it_says_where_leads_go(session, world):
    intake = Intake(pipeline_id=world.pipeline_id, team_id=world.anna.team_id)
    with pytest.raises(PermissionDenied):
        tokens.create(session, world.anna, "form", intake=intake)

    token_id, secret = tokens.create(session, world.admin, "form", intake=intake)
    token = tokens.authenticate(session, secret).token
    assert (token.scope, token.intake_pipeline_id, token.intake_team_id, token.intake_window_days) == (
        TokenScope.INTAKE,
        world.pipeline_id,
        world.anna.team_id,
        tokens.DEFAULT_WINDOW_DAYS,
    )


@pytest.mark.parametrize(
    ("intake", "field"),
    [
        (Intake(pipeline_id=999_999, owner_id=0), "pipeline_id"),
        (Intake(pipeline_id=0), "owner_id"),  # neither a team nor an owner
        (Intake(pipeline_id=0, team_id=1, owner_id=1), "owner_id"),  # both
        (Intake(pipeline_id=0, team_id=999_999), "team_id"),
        (Intake(pipeline_id=0, owner_id=999_999), "owner_id"),
        (Intake(pipeline_id=0, team_id=1, window_days=-1), "window_days"),
        (Intake(pipeline_id=0, team_id=1, window_days=366), "window_days"),
    ],
)
def test_a_bad_intake_is_refused_naming_the_field(session, world, intake, field):
    pipeline_id = intake.pipeline_id or world.pipeline_id
    team_id = world.anna.team_id if intake.team_id == 1 else intake.team_id
    owner_id = world.anna.id if intake.owner_id == 1 else intake.owner_id
    asked = Intake(pipeline_id, team_id, owner_id, intake.window_days)
    with pytest.raises(ValidationError) as raised:
        tokens.create(session, world.admin, "form", intake=asked)
    assert field in raised.value.errors


def test_an_executive_is_no_fixed_owner_of_leads(session, world):
    with pytest.raises(ValidationError) as raised:
        tokens.create(session, world.admin, "form", intake=Intake(world.pipeline_id, owner_id=world.executive.id))
    assert "owner_id" in raised.value.errors


@pytest.mark.parametrize(
    ("phone", "key"),
    [
        ("+7 (999) 123-45-67", "9991234567"),
        ("8 999 1234567", "9991234567"),
        ("+1 415 555 0100", "4155550100"),
        ("12-34", None),
        ("call me", None),
        (None, None),
    ],
)
def test_a_phone_is_found_by_its_last_ten_digits(phone, key):
    assert customers.phone_key(phone) == key


def test_the_migration_gives_the_contacts_already_there_their_keys(engine, tmp_path):
    old, drop = new_database(engine.dialect.name, tmp_path, revision="0017")
    try:
        with old.begin() as connection:
            # As the code of then wrote them: the columns of revision 0017.
            contacts = table("contacts", column("name"), column("phone"), column("email"), column("created_at"))
            connection.execute(
                insert(contacts),
                [
                    {"name": "Ivan", "phone": "8 (999) 123-45-67", "email": "Ivan@Example.COM", "created_at": utcnow()},
                    {"name": "Olga", "phone": None, "email": None, "created_at": utcnow()},
                ],
            )
        upgrade(old)
        with old.connect() as connection:
            keys = connection.execute(select(Contact.phone_key, Contact.email_key).order_by(Contact.id)).all()
        assert [tuple(row) for row in keys] == [("9991234567", "ivan@example.com"), (None, None)]
    finally:
        drop()
