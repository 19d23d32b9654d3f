"""Where each user is in a multi-step dialog: `DialogStore`, and its version in the database (so that a restart
loses nothing)."""

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from storage.db import fetch
from storage.models import DialogState


@dataclass
class Dialog:
    name: str
    step: str
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class LoadedDialog:
    dialog: Dialog | None
    expired: bool  # there was one, but it sat idle too long and was dropped


class DialogStore(Protocol):
    """One open dialog per user. A dialog not saved for longer than the store's idle time has expired: the
    next load says so once and drops it. Times are passed in, so the caller's clock decides."""

    async def load(self, openid: str, now: datetime) -> LoadedDialog: ...

    async def save(self, openid: str, dialog: Dialog, now: datetime) -> None:
        """Replace the user's dialog; `now` is when it was last touched."""
        ...

    async def clear(self, openid: str) -> None: ...

    async def purge_idle(self, idle_since: datetime) -> int:
        """Drop every dialog last saved before `idle_since` (it holds personal data); how many were dropped."""
        ...


class DatabaseDialogStore:
    """The `dialog_state` table, one row per user."""

    def __init__(self, idle: timedelta = timedelta(minutes=30)) -> None:
        self.idle = idle

    async def load(self, openid: str, now: datetime) -> LoadedDialog:
        # Raw, because every message asks, and most find nothing.
        rows = await fetch("SELECT dialog, step, data, updated_at FROM dialog_state WHERE openid = ?", openid)
        if not rows:
            return LoadedDialog(None, expired=False)
        row = rows[0]
        updated_at = row["updated_at"]
        if isinstance(updated_at, str):  # SQLite keeps ISO text
            updated_at = datetime.fromisoformat(updated_at)
        if now - updated_at > self.idle:
            await DialogState.filter(openid=openid).delete()
            return LoadedDialog(None, expired=True)
        data = json.loads(row["data"]) if isinstance(row["data"], str) else row["data"]
        return LoadedDialog(Dialog(row["dialog"], row["step"], data), expired=False)

    async def save(self, openid: str, dialog: Dialog, now: datetime) -> None:
        await DialogState.update_or_create(
            openid=openid,
            defaults={"dialog": dialog.name, "step": dialog.step, "data": dialog.data, "updated_at": now},
        )

    async def clear(self, openid: str) -> None:
        await DialogState.filter(openid=openid).delete()

    async def purge_idle(self, idle_since: datetime) -> int:
        return await DialogState.filter(updated_at__lt=idle_since).delete()
