"""How a page reaches the database: `read` for what it shows, `figures` for the dashboards' figures
(cached per data version), `live` for the part of a page that follows changes as they happen, and
`perform` for a user action, one write transaction each, with what went wrong told to the user.
Pages call core through these; none opens a session itself."""

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import streamlit as st
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.orm import Session

from core import sessions
from core.clock import utcnow
from core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from core.live import data_version
from db.engine import transaction
from ui import resources
from ui.i18n import error_text, field_errors, t
from ui.state import SESSION_ID

# The database did not answer: SQLite busy past its timeout, PostgreSQL restarting or unreachable.
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError)
LIVE_SECONDS = 5  # an open live page shows a change made anywhere within this (plus one query time)
T = TypeVar("T")


def read(query: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """`query(session, *args, **kwargs)` in one read transaction: a page's reads."""
    with transaction(resources.engine()) as session:
        return query(session, *args, **kwargs)


# The functions `figures` has run, by name: the cache keeps their results, and their name.
_COMPUTED: dict[str, Callable[..., Any]] = {}


def figures(version: int, compute: Callable[..., T], *args: Any) -> T:
    """`compute(session, *args)` read once per data version, arguments and hour for every session of
    this process: every open dashboard recomputes only when something it shows has changed (or the
    hour turned, for the figures that age, like the days in stage)."""
    name = f"{compute.__code__.co_filename}:{compute.__qualname__}"
    _COMPUTED[name] = compute
    return _cached(name, version, utcnow().strftime("%Y%m%d%H"), args)


@st.cache_data(ttl=3600, max_entries=256, show_spinner=False)
def _cached(name: str, version: int, hour: str, args: tuple) -> Any:
    """Keyed by every argument (st.cache_data leaves out only those whose names start with _)."""
    return read(_COMPUTED[name], *args)


def _tick(session: Session, session_id: int | None) -> tuple[bool, int]:
    """Whether the signed-in session has ended, and the data version: what a live part reads."""
    ended = session_id is None or (
        sessions.check(session, session_id, lifetimes=resources.settings().session_lifetimes).user is None
    )
    return ended, data_version(session)


def live(render: Callable[[int], None]) -> Callable[[], None]:
    """A part of a page redrawn every LIVE_SECONDS with the data version it shows (it reads one row to
    know it); when the database does not answer, a note in its place, tried again on the next tick.
    A session that ended meanwhile (signed out elsewhere, revoked, the user deactivated) reruns the
    whole app at the tick, which signs it out."""

    @st.fragment(run_every=LIVE_SECONDS)
    @shielded
    @functools.wraps(render)
    def part() -> None:
        ended, version = read(_tick, st.session_state.get(SESSION_ID))
        if ended:
            st.rerun()
        render(version)

    return part


@dataclass
class Outcome:
    ok: bool
    value: Any = None
    errors: dict[str, str] = field(default_factory=dict)
    conflict: bool = False
    message: str = ""  # what went wrong, in the user's words


def attempt(action: Callable[[Session], Any]) -> Outcome:
    """Run `action` in its own write transaction; nothing is half-written when it fails, and what
    went wrong is in the outcome, in the user's words."""
    try:
        with transaction(resources.engine(), write=True) as session:
            return Outcome(True, action(session))
    except ValidationError as error:
        return Outcome(False, errors=error.errors, message=field_errors(error))
    except Conflict as error:
        return Outcome(False, conflict=True, message=error_text(error))
    except (PermissionDenied, NotFound) as error:
        return Outcome(False, message=t("error.permission", message=error_text(error)))
    except DATABASE_UNAVAILABLE:
        return Outcome(False, message=t("error.database"))


def perform(action: Callable[[Session], Any], *, success: str | None = None, where=st) -> Outcome:
    """`attempt(action)`, then a toast when it worked, or what went wrong shown in `where` (a
    container), or only in the outcome when `where` is None."""
    outcome = attempt(action)
    if outcome.ok and success:
        st.toast(success, icon=":material/check:")
    elif not outcome.ok and where is not None:
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
