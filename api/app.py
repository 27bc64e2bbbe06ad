"""The REST API under /api/v1: parse a request, call the services as its token's user, map the domain
errors to statuses. Every route is an `Endpoint`; the routes and the OpenAPI document are both made
from the one list (api.openapi), so the document cannot miss one.

- Authorization: `Bearer fnl_…`, a personal token (core.tokens): it acts with its user's role and
  rights as they are now. An intake token may post leads and nothing else.
- Errors: 400 (not JSON), 422 (`{"errors": {field: message}}`), 401, 403, 404, 409 (a stale
  `expected_version`), 413 (a body over MAX_BODY_BYTES), 429 (over the token's rate, with Retry-After),
  503 (the database does not answer), each with `{"error": message}` unless it names fields.
"""

import json
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel
from pydantic import ValidationError as ShapeError
from sqlalchemy import Engine
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from core import deals, tokens
from core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from core.permissions import Actor
from core.settings import Settings
from db.engine import transaction, write
from db.models import TokenScope

PREFIX = "/api/v1"
MAX_BODY_BYTES = (
    2 * 1024 * 1024
)  # room for a form's long message (which the services then refuse past 4,000 characters)
NO_TOKEN = "Send a token: Authorization: Bearer <token> (create one on the API tokens page)."
BAD_TOKEN = "This token is not valid: revoked, expired, mistyped, or its user is no longer active."
STATUSES = {ValidationError: 422, PermissionDenied: 403, NotFound: 404, Conflict: 409}
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError)


@dataclass(frozen=True)
class Call:
    """One request, read and checked: who calls, the path's values, the query's and the body's."""

    caller: tokens.Caller
    path: dict[str, Any]
    query: Any
    body: Any
    settings: Settings

    @property
    def actor(self) -> Actor:
        return self.caller.user.as_actor()


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str  # Starlette's, below PREFIX: "/deals/{deal_id:int}"
    handler: Callable[[Session, Call], Any]
    summary: str
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    response: type[BaseModel] | None = None  # None: 204, no content
    many: bool = False  # the response is a list of `response`
    status: int = 200
    writes: bool = False
    scope: TokenScope = TokenScope.API
    errors: tuple[int, ...] = (401, 403, 429)
    path_values: dict[str, Any] = field(default_factory=dict)  # a path value's allowed values (the document's)


