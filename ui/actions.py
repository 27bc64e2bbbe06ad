"""How a page reaches the database: `read` for what it shows, `figures` for the dashboards' figures
(computed once per data version for every session of the process), `live` for the part of a page
that follows changes as they happen, and `perform` for a user action, one write transaction each,
with what went wrong told to the user. Pages call core through these; none opens a session itself."""

import functools
from collections.abc import Callable, Hashable
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

import streamlit as st
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.orm import Session

from core import sessions
from core.clock import utcnow
from core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from core.figures import Computed, SharedFigures
from core.live import data_version
from core.permissions import Actor
from db.engine import transaction, write
from ui import resources
from ui.i18n import error_text, field_errors, t
from ui.state import SESSION_ID, TOASTS, Live, key

# The database did not answer: SQLite busy past its timeout, PostgreSQL restarting or unreachable.
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError)
# An open live page asks this often whether its figures changed; a change made anywhere shows within
# two of these (one when changes are rarer than that) plus the time to compute the figures.
LIVE_SECONDS = 5
T = TypeVar("T")


def read(query: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """`query(session, *args, **kwargs)` in one read transaction: a page's reads."""
    with transaction(resources.engine()) as session:
        return query(session, *args, **kwargs)


# One store per process: every session of this process shares its figures (core.figures).
_SHARED = SharedFigures(fresh_for=LIVE_SECONDS)
# The figures a live part is drawing now: their views and the markers they were computed at.
_DRAWING: ContextVar[dict[Hashable, Computed] | None] = ContextVar("drawing", default=None)

# Asks the server every `ms` whether the live part it belongs to shows the latest figures; the
# answer reruns that part alone, and only when its figures changed (ui.actions.live).
_TICKER_JS = """
export default function ({ data, setTriggerValue }) {
  const timer = setInterval(() => setTriggerValue("tick", Date.now()), data.ms);
  return () => clearInterval(timer);
}
"""
_TICKER = st.components.v2.component("sales_funnel_live", html="<span></span>", js=_TICKER_JS)


def figures(version: int, compute: Callable[..., T], *args: Any) -> T:
    """`compute(session, *args)` as of data version `version`, computed once for every session of
    this process that shows the same view (the same function, arguments, visibility and hour: the
    figures that age, like the days in stage, turn with the hour). Executives share figures; a
    manager's own are shared with nobody (core.permissions.Actor.scope)."""
    view = _view(compute, args)
    computed = _SHARED.get(view, version, lambda: read(compute, *args))
    drawing = _DRAWING.get()
    if drawing is not None:
        drawing[view] = computed
    return computed.value()


def _view(compute: Callable, args: tuple) -> tuple:
    """The database, the function, its arguments (by their repr, which is their value: a page's own
    dataclasses are new classes on every run of the page) and the hour."""
    scoped = repr(tuple(arg.scope if isinstance(arg, Actor) else arg for arg in args))
    name = f"{compute.__code__.co_filename}:{compute.__qualname__}"
    return resources.settings().database_url, name, scoped, utcnow().strftime("%Y%m%d%H")


def _tick(session: Session, session_id: int | None) -> tuple[bool, int]:
    """Whether the signed-in session has ended, and the data version: what a live part reads."""
    ended = session_id is None or (
        sessions.check(session, session_id, lifetimes=resources.settings().session_lifetimes).user is None
    )
    return ended, data_version(session)


def live(render: Callable[[int], None]) -> Callable[[], None]:
    """A part of a page that follows changes: `render(version)` draws it with the figures of that
    data version. Every LIVE_SECONDS a ticker asks whether what it shows is still the latest
    (one read); only when its figures changed does the part rerun, alone, and redraw. When the
    database does not answer, a note in its place, tried again on the next tick. A session that
    ended meanwhile (signed out elsewhere, revoked, the user deactivated) reruns the whole app at
    the tick, which signs it out."""
    part = render.__name__  # live_funnel: the fragment's key, and its container's

    @st.fragment(key=part)
    @shielded
    @functools.wraps(render)
    def drawn() -> None:
        drawing: dict[Hashable, Computed] = {}
        token = _DRAWING.set(drawing)
        try:
            with st.container(key=part):
                render(read(data_version))
        finally:
            _DRAWING.reset(token)
        st.session_state[Live.SHOWN(part)] = {view: computed.marker for view, computed in drawing.items()}
        if drawing:
            as_of(min(computed.marker for computed in drawing.values()), min(c.taken for c in drawing.values()))

    @st.fragment
    def ticker() -> None:
        _TICKER(key=Live.TICKER(part), data={"ms": LIVE_SECONDS * 1000}, on_tick_change=lambda: _check(part))

    def whole() -> None:
        drawn()
        with st.sidebar:
            ticker()

    return whole


def as_of(marker: int, taken: datetime) -> None:
    """When the figures shown were computed; its key names their data version, for the benchmarks."""
    with st.container(key=key("live_as_of", marker)):
        st.caption(t("live.as_of", time=f"{taken.astimezone(resources.settings().zone):%H:%M:%S}"))


def _check(part: str) -> None:
    """The ticker's question: rerun the part when a view it shows has other figures now, and the
    whole app when the session ended; else only the ticker reruns."""
    try:
        ended, version = read(_tick, st.session_state.get(SESSION_ID))
    except DATABASE_UNAVAILABLE:
        st.rerun(part)  # the part shows that the database does not answer, and tries again
    if ended:
        st.rerun()
    shown = st.session_state.get(Live.SHOWN(part))
    hour = utcnow().strftime("%Y%m%d%H")
    if not shown or any(view[-1] != hour or _SHARED.outdated(view, marker, version) for view, marker in shown.items()):
        st.rerun(part)


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
        return Outcome(True, write(resources.engine(), action))
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
        toast(success)
    elif not outcome.ok and where is not None:
        (where.warning if outcome.conflict else where.error)(outcome.message)
    return outcome


def toast(text: str) -> None:
    """`text` as a toast once the run that draws the page ends (`show_toasts`). A toast sent just
    before `st.rerun()` is lost when the browser draws the rerun before the toast (a busy browser)."""
    st.session_state.setdefault(TOASTS, []).append(text)


def show_toasts() -> None:
    """The toasts asked for since the last run that ended; at the end of the app's run."""
    for text in st.session_state.pop(TOASTS, []):
        st.toast(text, icon=":material/check:")


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
