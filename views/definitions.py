"""Definitions: what every figure of the pages counts, from the one registry the tiles' help, the lists
of deals behind the figures and `report deals --explain` read (core.definitions)."""

import streamlit as st

from core.definitions import DEFINITIONS
from ui.i18n import language, t


def page() -> None:
    st.title(t("definitions.title"))
    st.caption(t("definitions.caption"))
    lang = language()
    for name, found in DEFINITIONS.items():
        with st.container(border=True, key=f"definitions_{name}"):
            st.subheader(found.title[lang], anchor=name)
            for heading, text in found.parts(lang):
                st.markdown(f"**{heading}.** {text}")
            st.caption(t("definitions.cli", name=name))


page()
