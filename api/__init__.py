"""The REST API beside the app (/api/v1): api.app serves, api.endpoints says what each route does,
api.schemas are the bodies, api.openapi the document made from them."""

from collections.abc import Callable

from sqlalchemy import Engine
from starlette.routing import BaseRoute

from api.app import Api
from api.endpoints import ENDPOINTS
from api.openapi import document
from core.settings import Settings


def routes(engine: Callable[[], Engine], settings: Callable[[], Settings]) -> list[BaseRoute]:
    """The API's routes over the database `engine()` gives, with `settings()`."""
    return Api(ENDPOINTS, engine, settings).routes(document)
