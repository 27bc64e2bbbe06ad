"""Running one user action as one write transaction, and telling the user what went wrong."""

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import streamlit as st
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.orm import Session

from core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from db.engine import transaction
from ui import resources
from ui.i18n import error_text, field_errors, t

# The database did not answer: SQLite busy past its timeout, PostgreSQL restarting or unreachable.
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError)


@dataclass
class Outcome:
    ok: bool
    value: Any = None
    errors: dict[str, str] = field(default_factory=dict)
    conflict: bool = False
    message: str = ""  # what went wrong, in the user's words


def perform(action: Callable[[Session], Any], *, success: str | None = None, where=st) -> Outcome:
    """Run `action` in its own write transaction; nothing is half-written when it fails.

    The message goes to `where` (a container), or only into the outcome when `where` is None.
    """
    try:
        with transaction(resources.engine(), write=True) as session:
            value = action(session)
    except ValidationError as error:
        outcome = Outcome(False, errors=error.errors, message=field_errors(error))
    except Conflict as error:
        outcome = Outcome(False, conflict=True, message=error_text(error))
    except (PermissionDenied, NotFound) as error:
        outcome = Outcome(False, message=t("error.permission", message=error_text(error)))
    except DATABASE_UNAVAILABLE:
        outcome = Outcome(False, message=t("error.database"))
    else:
        if success:
            st.toast(success, icon=":material/check:")
        return Outcome(True, value)
    if where is not None:
        (where.warning if outcome.conflict else where.error)(outcome.message)
    return outcome


def shielded(render: Callable[[], None]) -> Callable[[], None]:
    """A page part that reads the database: when the database does not answer, a message in its
    place instead of a stack trace (a live part tries again on its next tick)."""

    @functools.wraps(render)
    def guarded() -> None:
        try:
            render()
        except DATABASE_UNAVAILABLE:
            st.warning(t("error.database_read"))

    return guarded
