"""Server-side sessions (core.sessions), on SQLite and PostgreSQL."""

import hashlib
from datetime import timedelta

import pytest
from sqlalchemy import select

from core import sessions, users
from core.clock import utcnow
from core.errors import PermissionDenied
from db.models import Role, UserSession

LIFETIMES = sessions.Lifetimes(idle=timedelta(hours=8), absolute=timedelta(days=30))


def _open(session, actor, now=None):
    """A session of `actor` whose ticket the browser has traded for its cookie: (id, token)."""
    now = now or utcnow()
    started = sessions.start(
        session,
        users.get_user(session, actor.id),
        lifetimes=LIFETIMES,
        client="10.0.0.7",
        user_agent="Firefox",
        now=now,
    )
    token, _ = sessions.adopt(session, started.ticket, now=now)
    return started.id, token


def _user(session, session_id, now=None):
    return sessions.check(session, session_id, lifetimes=LIFETIMES, now=now).user


def test_the_cookie_finds_its_session_and_only_its_hash_is_stored(session, world):
    session_id, token = _open(session, world.anna)

    assert sessions.find(session, token) == session_id
    assert _user(session, session_id).id == world.anna.id
    row = session.get(UserSession, session_id)
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    stored = [str(value) for value in session.execute(select(UserSession.__table__)).one()]
    assert token not in stored
    assert sessions.find(session, token + "x") is None
    assert sessions.find(session, "") is None


def test_a_ticket_is_traded_once_and_only_within_its_minute(session, world):
    now = utcnow()
    anna = users.get_user(session, world.anna.id)
    used = sessions.start(session, anna, lifetimes=LIFETIMES, now=now)
    late = sessions.start(session, anna, lifetimes=LIFETIMES, now=now)

    assert sessions.adopt(session, used.ticket, now=now + timedelta(seconds=5)) is not None
    assert sessions.adopt(session, used.ticket, now=now + timedelta(seconds=6)) is None
    assert sessions.adopt(session, late.ticket, now=now + timedelta(minutes=2)) is None
    assert sessions.adopt(session, late.ticket, now=now + timedelta(seconds=1)) is None  # tried once: gone
    assert sessions.adopt(session, "made up", now=now) is None


def test_a_session_ends_when_idle_or_too_old_and_touching_keeps_it(session, world):
    start = utcnow()
    session_id, _ = _open(session, world.anna, now=start)

    assert _user(session, session_id, start + timedelta(hours=7)) is not None
    assert _user(session, session_id, start + timedelta(hours=8)) is None  # idle
    check = sessions.check(session, session_id, lifetimes=LIFETIMES, now=start + timedelta(minutes=2))
    assert check.touch
    assert not sessions.check(session, session_id, lifetimes=LIFETIMES, now=start + timedelta(seconds=30)).touch

    sessions.touch(session, session_id, now=start + timedelta(hours=6))
    assert _user(session, session_id, start + timedelta(hours=13)) is not None  # idle 7 h since the touch
    for day in range(1, 30):
        sessions.touch(session, session_id, now=start + timedelta(days=day))
    assert _user(session, session_id, start + timedelta(days=29, hours=1)) is not None
    assert _user(session, session_id, start + timedelta(days=30)) is None  # the absolute lifetime


def test_sign_out_ends_one_session_and_everywhere_ends_them_all(session, world):
    first, _ = _open(session, world.anna)
    second, _ = _open(session, world.anna)
    boris, _ = _open(session, world.boris)

    sessions.end(session, first)
    assert (_user(session, first), _user(session, second) is not None) == (None, True)

    assert sessions.end_all(session, world.anna.id) == 1
    assert _user(session, second) is None
    assert _user(session, boris) is not None


def test_deactivation_or_another_role_ends_the_session_at_once(session, world):
    anna_session, _ = _open(session, world.anna)
    boris_session, _ = _open(session, world.boris)
    anna, boris = users.get_user(session, world.anna.id), users.get_user(session, world.boris.id)

    users.update_user(
        session, world.admin, anna.id, display_name=anna.display_name, role=anna.role, team_id=None, is_active=False
    )
    users.update_user(
        session,
        world.admin,
        boris.id,
        display_name=boris.display_name,
        role=Role.EXECUTIVE,
        team_id=boris.team_id,
        is_active=True,
    )

    assert _user(session, anna_session) is None
    assert _user(session, boris_session) is None


def test_an_admin_lists_and_ends_other_users_sessions_and_a_manager_cannot(session, world):
    anna_session, _ = _open(session, world.anna)
    _open(session, world.boris)

    listed = sessions.open_sessions(session, world.admin, lifetimes=LIFETIMES)
    assert {(s.user_name, s.client, s.user_agent) for s in listed} == {
        ("Anna", "10.0.0.7", "Firefox"),
        ("Boris", "10.0.0.7", "Firefox"),
    }
    with pytest.raises(PermissionDenied):
        sessions.revoke(session, world.anna, anna_session)
    with pytest.raises(PermissionDenied):
        sessions.open_sessions(session, world.anna, lifetimes=LIFETIMES)

    sessions.revoke(session, world.admin, anna_session)

    assert _user(session, anna_session) is None
    assert [s.user_name for s in sessions.open_sessions(session, world.admin, lifetimes=LIFETIMES)] == ["Boris"]
