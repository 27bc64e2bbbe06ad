"""Who is signed in: a server-side session (core.sessions), found by the browser's HttpOnly cookie
after a reload, in another tab or after a restart of the browser, and checked on every run.

Sign-in opens the session and hands the browser a one-time ticket; a small component trades it for
the cookie at the server's /auth/session route (web.routes), since a script run cannot set a cookie.
"""

import time

import streamlit as st

from core import sessions
from core.permissions import Actor
from core.users import UserInfo
from ui import resources
from ui.actions import Outcome, attempt, read
from ui.state import HANDOFF, SESSION_ID, USER, clear_for_sign_out, key

_HANDOFF_JS = """
export default function ({ data }) {
  if (!data || !data.ticket || window.salesFunnelTicket === data.ticket) return;
  window.salesFunnelTicket = data.ticket;
  fetch("/auth/session", {
    method: "POST",
    credentials: "same-origin",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ ticket: data.ticket }),
  });
}
"""
_HANDOFF = st.components.v2.component("sales_funnel_session", html="<span></span>", js=_HANDOFF_JS)


def _text(value: object) -> str:
    """What the browser's request carried (a cookie, a header), or "" when it carried nothing (or
    when no browser is behind the session, as in AppTest)."""
    return value if isinstance(value, str) else ""


def refresh_signed_in_user() -> UserInfo | None:
    """The signed-in user as stored now, or None: a session that ended (signed out elsewhere,
    revoked, idle or too old, its user deactivated or given another role) signs this one out."""
    session_id = st.session_state.get(SESSION_ID)
    token = _text(st.context.cookies.get(sessions.COOKIE))
    if session_id is None and token:
        session_id = read(sessions.find, token)
    if session_id is None:
        return None
    check = read(sessions.check, session_id, lifetimes=resources.settings().session_lifetimes)
    if check.user is None:
        clear_for_sign_out()
        return None
    if check.touch:
        attempt(lambda session: sessions.touch(session, session_id))
    st.session_state[SESSION_ID] = session_id
    st.session_state[USER] = check.user
    return check.user


def sign_in_as(user: UserInfo) -> Outcome:
    """Open a session for `user` (who has just given the right password) and start the handoff of
    its cookie to the browser."""
    outcome = attempt(
        lambda session: sessions.start(
            session,
            user,
            lifetimes=resources.settings().session_lifetimes,
            client=_text(st.context.ip_address),
            user_agent=_text(st.context.headers.get("User-Agent")),
        )
    )
    if outcome.ok:
        st.session_state[SESSION_ID] = outcome.value.id
        st.session_state[USER] = user
        st.session_state[HANDOFF] = (outcome.value.ticket, time.monotonic())
    return outcome


def hand_off_cookie() -> None:
    """While a fresh sign-in's ticket is young, the component that trades it for the cookie."""
    ticket, issued = st.session_state.get(HANDOFF) or (None, 0.0)
    if ticket is None:
        return
    if time.monotonic() - issued > sessions.TICKET_LIFETIME.total_seconds():
        del st.session_state[HANDOFF]
        return
    with st.sidebar:
        _HANDOFF(key=key(HANDOFF, "component"), data={"ticket": ticket})


def sign_out(*, everywhere: bool = False) -> None:
    """End this session (or every session of the user), and forget this one's state."""
    session_id, user = st.session_state.get(SESSION_ID), st.session_state.get(USER)
    if everywhere and user is not None:
        attempt(lambda session: sessions.end_all(session, user.id))
    elif session_id is not None:
        attempt(lambda session: sessions.end(session, session_id))
    clear_for_sign_out()


def signed_in_user() -> UserInfo:
    """For pages, which run only for a signed-in user."""
    return st.session_state[USER]


def actor() -> Actor:
    return signed_in_user().as_actor()
