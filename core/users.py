"""Users and teams. Logins are unique case-insensitively; passwords are argon2 hashes."""

import re
from dataclasses import dataclass

from argon2 import PasswordHasher, extract_parameters
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.clock import utcnow
from core.errors import NotFound, ValidationError
from core.messages import Message
from core.permissions import Actor, require_role
from core.validation import clean_text
from db.models import Deal, Role, StageKind, Team, User

_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 1024
_hasher = PasswordHasher()
# Matches no password: a user created by an import signs in once an admin has set their password.
NO_PASSWORD_HASH = "!no password set"
# Verified against when the login is unknown, so a wrong login takes as long as a wrong password.
_DUMMY_HASH = _hasher.hash("not a real password")


@dataclass(frozen=True)
class TeamInfo:
    id: int
    name: str


@dataclass(frozen=True)
class UserInfo:
    id: int
    login: str
    display_name: str
    role: Role
    team_id: int | None
    is_active: bool
    email: str | None = None  # where the app's e-mails to them go (none: they get none)

    def as_actor(self) -> Actor:
        return Actor(id=self.id, role=self.role, team_id=self.team_id)


def _info(user: User) -> UserInfo:
    return UserInfo(user.id, user.login, user.display_name, user.role, user.team_id, user.is_active, user.email)


def _check_password(errors: dict[str, Message], password: object) -> None:
    if not isinstance(password, str) or len(password) < MIN_PASSWORD_LENGTH:
        errors["password"] = Message("at_least_characters", minimum=MIN_PASSWORD_LENGTH)
    elif len(password) > MAX_PASSWORD_LENGTH:
        errors["password"] = Message("at_most_characters", maximum=MAX_PASSWORD_LENGTH)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def create_team(session: Session, actor: Actor, name: str) -> int:
    require_role(actor, Role.ADMIN, action="create_teams")
    errors: dict[str, Message] = {}
    team_name = clean_text(errors, "name", name, required=True)
    if errors:
        raise ValidationError(errors)
    if find_team(session, team_name):
        raise ValidationError({"name": Message("team.exists", name=team_name)})
    team = Team(name=team_name)
    session.add(team)
    session.flush()
    return team.id


def find_team(session: Session, name: str) -> int | None:
    return session.scalar(select(Team.id).where(func.lower(Team.name) == name.strip().lower()))


def create_user(
    session: Session,
    actor: Actor,
    *,
    login: str,
    display_name: str,
    role: Role | str,
    password: str,
    team_id: int | None = None,
    password_hash: str | None = None,
) -> int:
    """Create a user. `password_hash` lets bulk callers (the demo seed) hash a shared password once."""
    require_role(actor, Role.ADMIN, action="create_users")
    errors: dict[str, Message] = {}
    clean_login = clean_text(errors, "login", login, required=True, max_length=100)
    clean_name = clean_text(errors, "display_name", display_name, required=True)
    if password_hash is None:
        _check_password(errors, password)
    try:
        clean_role = Role(role)
    except ValueError:
        errors["role"] = Message("one_of", choices=", ".join(r.value for r in Role))
    if team_id is not None and session.get(Team, team_id) is None:
        errors["team_id"] = Message("team.missing", id=team_id)
    if clean_login and session.scalar(select(User.id).where(User.login == clean_login.lower())):
        errors["login"] = Message("login.taken", login=clean_login)
    if errors:
        raise ValidationError(errors)
    user = User(
        login=clean_login.lower(),
        display_name=clean_name,
        role=clean_role,
        team_id=team_id,
        password_hash=password_hash or hash_password(password),
        created_at=utcnow(),
    )
    session.add(user)
    session.flush()
    return user.id


def set_password(session: Session, actor: Actor, user_id: int, password: str) -> None:
    if actor.id != user_id:
        require_role(actor, Role.ADMIN, action="reset_passwords")
    errors: dict[str, Message] = {}
    _check_password(errors, password)
    if errors:
        raise ValidationError(errors)
    _get(session, user_id).password_hash = hash_password(password)


