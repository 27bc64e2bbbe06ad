"""Process-wide resources: one engine per database URL per process, migrated on first use."""

import streamlit as st
from sqlalchemy import Engine

from core.settings import Settings, load_settings
from db.engine import make_engine
from db.migrate import upgrade


@st.cache_resource(show_spinner=False)
def _engine_for(url: str) -> Engine:
    engine = make_engine(url)
    upgrade(engine)
    return engine


def settings() -> Settings:
    return load_settings()


def engine() -> Engine:
    return _engine_for(settings().database_url)
