"""The sign-in form, shown at every address until someone signs in."""

import streamlit as st

from core import auth, users
from db.engine import transaction
from ui import resources
from ui.i18n import t
from ui.session import sign_in_as
from ui.state import SIGN_IN_LOGIN, SIGN_IN_PASSWORD


def render_sign_in() -> None:
    _, middle, _ = st.columns([1, 2, 1])
    with middle:
        st.title(t("sign_in.title"))
        st.caption(t("sign_in.caption"))
        with st.form("sign_in"):
            st.text_input(t("sign_in.login"), key=SIGN_IN_LOGIN, autocomplete="username")
            st.text_input(t("sign_in.password"), type="password", key=SIGN_IN_PASSWORD, autocomplete="current-password")
            submitted = st.form_submit_button(t("sign_in.submit"), type="primary", width="stretch")
        with transaction(resources.engine()) as session:
            anyone = users.has_users(session)
        if not anyone:
            st.warning(t("sign_in.no_users"))
        elif resources.settings().demo_mode:
            st.info(t("sign_in.demo"))
    if not submitted:
        return
    # The failure counter is committed whatever the outcome, so a lock holds across app instances.
    with transaction(resources.engine(), write=True) as session:
        result = auth.sign_in(session, st.session_state[SIGN_IN_LOGIN], st.session_state[SIGN_IN_PASSWORD])
    if result.outcome == auth.Outcome.SIGNED_IN:
        sign_in_as(result.user)
        del st.session_state[SIGN_IN_PASSWORD]
        st.rerun()
    elif result.outcome == auth.Outcome.LOCKED:
        middle.error(t("sign_in.locked", time=f"{result.locked_until:%H:%M}"))
    else:
        middle.error(t("sign_in.wrong"))
