"""Sign-in with a login and password, the locks after repeated failures, and the sign-in log.

Each attempt is counted before its password is checked, per login and per client address, in one
statement that reads and adds at once: however many attempts arrive together, at most the limit of
them reach the password check before the lock. The counting, the check and the outcome run apart: the
check (argon2, ~0.1 s) holds no write transaction, which on SQLite would hold the whole database.
"""

import threading
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, and_, case, delete, insert, null, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.sql.dml import ReturningInsert

from core import users
from core.clock import utcnow
from core.permissions import Actor, require_role
from db.engine import transaction
from db.models import LoginAttempt, LoginEvent, LoginOutcome, Role, User

MAX_FAILED_SIGN_INS = 5  # in a row for one login, whoever tries it
MAX_FAILED_SIGN_INS_PER_CLIENT = 20  # in a row from one address, whatever logins it tries
LOCKOUT = timedelta(minutes=5)  # the first lock; each further lock of the same key lasts twice as long
MAX_LOCKOUT = timedelta(hours=24)
MAX_LOGIN_LENGTH = 100
MAX_CLIENT_LENGTH = 45  # the longest text form of an IPv6 address
MAX_USER_AGENT_LENGTH = 300

Outcome = LoginOutcome  # what a sign-in answers, as the log stores it

# A check takes 64 MiB and a few cores for ~0.1 s (argon2) and holds a pooled connection meanwhile: a
# crowd of attempts at once (many logins, many addresses: no lock stops them) queues here, not for
# the pool the pages need, nor for all of the memory.
PARALLEL_PASSWORD_CHECKS = 4
_PASSWORD_CHECKS = threading.BoundedSemaphore(PARALLEL_PASSWORD_CHECKS)
# SQLite has one writer at a time. Left to its busy handler, a crowd of sign-ins polls for the write lock
# (sleeping up to 0.1 s between tries), and some wait past the busy timeout while others get in again and
# again; queued here instead, this process's sign-ins write in turn, and the pages' writes meet one of them.
_SQLITE_WRITES = threading.Lock()


@dataclass(frozen=True)
class SignInResult:
    outcome: Outcome
    user: users.UserInfo | None = None
    locked_until: datetime | None = None


@dataclass(frozen=True)
class LoginEventInfo:
    at: datetime
    login: str
    user_id: int | None
    user_name: str | None  # the display name of the login's user, when there is one
    client: str
    user_agent: str
    outcome: Outcome


@dataclass(frozen=True)
class _Counter:
    key: str
    limit: int


def lock_duration(locks: int) -> timedelta:
    """How long the `locks`-th lock in a row lasts: 5 minutes, 10, 20 … at most a day."""
    return min(LOCKOUT * 2 ** min(max(locks - 1, 0), 20), MAX_LOCKOUT)


def sign_in(
    engine: Engine,
    login: str,
    password: str,
    *,
    client: str = "",
    user_agent: str = "",
    now: datetime | None = None,
) -> SignInResult:
    """Check a login and password, from the client address `client` ("" when unknown), and log it.

    Unknown logins, wrong passwords and deactivated users get one answer in one time; a lock is kept
    by the login as typed and by the address, so it never tells whether a login exists."""
    now = now or utcnow()
    typed, client, user_agent = (
        _printable(login, MAX_LOGIN_LENGTH),
        _printable(client, MAX_CLIENT_LENGTH).strip(),
        _printable(user_agent, MAX_USER_AGENT_LENGTH),
    )
    key = typed.strip().lower()
    # Counted in the order of their keys ("client:" before "login:"): two attempts never deadlock.
    counters = [_Counter(f"client:{client}", MAX_FAILED_SIGN_INS_PER_CLIENT)] if client else []
    counters.append(_Counter(f"login:{key}", MAX_FAILED_SIGN_INS))
    event = {"login": typed, "client": client, "user_agent": user_agent}

    with _writing(engine) as session:
        reserved = _reserve(session, counters, now)
        if reserved.refused_until is not None:
            _log(session, now, key, event, Outcome.LOCKED)
            return SignInResult(Outcome.LOCKED, locked_until=reserved.refused_until)

    with _PASSWORD_CHECKS, transaction(engine) as session:
        user = users.authenticate(session, key, password or "")

    with _writing(engine) as session:
        if user is not None:
            session.execute(delete(LoginAttempt).where(LoginAttempt.key.in_([c.key for c in counters])))
            _log(session, now, key, event, Outcome.SIGNED_IN, user_id=user.id)
            return SignInResult(Outcome.SIGNED_IN, user=user)
        outcome = Outcome.WRONG_CREDENTIALS if reserved.locked_until is None else Outcome.LOCKED
        _log(session, now, key, event, outcome)
    return SignInResult(outcome, locked_until=reserved.locked_until)


