"""Routes beside the app: the sign-in cookie, the downloads only a signed-in user may fetch, and the
Streamlit addresses kept from the public.

- `POST /auth/session` trades the one-time ticket of a sign-in (core.sessions) for the session
  cookie: HttpOnly, SameSite=Lax, Secure over https. Only the app's own pages may ask (Origin).
- `GET /downloads/export.zip|xlsx`: the full export, for an admin's session only.
- `/media/…` (the files of download buttons) answers only a request with a live session cookie, and
  `/_stcore/metrics` is not served at all.
"""

import json
from datetime import datetime

from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from core import sessions
from core.clock import utcnow
from core.errors import ValidationError
from core.exchange import native
from core.users import UserInfo
from db.engine import transaction
from db.models import Role
from ui import resources

MAX_TICKET_BODY = 1_024
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EXPORTS = {"zip": ("application/zip", native.export_zip), "xlsx": (XLSX, native.export_excel)}


def signed_in(token: str | None) -> UserInfo | None:
    """The user of a live session cookie, or None."""
    with transaction(resources.engine()) as session:
        session_id = sessions.find(session, token or "")
        if session_id is None:
            return None
        return sessions.check(session, session_id, lifetimes=resources.settings().session_lifetimes).user


def _adopt(ticket: str) -> tuple[str, datetime] | None:
    with transaction(resources.engine(), write=True) as session:
        return sessions.adopt(session, ticket)


def _same_origin(request: Request) -> bool:
    origin = request.headers.get("origin")
    return origin is not None and origin.split("://", 1)[-1] == request.headers.get("host")


def _secure(request: Request) -> bool:
    return request.url.scheme == "https" or request.headers.get("x-forwarded-proto") == "https"


async def adopt_ticket(request: Request) -> Response:
    if not _same_origin(request) or request.headers.get("content-type") != "application/json":
        return PlainTextResponse("Not from this app.", status_code=403)
    body = await request.body()
    if len(body) > MAX_TICKET_BODY:
        return PlainTextResponse("Too large.", status_code=413)
    try:
        ticket = json.loads(body).get("ticket")
    except (ValueError, AttributeError):
        ticket = None
    adopted = await run_in_threadpool(_adopt, ticket) if isinstance(ticket, str) else None
    if adopted is None:
        return PlainTextResponse("This sign-in has expired; sign in again.", status_code=403)
    token, expires_at = adopted
    response = Response(status_code=204)
    response.set_cookie(
        sessions.COOKIE,
        token,
        max_age=max(0, int((expires_at - utcnow()).total_seconds())),
        path="/",
        httponly=True,
        samesite="lax",
        secure=_secure(request),
    )
    return response


def _export(user: UserInfo, kind: str) -> bytes | None:
    """The export, or None when the database is too large for a browser's download."""
    with transaction(resources.engine()) as session:
        if native.deal_count(session) > native.BROWSER_EXPORT_MAX_DEALS:
            return None
        return EXPORTS[kind][1](session, user.as_actor())


async def export(request: Request) -> Response:
    kind = request.path_params["kind"]
    if kind not in EXPORTS:
        return PlainTextResponse("No such export.", status_code=404)
    user = await run_in_threadpool(signed_in, request.cookies.get(sessions.COOKIE))
    if user is None:
        return PlainTextResponse("Sign in first.", status_code=401)
    if user.role != Role.ADMIN:
        return PlainTextResponse("Only an admin may export the database.", status_code=403)
    try:
        content = await run_in_threadpool(_export, user, kind)
    except ValidationError as error:
        return PlainTextResponse(" ".join(map(str, error.errors.values())), status_code=422)
    if content is None:
        return PlainTextResponse("Too many deals for a download: use `python -m cli export`.", status_code=413)
    stamp = utcnow().strftime("%Y%m%d-%H%M")
    return Response(
        content,
        media_type=EXPORTS[kind][0],
        headers={
            "Content-Disposition": f'attachment; filename="funnel-export-{stamp}.{kind}"',
            "Cache-Control": "no-store",
        },
    )


class Guard:
    """Keeps Streamlit's metrics from the public, and its media files (what download buttons serve)
    from anyone without a live session."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path = scope["path"]
            if path.startswith("/_stcore/metrics"):
                await PlainTextResponse("Not found.", status_code=404)(scope, receive, send)
                return
            if path.startswith("/media/"):
                token = Request(scope).cookies.get(sessions.COOKIE)
                if await run_in_threadpool(signed_in, token) is None:
                    await PlainTextResponse("Sign in first.", status_code=401)(scope, receive, send)
                    return
        await self.app(scope, receive, send)


ROUTES = [
    Route("/auth/session", adopt_ticket, methods=["POST"]),
    Route("/downloads/export.{kind}", export, methods=["GET"]),
]
MIDDLEWARE = [Middleware(Guard)]