def authenticate(session: Session, login: str, password: str) -> UserInfo | None:
    """The user whose login and password match and who is active; None otherwise.

    Every answer costs one argon2 verification, against the dummy hash when the login is unknown or
    its user has no usable hash (an imported user), so the time tells no login from another."""
    user = session.scalar(select(User).where(User.login == (login or "").strip().lower()))
    stored = user.password_hash if user is not None and _usable(user.password_hash) else _DUMMY_HASH
    try:
        _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None or not user.is_active or stored is _DUMMY_HASH:
        return None
    return _info(user)


def _usable(password_hash: str) -> bool:
    try:
        extract_parameters(password_hash)
    except InvalidHashError:
        return False
    return True


def has_users(session: Session) -> bool:
    return session.scalar(select(User.id).limit(1)) is not None


def active_user(session: Session, user_id: int) -> UserInfo | None:
    """The user as stored now, or None when deactivated or gone: a signed-in session re-checks this."""
    user = session.get(User, user_id)
    return _info(user) if user is not None and user.is_active else None


def update_user(
    session: Session,
    actor: Actor,
    user_id: int,
    *,
    display_name: str,
    role: Role | str,
    team_id: int | None,
    is_active: bool,
) -> None:
    """Change a user's name, role, team and active flag. The last active admin stays an active admin."""
    require_role(actor, Role.ADMIN, action="edit_users")
    user = _get(session, user_id)
    errors: dict[str, Message] = {}
    clean_name = clean_text(errors, "display_name", display_name, required=True)
    try:
        clean_role = Role(role)
    except ValueError:
        errors["role"] = Message("one_of", choices=", ".join(r.value for r in Role))
        clean_role = user.role
    if team_id is not None and session.get(Team, team_id) is None:
        errors["team_id"] = Message("team.missing", id=team_id)
    stays_admin = clean_role == Role.ADMIN and is_active
    if user.role == Role.ADMIN and user.is_active and not stays_admin and _other_active_admins(session, user_id) == 0:
        field = "is_active" if not is_active else "role"
        errors[field] = Message("user.last_admin")
    if errors:
        raise ValidationError(errors)
    user.display_name, user.role, user.team_id, user.is_active = (
        clean_name,
        clean_role,
        team_id,
        bool(is_active),
    )


def set_email(session: Session, actor: Actor, user_id: int, email: str | None) -> None:
    """Where the app's e-mails to a user go (an admin's change, or their own); empty: none."""
    if actor.id != user_id:
        require_role(actor, Role.ADMIN, action="edit_users")
    user = _get(session, user_id)
    errors: dict[str, Message] = {}
    clean_email = clean_text(errors, "email", email, max_length=200)
    if clean_email is not None and not _EMAIL.fullmatch(clean_email):
        errors["email"] = Message("email")
    if errors:
        raise ValidationError(errors)
    user.email = clean_email


def open_deal_count(session: Session, actor: Actor, user_id: int) -> int:
    """How many open deals the user owns: a deactivated user keeps them until they are reassigned."""
    require_role(actor, Role.ADMIN, action="edit_users")
    return session.scalar(
        select(func.count())
        .select_from(Deal)
        .where(Deal.owner_id == _get(session, user_id).id, Deal.status == StageKind.OPEN)
    )


def _other_active_admins(session: Session, user_id: int) -> int:
    return session.scalar(
        select(func.count())
        .select_from(User)
        .where(User.role == Role.ADMIN, User.is_active.is_(True), User.id != user_id)
    )


def list_teams(session: Session) -> list[TeamInfo]:
    return [TeamInfo(team.id, team.name) for team in session.scalars(select(Team).order_by(Team.name))]


def get_user(session: Session, user_id: int) -> UserInfo:
    return _info(_get(session, user_id))


def find_user(session: Session, login: str) -> UserInfo:
    user = session.scalar(select(User).where(User.login == login.strip().lower()))
    if user is None:
        raise NotFound(Message("not_found.user_login", login=login))
    return _info(user)


def list_managers(session: Session) -> list[UserInfo]:
    """The active managers, by name."""
    return list_users(session, role=Role.MANAGER)


def list_users(session: Session, *, role: Role | None = None, active_only: bool = True) -> list[UserInfo]:
    query = select(User).order_by(User.display_name)
    if role is not None:
        query = query.where(User.role == role)
    if active_only:
        query = query.where(User.is_active.is_(True))
    return [_info(user) for user in session.scalars(query)]


def _get(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(Message("not_found.user", id=user_id))
    return user
