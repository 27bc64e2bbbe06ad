"""Personal API tokens: created by their user (shown once, stored as SHA-256), revoked by them or an
admin; a token acts with its user's role and rights, as they are when it is used.

An intake token (admins only) may do nothing but post leads into one pipeline; it also holds where
those leads go (core.intake).
"""

import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from core import users
from core.clock import utcnow
from core.errors import NotFound, PermissionDenied, ValidationError
from core.messages import Message
from core.permissions import Actor, require_role
from core.sessions import digest
from core.validation import clean_count, clean_date, clean_text
from db.models import ApiToken, Pipeline, Role, Team, TokenScope, User

PREFIX = "fnl_"  # tells a token from other secrets in a log or a secret scanner
TOUCH_EVERY = timedelta(minutes=1)  # how stale "last used" may get before a call writes it anew
MAX_WINDOW_DAYS = 365
DEFAULT_WINDOW_DAYS = 30


@dataclass(frozen=True)
class TokenInfo:
    id: int
    user_id: int
    user_name: str
    name: str
    scope: TokenScope
    created_at: datetime
    last_used_at: datetime | None
    expires_at: datetime | None
    intake_pipeline_id: int | None
    intake_team_id: int | None
    intake_owner_id: int | None
    intake_window_days: int


@dataclass(frozen=True)
class Caller:
    """Who a token speaks for: its user as stored now, and the token."""

    user: users.UserInfo
    token: TokenInfo
    touch: bool  # "last used" is stale: the caller should write it (`touch`)


@dataclass(frozen=True)
class Intake:
    """Where an intake token's leads go."""

    pipeline_id: int
    team_id: int | None = None
    owner_id: int | None = None
    window_days: int = DEFAULT_WINDOW_DAYS


def create(
    session: Session,
    actor: Actor,
    name: str,
    *,
    expires_on: date | str | None = None,
    intake: Intake | None = None,
    now: datetime | None = None,
) -> tuple[int, str]:
    """A new token of the actor's; returns its id and the secret, which is never stored or shown again.
    It expires at the end of `expires_on` (UTC), or never."""
    now = now or utcnow()
    if actor.id is None:
        raise PermissionDenied(Message("token.user_only"))
    errors: dict[str, Message] = {}
    clean_name = clean_text(errors, "name", name, required=True)
    expiry = clean_date(errors, "expires_on", expires_on)
    if expiry is not None and expiry < now.date():
        errors["expires_on"] = Message("token.expiry_past")
    values = {}
    if intake is not None:
        require_role(actor, Role.ADMIN, action="create_intake_tokens")
        values = _clean_intake(session, errors, intake)
    if errors:
        raise ValidationError(errors)
    secret = PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(
        user_id=actor.id,
        name=clean_name,
        token_hash=digest(secret),
        scope=TokenScope.INTAKE if intake else TokenScope.API,
        created_at=now,
        expires_at=None if expiry is None else datetime.combine(expiry + timedelta(days=1), time(), tzinfo=UTC),
        **values,
    )
    session.add(row)
    session.flush()
    return row.id, secret


def _clean_intake(session: Session, errors: dict[str, Message], intake: Intake) -> dict:
    pipeline = session.get(Pipeline, intake.pipeline_id) if intake.pipeline_id is not None else None
    if pipeline is None or pipeline.is_archived:
        errors["pipeline_id"] = Message("deal.active_pipeline")
    if (intake.team_id is None) == (intake.owner_id is None):
        errors["owner_id"] = Message("token.team_or_owner")
    elif intake.team_id is not None and session.get(Team, intake.team_id) is None:
        errors["team_id"] = Message("no_such.team", id=intake.team_id)
    elif intake.owner_id is not None:
        owner = session.get(User, intake.owner_id)
        if owner is None or not owner.is_active or owner.role == Role.EXECUTIVE:
            errors["owner_id"] = Message("choose_active_user")
    window = clean_count(errors, "window_days", intake.window_days)
    if window is not None and window > MAX_WINDOW_DAYS:
        errors["window_days"] = Message("at_most", maximum=MAX_WINDOW_DAYS)
    return {
        "intake_pipeline_id": intake.pipeline_id,
        "intake_team_id": intake.team_id,
        "intake_owner_id": intake.owner_id,
        "intake_window_days": window,
    }


def authenticate(session: Session, secret: str, *, now: datetime | None = None) -> Caller | None:
    """The caller a secret speaks for, or None: no such token, revoked, expired, or its user inactive."""
    now = now or utcnow()
    if not secret or not secret.startswith(PREFIX):
        return None
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == digest(secret)))
    if row is None or row.revoked_at is not None or (row.expires_at is not None and now >= row.expires_at):
        return None
    user = users.active_user(session, row.user_id)
    if user is None:
        return None
    stale = row.last_used_at is None or now - row.last_used_at >= TOUCH_EVERY
    return Caller(user, _info(row, user.display_name), touch=stale)


def touch(session: Session, token_id: int, *, now: datetime | None = None) -> None:
    now = now or utcnow()
    session.execute(update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=now))


def revoke(session: Session, actor: Actor, token_id: int, *, now: datetime | None = None) -> None:
    """Its user, or an admin, ends a token: every call with it is refused from now on."""
    row = session.get(ApiToken, token_id)
    if row is None or (row.user_id != actor.id and not actor.is_admin):
        raise NotFound(Message("token.missing", id=token_id))
    if row.revoked_at is None:
        row.revoked_at = now or utcnow()


def list_tokens(
    session: Session, actor: Actor, *, everyone: bool = False, now: datetime | None = None
) -> list[TokenInfo]:
    """The tokens still usable: the actor's own, or (an admin's view) everyone's. Newest first."""
    now = now or utcnow()
    query = (
        select(ApiToken, User.display_name)
        .join(User, User.id == ApiToken.user_id)
        .where(ApiToken.revoked_at.is_(None))
        .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
    )
    if everyone:
        require_role(actor, Role.ADMIN, action="manage_tokens")
    else:
        query = query.where(ApiToken.user_id == actor.id)
    rows = session.execute(query).all()
    return [_info(row, name) for row, name in rows if row.expires_at is None or row.expires_at > now]


def _info(row: ApiToken, user_name: str) -> TokenInfo:
    return TokenInfo(
        id=row.id,
        user_id=row.user_id,
        user_name=user_name,
        name=row.name,
        scope=row.scope,
        created_at=row.created_at,
        last_used_at=row.last_used_at,
        expires_at=row.expires_at,
        intake_pipeline_id=row.intake_pipeline_id,
        intake_team_id=row.intake_team_id,
        intake_owner_id=row.intake_owner_id,
        intake_window_days=row.intake_window_days,
    )
