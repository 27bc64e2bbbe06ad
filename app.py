"""Entrypoint: page config, session state, the page list, run."""

import streamlit as st

from core.settings import LANGUAGES
from ui import resources
from ui.i18n import t
from ui.state import LANGUAGE, init_state

st.set_page_config(page_title="Sales funnel", page_icon=":material/filter_alt:", layout="wide")
init_state(resources.settings())

st.sidebar.selectbox(
    t("sidebar.language"), LANGUAGES, key=LANGUAGE, format_func={"en": "English", "ru": "Русский"}.get
)
pages = [st.Page("pages/overview.py", title=t("nav.overview"), icon=":material/dashboard:", default=True)]
st.navigation(pages).run()