@dataclass(frozen=True)
class _Reservation:
    refused_until: datetime | None = None  # a lock stood: the attempt goes no further
    locked_until: datetime | None = None  # the attempt reached a limit and locked it: it is the last checked


def _reserve(session: Session, counters: list[_Counter], now: datetime) -> _Reservation:
    """Count this attempt against each counter, unless one of them is locked."""
    standing = _locked_until(session, counters, now)
    if standing is not None:  # counted against none: a locked login does not count against the address
        return _Reservation(refused_until=standing)
    locked = None
    for counter in counters:
        failures, locks, locked_until = session.execute(_count_statement(session, counter.key, now)).one()
        if locked_until is None and failures >= counter.limit:
            locked_until = now + lock_duration(locks + 1)
            session.execute(
                update(LoginAttempt)
                .where(LoginAttempt.key == counter.key)
                .values(locks=locks + 1, locked_until=locked_until)
            )
            if failures == counter.limit:
                locked = max(locked or locked_until, locked_until)
                continue
        if locked_until is not None:  # locked since the look above, by an attempt beside this one
            return _Reservation(refused_until=locked_until)
    return _Reservation(locked_until=locked)


def _count_statement(session: Session, key: str, now: datetime) -> ReturningInsert:
    """INSERT … ON CONFLICT DO UPDATE … RETURNING: one more attempt in a row, counted from 1 again
    once a lock has run out, read in the same statement so no two attempts get the same number."""
    upsert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    expired = and_(LoginAttempt.locked_until.is_not(None), LoginAttempt.locked_until <= now)
    return (
        upsert(LoginAttempt)
        .values(key=key, failures=1, locks=0, locked_until=None)
        .on_conflict_do_update(
            index_elements=[LoginAttempt.key],
            set_={
                "failures": case((expired, 1), else_=LoginAttempt.failures + 1),
                "locked_until": case((expired, null()), else_=LoginAttempt.locked_until),
            },
        )
        .returning(LoginAttempt.failures, LoginAttempt.locks, LoginAttempt.locked_until)
    )


def _locked_until(session: Session, counters: list[_Counter], now: datetime) -> datetime | None:
    """The end of the latest lock standing on any of the counters, or None."""
    return session.scalar(
        select(LoginAttempt.locked_until)
        .where(LoginAttempt.key.in_([c.key for c in counters]), LoginAttempt.locked_until > now)
        .order_by(LoginAttempt.locked_until.desc())
        .limit(1)
    )


@contextmanager
def _writing(engine: Engine) -> Iterator[Session]:
    with (
        _SQLITE_WRITES if engine.dialect.name == "sqlite" else nullcontext(),
        transaction(engine, write=True) as session,
    ):
        yield session


def _log(
    session: Session, now: datetime, key: str, event: dict[str, str], outcome: Outcome, *, user_id: int | None = None
) -> None:
    if user_id is None:
        user_id = session.scalar(select(User.id).where(User.login == key))
    session.execute(insert(LoginEvent).values(at=now, user_id=user_id, outcome=outcome, **event))


def _printable(text: object, maximum: int) -> str:
    """The text without control characters (a NUL above all, which PostgreSQL refuses in text): they
    are no part of a login, an address or a browser's name. Anything but a str (None) is ""."""
    text = text if isinstance(text, str) else ""
    return "".join(char for char in text if char.isprintable())[:maximum]


def login_events(session: Session, actor: Actor, *, limit: int = 200) -> list[LoginEventInfo]:
    """The latest sign-in attempts, newest first (admins only)."""
    require_role(actor, Role.ADMIN, action="read_login_log")
    rows = session.execute(
        select(LoginEvent, User.display_name)
        .outerjoin(User, User.id == LoginEvent.user_id)
        .order_by(LoginEvent.at.desc(), LoginEvent.id.desc())
        .limit(limit)
    ).all()
    return [LoginEventInfo(e.at, e.login, e.user_id, name, e.client, e.user_agent, e.outcome) for e, name in rows]
