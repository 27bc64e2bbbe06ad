"""Entrypoint: page config, session state, sign-in gate, the role's pages, run."""

import streamlit as st

from core import notifications
from core.settings import LANGUAGES
from ui import phone, resources
from ui.actions import DATABASE_UNAVAILABLE, read, shielded, show_toasts
from ui.i18n import t
from ui.navigation import own_links, signed_in_navigation, signed_out_navigation
from ui.session import hand_off_cookie, refresh_signed_in_user, sign_out
from ui.sign_in import render_sign_in
from ui.state import LANGUAGE, SIGN_OUT, SIGN_OUT_EVERYWHERE, init_state

st.set_page_config(page_title="Sales funnel", page_icon=":material/filter_alt:", layout="wide")
init_state(resources.settings())
try:
    user = refresh_signed_in_user()
except DATABASE_UNAVAILABLE:
    st.error(t("error.database_read"))
    st.stop()

if user is None:
    navigation = signed_out_navigation(render_sign_in)
else:
    navigation = signed_in_navigation(user)
    st.sidebar.divider()
    st.sidebar.caption(t("sidebar.signed_in_as"))
    # Names are user input: shown as plain text, never as markdown or HTML.
    st.sidebar.text(f"{user.display_name} · {t(f'role.{user.role.value}')}")
    own_links(read(notifications.unread_count, user.as_actor()))
    hand_off_cookie()
    if st.sidebar.button(t("sidebar.sign_out"), icon=":material/logout:", key=SIGN_OUT):
        sign_out()
        st.rerun()
    if st.sidebar.button(t("sidebar.sign_out_everywhere"), icon=":material/devices:", key=SIGN_OUT_EVERYWHERE):
        sign_out(everywhere=True)
        st.rerun()
st.sidebar.selectbox(t("sidebar.language"), LANGUAGES, key=LANGUAGE, format_func={"en": "English", "ru": "Русский"}.get)
phone.watch()
shielded(navigation.run)()
show_toasts()
