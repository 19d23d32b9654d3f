"""The console's sign-in sessions: `SessionStore`, what the console needs of one, and the database version."""

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from aiohttp import web

from storage.console_sessions import close_session, open_session, session_by_token, touch_session


@dataclass(frozen=True)
class ConsoleSession:
    admin_id: int
    csrf: str  # every console form carries it back
    scope: str = ""  # the admin's scope when they signed in


class SessionStore(Protocol):
    """Who is signed in to the console from this browser. A session not touched for longer than the store's
    idle time is over."""

    def install(self, app: web.Application) -> None:
        """Whatever the store needs on every request (a middleware, say); called once, at start-up."""
        ...

    async def begin(self, request: web.Request, admin_id: int, csrf: str, scope: str = "") -> ConsoleSession:
        """A new session for `admin_id` (in `scope`), replacing any this browser had; the response carries it."""
        ...

    async def current(self, request: web.Request) -> ConsoleSession | None:
        """This browser's session; None when there is none or it sat idle too long (and then it is ended)."""
        ...

    async def touch(self, request: web.Request) -> None:
        """The session was used now: its idle time starts again."""
        ...

    async def end(self, request: web.Request) -> None: ...


SESSIONS = web.AppKey("console_sessions", SessionStore)


COOKIE = "jxjy_console"
_CHANGE = web.RequestKey("console_session_cookie", str)  # a new cookie value for the response ("" clears it)


class DatabaseSessionStore:
    """Sessions live in the database; the browser's cookie holds only a random id, new at every sign-in, so
    a session can be ended from the server at once (logout, an admin removed, a scope changed)."""

    def __init__(self, idle_seconds: float, secure: bool, clock: Callable[[], float] | None = None) -> None:
        self._idle = timedelta(seconds=idle_seconds)
        self._secure = secure
        self._clock = clock or (lambda: time.time())  # looked up at each call: tests move time.time

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self._clock(), UTC)

    def install(self, app: web.Application) -> None:
        app.middlewares.append(self._cookie_writer)

    async def begin(self, request: web.Request, admin_id: int, csrf: str, scope: str = "") -> ConsoleSession:
        if token := request.cookies.get(COOKIE):
            await close_session(token)  # a new id at every sign-in: a planted or old cookie is worth nothing
        request[_CHANGE] = await open_session(admin_id, scope, csrf, self._now())
        return ConsoleSession(admin_id, csrf, scope)

    async def current(self, request: web.Request) -> ConsoleSession | None:
        token = request.get(_CHANGE) or request.cookies.get(COOKIE, "")
        found = await session_by_token(token, self._now(), self._idle) if token else None
        if found is None:
            if token:
                request[_CHANGE] = ""
            return None
        return ConsoleSession(found.admin_id, found.csrf, found.scope)

    async def touch(self, request: web.Request) -> None:
        if token := request.cookies.get(COOKIE):
            await touch_session(token, self._now())

    async def end(self, request: web.Request) -> None:
        if token := request.cookies.get(COOKIE):
            await close_session(token)
        request[_CHANGE] = ""

    @web.middleware
    async def _cookie_writer(self, request: web.Request, handler) -> web.StreamResponse:
        try:
            response = await handler(request)
        except web.HTTPException as redirect_or_error:
            self._write(request, redirect_or_error)
            raise
        self._write(request, response)
        return response

    def _write(self, request: web.Request, response: web.StreamResponse) -> None:
        token = request.get(_CHANGE)
        if token is None:
            return
        if token:
            response.set_cookie(COOKIE, token, httponly=True, secure=self._secure, samesite="Lax", path="/admin")
        else:
            response.del_cookie(COOKIE, path="/admin")
