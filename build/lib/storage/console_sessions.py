"""Console sessions on the server: what a signed-in browser's cookie stands for."""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from storage.models import ConsoleSession


@dataclass(frozen=True)
class OpenSession:
    admin_id: int
    scope: str
    csrf: str


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def open_session(admin_id: int, scope: str, csrf: str, now: datetime) -> str:
    """A new session; the returned token goes into the browser's cookie and nowhere else."""
    token = secrets.token_urlsafe(32)
    await ConsoleSession.create(
        token_hash=_hash(token), admin_id=admin_id, scope=scope, csrf=csrf, created_at=now, seen_at=now
    )
    return token


async def session_by_token(token: str, now: datetime, idle: timedelta) -> OpenSession | None:
    """The live session behind a cookie; one idle for longer than `idle` is ended here."""
    row = await ConsoleSession.get_or_none(token_hash=_hash(token))
    if row is None:
        return None
    if now - row.seen_at > idle:
        await row.delete()
        return None
    return OpenSession(row.admin_id, row.scope, row.csrf)


async def touch_session(token: str, now: datetime) -> None:
    await ConsoleSession.filter(token_hash=_hash(token)).update(seen_at=now)


async def close_session(token: str) -> None:
    await ConsoleSession.filter(token_hash=_hash(token)).delete()


async def close_sessions_of(admin_id: int) -> int:
    """Every session of an admin ends at once (removal, unbinding, a new scope)."""
    return await ConsoleSession.filter(admin_id=admin_id).delete()


async def purge_idle_sessions(idle_since: datetime) -> int:
    return await ConsoleSession.filter(seen_at__lt=idle_since).delete()