class RateLimit:
    """A token bucket per API token, in this process: `per_minute` calls a minute, as a burst or
    spread out. Several app processes each keep their own."""

    def __init__(self, per_minute: int) -> None:
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0
        self._buckets: dict[int, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def wait(self, key: int, now: float | None = None) -> int:
        """0 when a call may go ahead now (and counts it), else the whole seconds to wait."""
        now = time.monotonic() if now is None else now
        with self._lock:
            level, since = self._buckets.get(key, (self.capacity, now))
            level = min(self.capacity, level + (now - since) * self.rate)
            if level >= 1:
                self._buckets[key] = (level - 1, now)
                return 0
            self._buckets[key] = (level, now)
            return max(1, math.ceil((1 - level) / self.rate))


def error(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers)


def field_errors(status: int, errors: dict[str, str]) -> JSONResponse:
    return JSONResponse({"errors": errors}, status_code=status)


def _shape_errors(problem: ShapeError) -> dict[str, str]:
    """Each field pydantic refused, by its dotted name ("fields.amount"), and why."""
    found: dict[str, str] = {}
    for item in problem.errors(include_url=False):
        name = ".".join(str(part) for part in item["loc"]) or "body"
        found.setdefault(name, item["msg"])
    return found


async def _body(request: Request) -> bytes | None:
    """The body, or None when it is larger than MAX_BODY_BYTES (read no further than that)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        return None
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _query_values(request: Request, model: type[BaseModel]) -> dict[str, Any]:
    """The query string as the model reads it: a list field takes every value of its name."""
    values: dict[str, Any] = {}
    for name in request.query_params:
        info = model.model_fields.get(name) or next((f for f in model.model_fields.values() if f.alias == name), None)
        many = info is not None and getattr(info.annotation, "__origin__", None) is list
        values[name] = request.query_params.getlist(name) if many else request.query_params[name]
    return values


def _bearer(request: Request) -> str | None:
    scheme, _, secret = request.headers.get("authorization", "").partition(" ")
    return secret.strip() if scheme.lower() == "bearer" and secret.strip() else None


class Api:
    """The API's routes over one database: `engine` and `settings` are asked for on every call
    (the app's are made once per process)."""

    def __init__(
        self, endpoints: list[Endpoint], engine: Callable[[], Engine], settings: Callable[[], Settings]
    ) -> None:
        self.endpoints = endpoints
        self.engine = engine
        self.settings = settings
        self.limits: RateLimit | None = None

    def routes(self, document: Callable[[], dict]) -> list[BaseRoute]:
        async def openapi(_request: Request) -> Response:
            return JSONResponse(document())

        routes: list[BaseRoute] = [Route(f"{PREFIX}/openapi.json", openapi, methods=["GET"])]
        for endpoint in self.endpoints:
            routes.append(Route(PREFIX + endpoint.path, self._serve(endpoint), methods=[endpoint.method]))
        return routes

    def _limit(self) -> RateLimit:
        if self.limits is None:
            self.limits = RateLimit(self.settings().api_rate_per_minute)
        return self.limits

    def _authenticate(self, secret: str) -> tokens.Caller | None:
        with transaction(self.engine()) as session:
            return tokens.authenticate(session, secret)

    def _serve(self, endpoint: Endpoint) -> Callable:
        async def serve(request: Request) -> Response:
            secret = _bearer(request)
            if secret is None:
                return error(401, NO_TOKEN, {"WWW-Authenticate": "Bearer"})
            try:
                caller = await run_in_threadpool(self._authenticate, secret)
            except DATABASE_UNAVAILABLE:
                return error(503, "The database is not answering; try again in a moment.")
            if caller is None:
                return error(401, BAD_TOKEN, {"WWW-Authenticate": "Bearer"})
            if wait := self._limit().wait(caller.token.id):
                return error(429, f"Too many calls with this token; try again in {wait} s.", {"Retry-After": str(wait)})
            if caller.token.scope != endpoint.scope:
                message = (
                    "An intake token may only post leads."
                    if caller.token.scope == TokenScope.INTAKE
                    else "Leads are posted with an intake token."
                )
                return error(403, message)
            try:
                query = (
                    endpoint.query.model_validate(_query_values(request, endpoint.query)) if endpoint.query else None
                )
            except ShapeError as problem:
                return field_errors(422, _shape_errors(problem))
            body = None
            if endpoint.body is not None:
                raw = await _body(request)
                if raw is None:
                    return error(413, f"The body is larger than {MAX_BODY_BYTES // 1024} KiB.")
                try:
                    parsed = json.loads(raw or b"null")
                except (ValueError, RecursionError):  # not JSON, not UTF-8, or nested past any real body
                    return field_errors(400, {"body": "is not JSON"})
                if not isinstance(parsed, dict):
                    return field_errors(400, {"body": "must be a JSON object"})
                try:
                    body = endpoint.body.model_validate_json(raw)
                except ShapeError as problem:
                    return field_errors(422, _shape_errors(problem))
            call = Call(caller, dict(request.path_params), query, body, self.settings())
            try:
                result = await run_in_threadpool(self._run, endpoint, call)
            except ValidationError as problem:
                return field_errors(422, {name: str(message) for name, message in problem.errors.items()})
            except (PermissionDenied, NotFound, Conflict) as problem:
                return error(STATUSES[type(problem)], str(problem.message))
            except DATABASE_UNAVAILABLE:
                return error(503, "The database is not answering; try again in a moment.")
            if endpoint.response is None:
                return Response(status_code=204)
            items = result if endpoint.many else [result]
            content = [endpoint.response.model_validate(item).model_dump(mode="json") for item in items]
            return JSONResponse(content if endpoint.many else content[0], status_code=endpoint.status)

        return serve

    def _run(self, endpoint: Endpoint, call: Call) -> Any:
        engine = self.engine()

        def act(session: Session) -> Any:
            deals.via_api(session)
            result = endpoint.handler(session, call)
            if call.caller.touch:
                tokens.touch(session, call.caller.token.id)
            return result

        if endpoint.writes:
            return write(engine, act)
        with transaction(engine) as session:
            result = endpoint.handler(session, call)
        if call.caller.touch:
            write(engine, lambda session: tokens.touch(session, call.caller.token.id))
        return result
