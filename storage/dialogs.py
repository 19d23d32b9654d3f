"""Where each user is in a multi-step dialog, persisted so that a restart loses nothing."""

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

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


async def load_dialog(openid: str, now: datetime, idle: timedelta) -> LoadedDialog:
    # Raw, because every message asks, and most find nothing.
    rows = await fetch("SELECT dialog, step, data, updated_at FROM dialog_state WHERE openid = ?", openid)
    if not rows:
        return LoadedDialog(None, expired=False)
    row = rows[0]
    updated_at = row["updated_at"]
    if isinstance(updated_at, str):  # SQLite keeps ISO text
        updated_at = datetime.fromisoformat(updated_at)
    if now - updated_at > idle:
        await DialogState.filter(openid=openid).delete()
        return LoadedDialog(None, expired=True)
    data = json.loads(row["data"]) if isinstance(row["data"], str) else row["data"]
    return LoadedDialog(Dialog(row["dialog"], row["step"], data), expired=False)


async def save_dialog(openid: str, dialog: Dialog, now: datetime) -> None:
    await DialogState.update_or_create(
        openid=openid,
        defaults={"dialog": dialog.name, "step": dialog.step, "data": dialog.data, "updated_at": now},
    )


async def clear_dialog(openid: str) -> None:
    await DialogState.filter(openid=openid).delete()


async def purge_idle_dialogs(idle_since: datetime) -> int:
    return await DialogState.filter(updated_at__lt=idle_since).delete()
