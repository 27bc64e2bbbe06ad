"""The server: the app (app.py) behind Streamlit's ASGI entry point, with the routes and the checks
around it (web.routes) and the REST API (api). `make run` starts it with `streamlit run server.py`; `uvicorn server:app`
serves it as well."""

import threading
from contextlib import asynccontextmanager
from pathlib import Path

import streamlit as st

import api
from core import worker
from ui import resources
from ui.incidents import report
from web import routes


@asynccontextmanager
async def lifespan(_app):
    """The worker (webhook deliveries, idle tasks) runs beside the app while it serves."""
    stop = threading.Event()
    thread = threading.Thread(
        target=worker.run, args=(resources.engine, resources.settings(), stop), name="worker", daemon=True
    )
    thread.start()
    yield
    stop.set()
    thread.join(timeout=15)


app = st.App(
    Path(__file__).with_name("app.py"),
    routes=[*routes.ROUTES, *api.routes(resources.engine, resources.settings)],
    middleware=routes.MIDDLEWARE,
    on_script_error=report,
    lifespan=lifespan,
)
