"""Signed-in browsers (SPEC §7): a random token in an HttpOnly cookie, only its hash in the database.

Sign-in opens a session with a one-time ticket; the browser trades the ticket, within a minute, for
the cookie (`adopt`), and later visits find their session by that cookie (`find`). Every run of a
page asks `check`: a session ends when it is revoked, has been idle or alive too long, or when its
user was deactivated or given another role since it opened.
"""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from core import users
from core.clock import utcnow
from core.errors import NotFound
from core.messages import Message
from core.permissions import Actor, require_role
from db.models import Role, User, UserSession

COOKIE = "funnel_session"  # the browser's cookie: the token of its session
TICKET_LIFETIME = timedelta(minutes=1)
TOUCH_EVERY = timedelta(minutes=1)  # how stale "last seen" may get before a run writes it anew


@dataclass(frozen=True)
class Lifetimes:
    idle: timedelta = timedelta(hours=8)
    absolute: timedelta = timedelta(days=30)


@dataclass(frozen=True)
class Started:
    id: int
    ticket: str  # what the browser trades for its cookie (ui: the sign-in's handoff)


@dataclass(frozen=True)
class Check:
    user: users.UserInfo | None  # None: the session has ended
    touch: bool = False  # "last seen" is stale enough to be written


@dataclass(frozen=True)
class SessionInfo:
    id: int
    user_id: int
    user_name: str
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    client: str
    user_agent: str


def digest(secret: str) -> str:
    """What a secret (a cookie's token, a ticket, an API token) is stored as: its SHA-256."""
    return hashlib.sha256(secret.encode()).hexdigest()


def start(
    session: Session,
    user: users.UserInfo,
    *,
    lifetimes: Lifetimes,
    client: str = "",
    user_agent: str = "",
    now: datetime | None = None,
) -> Started:
    """A new session of `user`, who has just proven who they are."""
    now = now or utcnow()
    ticket = secrets.token_urlsafe(32)
    row = UserSession(
        user_id=user.id,
        ticket_hash=digest(ticket),
        role=user.role,
        created_at=now,
        last_seen_at=now,
        expires_at=now + lifetimes.absolute,
        client=(client or "")[:45],
        user_agent=(user_agent or "")[:300],
    )
    session.add(row)
    session.flush()
    return Started(row.id, ticket)


def adopt(session: Session, ticket: str, *, now: datetime | None = None) -> tuple[str, datetime] | None:
    """The cookie's token (and when it expires) for a ticket used once, within its minute; None for
    any other ticket. The token is returned once and never stored."""
    now = now or utcnow()
    row = session.scalar(select(UserSession).where(UserSession.ticket_hash == digest(ticket or "")))
    if row is None or row.revoked_at is not None or row.token_hash is not None:
        return None
    row.ticket_hash = None  # used, or too late: either way never again
    if now - row.created_at > TICKET_LIFETIME:
        return None
    token = secrets.token_urlsafe(32)
    row.token_hash = digest(token)
    return token, row.expires_at


def find(session: Session, token: str) -> int | None:
    """The session a cookie's token belongs to, ended or not (`check` tells)."""
    if not token:
        return None
    return session.scalar(select(UserSession.id).where(UserSession.token_hash == digest(token)))


def check(session: Session, session_id: int, *, lifetimes: Lifetimes, now: datetime | None = None) -> Check:
    """The session's user as stored now, or None when the session has ended."""
    now = now or utcnow()
    row = session.get(UserSession, session_id)
    if row is None or row.revoked_at is not None or now >= row.expires_at or now - row.last_seen_at >= lifetimes.idle:
        return Check(None)
    user = users.active_user(session, row.user_id)
    if user is None or user.role != row.role:
        return Check(None)
    return Check(user, touch=now - row.last_seen_at >= TOUCH_EVERY)


def touch(session: Session, session_id: int, *, now: datetime | None = None) -> None:
    """Seen now: the idle timeout counts from here."""
    now = now or utcnow()
    session.execute(
        update(UserSession).where(UserSession.id == session_id, UserSession.last_seen_at < now).values(last_seen_at=now)
    )


def end(session: Session, session_id: int, *, now: datetime | None = None) -> None:
    """Sign out: this session only."""
    session.execute(
        update(UserSession)
        .where(UserSession.id == session_id, UserSession.revoked_at.is_(None))
        .values(revoked_at=now or utcnow(), ticket_hash=None)
    )


def end_all(session: Session, user_id: int, *, now: datetime | None = None) -> int:
    """Every open session of a user (sign out everywhere; a new password, role or deactivation)."""
    result = session.execute(
        update(UserSession)
        .where(UserSession.user_id == user_id, UserSession.revoked_at.is_(None))
        .values(revoked_at=now or utcnow(), ticket_hash=None)
    )
    return result.rowcount


def revoke(session: Session, actor: Actor, session_id: int, *, now: datetime | None = None) -> None:
    """An admin ends someone's session."""
    require_role(actor, Role.ADMIN, action="manage_sessions")
    if session.get(UserSession, session_id) is None:
        raise NotFound(Message("session.missing", id=session_id))
    end(session, session_id, now=now)


def open_sessions(
    session: Session, actor: Actor, *, lifetimes: Lifetimes, now: datetime | None = None
) -> list[SessionInfo]:
    """The sessions still open, newest first (an admin's view of who is signed in where)."""
    require_role(actor, Role.ADMIN, action="manage_sessions")
    now = now or utcnow()
    rows = session.execute(
        select(UserSession, User.display_name)
        .join(User, User.id == UserSession.user_id)
        .where(
            UserSession.revoked_at.is_(None),
            UserSession.expires_at > now,
            UserSession.last_seen_at > now - lifetimes.idle,
            User.is_active.is_(True),
            User.role == UserSession.role,
        )
        .order_by(UserSession.last_seen_at.desc(), UserSession.id.desc())
    ).all()
    return [
        SessionInfo(
            row.id,
            row.user_id,
            name,
            row.created_at,
            row.last_seen_at,
            row.expires_at,
            row.client,
            row.user_agent,
        )
        for row, name in rows
    ]
