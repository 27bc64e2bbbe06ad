"""The sign-in log (admins): who tried which login, from where, with what browser, and the answer."""

import pandas as pd
import streamlit as st

from core import auth
from core.permissions import Actor
from ui import resources
from ui.actions import read
from ui.i18n import t
from ui.state import Users

LIMIT = 200


def render_login_log(actor: Actor) -> None:
    """The latest attempts as a table; nothing for a user who is not an admin. Every cell is plain
    text (a dataframe renders no Markdown): a login as typed may be anything."""
    if not actor.is_admin:
        return
    settings = resources.settings()
    events = read(auth.login_events, actor, limit=LIMIT)
    st.subheader(t("login_log.title"))
    if not events:
        st.caption(t("login_log.empty"))
        return
    st.caption(t("login_log.caption", limit=LIMIT, zone=settings.time_zone))
    st.dataframe(
        pd.DataFrame(
            {
                t("login_log.at"): [e.at.astimezone(settings.zone).strftime("%Y-%m-%d %H:%M:%S") for e in events],
                t("login_log.login"): [e.login for e in events],
                t("login_log.user"): [e.user_name or "" for e in events],
                t("login_log.outcome"): [t(f"login_log.{e.outcome.value}") for e in events],
                t("login_log.client"): [e.client for e in events],
                t("login_log.user_agent"): [e.user_agent for e in events],
            }
        ),
        hide_index=True,
        width="stretch",
        key=Users.LOGIN_LOG,
    )
