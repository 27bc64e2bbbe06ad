"""The server: the app (app.py) behind Streamlit's ASGI entry point, with the routes and the checks
around it (web.routes) and the REST API (api). `make run` starts it with `streamlit run server.py`; `uvicorn server:app`
serves it as well."""

from pathlib import Path

import streamlit as st

import api
from ui import resources
from ui.incidents import report
from web import routes

app = st.App(
    Path(__file__).with_name("app.py"),
    routes=[*routes.ROUTES, *api.routes(resources.engine, resources.settings)],
    middleware=routes.MIDDLEWARE,
    on_script_error=report,
)
