"""Sign-in with a login and password, and the lock after repeated failures (stored in the database)."""

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from core import users
from core.clock import utcnow
from db.models import LoginAttempt

MAX_FAILED_SIGN_INS = 5
LOCKOUT = timedelta(minutes=5)


class Outcome(enum.StrEnum):
    SIGNED_IN = "signed_in"
    WRONG_CREDENTIALS = "wrong_credentials"  # wrong login, wrong password or deactivated: one answer
    LOCKED = "locked"


@dataclass(frozen=True)
class SignInResult:
    outcome: Outcome
    user: users.UserInfo | None = None
    locked_until: datetime | None = None


def sign_in(session: Session, login: str, password: str, *, now: datetime | None = None) -> SignInResult:
    """Check a login and password. Failures are written in this transaction: commit it either way."""
    now = now or utcnow()
    key = (login or "").strip().lower()[:100]
    attempt = session.get(LoginAttempt, key)
    if attempt is not None and attempt.locked_until is not None and attempt.locked_until > now:
        return SignInResult(Outcome.LOCKED, locked_until=attempt.locked_until)

    user = users.authenticate(session, key, password or "")
    if user is not None:
        if attempt is not None:
            session.delete(attempt)
            session.flush()
        return SignInResult(Outcome.SIGNED_IN, user=user)

    if attempt is None:
        attempt = LoginAttempt(login=key, failures=0)
        session.add(attempt)
    elif attempt.locked_until is not None:  # an expired lock: count afresh
        attempt.failures, attempt.locked_until = 0, None
    attempt.failures += 1
    if attempt.failures >= MAX_FAILED_SIGN_INS:
        attempt.failures, attempt.locked_until = 0, now + LOCKOUT
        return SignInResult(Outcome.LOCKED, locked_until=attempt.locked_until)
    return SignInResult(Outcome.WRONG_CREDENTIALS)
