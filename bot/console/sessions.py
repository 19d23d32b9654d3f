"""The console's sign-in sessions: `SessionStore`, what the console needs of one, and its first version, an
encrypted cookie that holds the session itself."""

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import aiohttp_session
from aiohttp import web
from aiohttp_session.cookie_storage import EncryptedCookieStorage


@dataclass(frozen=True)
class ConsoleSession:
    admin_id: int
    csrf: str  # every console form carries it back


class SessionStore(Protocol):
    """Who is signed in to the console from this browser. A session not touched for longer than the store's
    idle time is over."""

    def install(self, app: web.Application) -> None:
        """Whatever the store needs on every request (a middleware, say); called once, at start-up."""
        ...

    async def begin(self, request: web.Request, admin_id: int, csrf: str) -> ConsoleSession:
        """A new session for `admin_id`, replacing any this browser had; the response carries it."""
        ...

    async def current(self, request: web.Request) -> ConsoleSession | None:
        """This browser's session; None when there is none or it sat idle too long (and then it is ended)."""
        ...

    async def touch(self, request: web.Request) -> None:
        """The session was used now: its idle time starts again."""
        ...

    async def end(self, request: web.Request) -> None: ...


SESSIONS = web.AppKey("console_sessions", SessionStore)


class EncryptedCookieSessionStore:
    """The session is the cookie: encrypted and signed with a key derived from the secret key, sent only to
    /admin. It holds the admin's id, when it was last used, and the CSRF token."""

    def __init__(
        self,
        secret_key: str,
        idle_seconds: float,
        secure: bool,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self._idle = idle_seconds
        self._clock = clock or (lambda: time.time())  # looked up at each call: tests move time.time
        key = hashlib.sha256(f"console:{secret_key}".encode()).digest()
        self._storage = EncryptedCookieStorage(
            key, cookie_name="jxjy_console", httponly=True, secure=secure, samesite="Lax", path="/admin"
        )

    def install(self, app: web.Application) -> None:
        aiohttp_session.setup(app, self._storage)

    async def begin(self, request: web.Request, admin_id: int, csrf: str) -> ConsoleSession:
        session = await aiohttp_session.new_session(request)
        session["admin_id"] = admin_id
        session["seen"] = int(self._clock())
        session["csrf"] = csrf
        return ConsoleSession(admin_id, csrf)

    async def current(self, request: web.Request) -> ConsoleSession | None:
        session = await aiohttp_session.get_session(request)
        admin_id, seen = session.get("admin_id"), session.get("seen", 0)
        if not admin_id or self._clock() - seen > self._idle:
            session.invalidate()
            return None
        return ConsoleSession(admin_id, session.get("csrf", ""))

    async def touch(self, request: web.Request) -> None:
        session = await aiohttp_session.get_session(request)
        session["seen"] = int(self._clock())

    async def end(self, request: web.Request) -> None:
        (await aiohttp_session.get_session(request)).invalidate()
