"""The server: the app (app.py) behind Streamlit's ASGI entry point, with the routes and the checks
around it (web.routes). `make run` starts it with `streamlit run server.py`; `uvicorn server:app`
serves it as well."""

from pathlib import Path

import streamlit as st

from ui.incidents import report
from web import routes

app = st.App(
    Path(__file__).with_name("app.py"),
    routes=routes.ROUTES,
    middleware=routes.MIDDLEWARE,
    on_script_error=report,
)
