from datetime import timedelta

import pytest

from core import auth, deals, users
from core.auth import LOCKOUT, MAX_FAILED_SIGN_INS, Outcome
from core.clock import utcnow
from core.errors import NotFound, PermissionDenied, ValidationError
from db.engine import transaction
from tests.unit.conftest import PASSWORD, add_user


def test_the_right_password_signs_in(session, world):
    result = auth.sign_in(session, "ANNA ", PASSWORD)

    assert result.outcome == Outcome.SIGNED_IN
    assert (result.user.id, result.user.role) == (world.anna.id, world.anna.role)


def test_a_wrong_password_an_unknown_login_and_a_deactivated_user_get_one_answer(session, world):
    boris = users.get_user(session, world.boris.id)
    users.update_user(
        session,
        world.admin,
        boris.id,
        display_name=boris.display_name,
        role=boris.role,
        team_id=boris.team_id,
        is_active=False,
    )

    results = [
        auth.sign_in(session, "anna", "wrong"),
        auth.sign_in(session, "nobody", PASSWORD),
        auth.sign_in(session, "boris", PASSWORD),
    ]

    assert [r.outcome for r in results] == [Outcome.WRONG_CREDENTIALS] * 3
    assert all(r.user is None for r in results)


def test_five_failures_in_a_row_lock_the_login_even_for_the_right_password(session, world):
    now = utcnow()
    outcomes = [auth.sign_in(session, "anna", "wrong", now=now).outcome for _ in range(MAX_FAILED_SIGN_INS)]

    assert outcomes == [Outcome.WRONG_CREDENTIALS] * (MAX_FAILED_SIGN_INS - 1) + [Outcome.LOCKED]
    locked = auth.sign_in(session, "anna", PASSWORD, now=now + timedelta(minutes=1))
    assert (locked.outcome, locked.locked_until) == (Outcome.LOCKED, now + LOCKOUT)
    assert auth.sign_in(session, "anna", PASSWORD, now=now + LOCKOUT + timedelta(seconds=1)).outcome == (
        Outcome.SIGNED_IN
    )


def test_a_success_resets_the_count(session, world):
    for _ in range(MAX_FAILED_SIGN_INS - 1):
        auth.sign_in(session, "anna", "wrong")
    assert auth.sign_in(session, "anna", PASSWORD).outcome == Outcome.SIGNED_IN

    outcomes = [auth.sign_in(session, "anna", "wrong").outcome for _ in range(MAX_FAILED_SIGN_INS - 1)]

    assert outcomes == [Outcome.WRONG_CREDENTIALS] * (MAX_FAILED_SIGN_INS - 1)


def test_unknown_logins_lock_like_real_ones_so_a_lock_reveals_nothing(session, world):
    outcomes = [auth.sign_in(session, "ghost", "x").outcome for _ in range(MAX_FAILED_SIGN_INS)]

    assert outcomes[-1] == Outcome.LOCKED


def test_the_lock_is_in_the_database_across_transactions(fresh_engine):
    """Each attempt in its own transaction, as from different app instances."""
    from core.permissions import Actor
    from db.models import Role

    with transaction(fresh_engine, write=True) as session:
        users.create_user(
            session, Actor.system(), login="anna", display_name="Anna", role=Role.MANAGER, password=PASSWORD
        )
    for _ in range(MAX_FAILED_SIGN_INS):
        with transaction(fresh_engine, write=True) as session:
            auth.sign_in(session, "anna", "wrong")

    with transaction(fresh_engine, write=True) as session:
        assert auth.sign_in(session, "anna", PASSWORD).outcome == Outcome.LOCKED


def test_the_last_active_admin_can_be_neither_demoted_nor_deactivated(session, world):
    admin = users.get_user(session, world.admin.id)
    with pytest.raises(ValidationError) as demoted:
        users.update_user(
            session, world.admin, admin.id, display_name="A", role="manager", team_id=None, is_active=True
        )
    with pytest.raises(ValidationError) as deactivated:
        users.update_user(session, world.admin, admin.id, display_name="A", role="admin", team_id=None, is_active=False)

    assert set(demoted.value.errors) == {"role"} and set(deactivated.value.errors) == {"is_active"}
    assert users.get_user(session, admin.id) == admin


def test_with_a_second_admin_the_first_may_step_down(session, world):
    add_user(session, "second_admin", world.admin.role)

    users.update_user(
        session,
        world.admin,
        world.admin.id,
        display_name="Former admin",
        role="executive",
        team_id=None,
        is_active=True,
    )

    assert users.get_user(session, world.admin.id).role.value == "executive"


def test_update_user_changes_name_team_and_active_flag(session, world):
    team_id = users.create_team(session, world.admin, "South")

    users.update_user(
        session, world.admin, world.boris.id, display_name="Boris P.", role="manager", team_id=team_id, is_active=False
    )

    boris = users.get_user(session, world.boris.id)
    assert (boris.display_name, boris.team_id, boris.is_active) == ("Boris P.", team_id, False)
    assert users.active_user(session, world.boris.id) is None
    assert users.active_user(session, world.anna.id).login == "anna"


def test_the_open_deals_a_deactivation_leaves_with_the_user_are_counted(session, world):
    won, *_ = (
        deals.create_deal(session, world.boris, pipeline_id=world.pipeline_id, fields={"title": title})
        for title in ("Won", "A", "B")
    )
    deals.create_deal(session, world.anna, pipeline_id=world.pipeline_id, fields={"title": "Anna's"})
    deals.move_deal(session, world.boris, won, world.stages["Won"], 1)

    assert [users.open_deal_count(session, world.admin, u.id) for u in (world.boris, world.anna, world.admin)] == [
        2,
        1,
        0,
    ]
    with pytest.raises(PermissionDenied):
        users.open_deal_count(session, world.executive, world.boris.id)
    with pytest.raises(NotFound):
        users.open_deal_count(session, world.admin, 10_000)
