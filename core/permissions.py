"""Who may do what (SPEC §1), checked by every service before it writes."""

from dataclasses import dataclass

from core.errors import PermissionDenied
from db.models import Role


@dataclass(frozen=True)
class Actor:
    """The user on whose behalf a service runs. `id` is None for the system (CLI, seed)."""

    id: int | None
    role: Role
    team_id: int | None = None

    @classmethod
    def system(cls) -> "Actor":
        return cls(id=None, role=Role.ADMIN)


def require_role(actor: Actor, *roles: Role, action: str) -> None:
    if actor.role not in roles:
        allowed = " or ".join(role.value for role in roles)
        raise PermissionDenied(f"Only {allowed} users may {action}.")


def require_owner_or_admin(actor: Actor, owner_id: int, *, action: str) -> None:
    """Managers touch only their own records; admins touch everything; executives only read."""
    if actor.role == Role.ADMIN:
        return
    if actor.role == Role.MANAGER and actor.id == owner_id:
        return
    raise PermissionDenied(f"You may not {action}: it belongs to another user.")
