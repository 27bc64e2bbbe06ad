"""Who may do what (SPEC §1): checked by every service before it writes, and asked by the pages
before they offer something."""

from dataclasses import dataclass

from core.errors import PermissionDenied
from core.messages import Message, joined
from db.models import Role

ROLES = tuple(Role)


@dataclass(frozen=True)
class Actor:
    """The user on whose behalf a service runs. `id` is None for the system (CLI, seed)."""

    id: int | None
    role: Role
    team_id: int | None = None

    @classmethod
    def system(cls) -> "Actor":
        return cls(id=None, role=Role.ADMIN)

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def sees_everyone(self) -> bool:
        """Executives and admins read everyone's deals and figures; a manager only their own."""
        return self.role != Role.MANAGER

    @property
    def scope(self) -> tuple:
        """Whose figures this actor sees, for sharing them: every executive (or admin) the same,
        everyone's; a manager only their own, shared with nobody."""
        return (self.role,) if self.sees_everyone else (self.role, self.id)

    @property
    def oversees(self) -> bool:
        """Executives and admins set the plans and hand deals from one manager to another."""
        return self.role in (Role.EXECUTIVE, Role.ADMIN)

    @property
    def creates_deals(self) -> bool:
        """Managers (for themselves) and admins create deals; executives only read."""
        return self.role in (Role.MANAGER, Role.ADMIN)

    def may_write(self, owner_id: int) -> bool:
        """Managers change their own records; admins everyone's; executives only read."""
        return self.is_admin or (self.role == Role.MANAGER and self.id == owner_id)


def require_role(actor: Actor, *roles: Role, action: str) -> None:
    """`action` names what is refused, a code of core.messages ("create_deals": "action.create_deals").

    The phrase is made before the check, so a misspelt action fails every call, not only a refused one."""
    phrase = Message(f"action.{action}")
    if actor.role not in roles:
        allowed = joined([Message(f"roles.{role.value}") for role in roles], "or")
        raise PermissionDenied(Message("permission.roles", roles=allowed, action=phrase))


def require_owner_or_admin(actor: Actor, owner_id: int, *, action: str) -> None:
    """`action` as for require_role."""
    phrase = Message(f"action.{action}")
    if not actor.may_write(owner_id):
        raise PermissionDenied(Message("permission.owner", action=phrase))


def visible_owner_ids(actor: Actor, owner_ids: tuple[int, ...]) -> tuple[int, ...]:
    """Managers see their own deals only; the others see the owners asked for (none = everyone)."""
    if actor.sees_everyone:
        return owner_ids
    if owner_ids and set(owner_ids) != {actor.id}:
        raise PermissionDenied(Message("permission.own_deals"))
    return (actor.id,)
