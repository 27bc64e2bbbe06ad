"""Notifications (every user): what the app told them, the unread first; each opens its deal."""

import streamlit as st

from core import notifications
from ui import resources, session
from ui.actions import perform, read
from ui.i18n import t
from ui.navigation import deal_line
from ui.state import Notifications


def page() -> None:
    actor = session.actor()
    st.title(t("notifications.title"))
    found = read(notifications.list_notifications, actor)
    if not found:
        st.caption(t("notifications.none"))
        return
    unread = [n.id for n in found if n.read_at is None]
    if (
        unread
        and st.button(t("notifications.mark_read", count=len(unread)), key=Notifications.MARK_READ)
        and perform(lambda db: notifications.mark_read(db, actor, unread)).ok
    ):
        st.rerun()
    zone = resources.settings().zone
    for note in found:
        text = t(f"notifications.{note.kind}", **note.data)
        mark = "● " if note.read_at is None else ""
        deal_line(
            f"{mark}{note.created_at.astimezone(zone):%Y-%m-%d %H:%M} · {text}",
            note.deal_id,
            key=Notifications.OPEN(note.id),
        )


page()
