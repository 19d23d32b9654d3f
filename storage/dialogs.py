"""Where each user is in a multi-step dialog, persisted so that a restart loses nothing."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

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
    row = await DialogState.get_or_none(openid=openid)
    if row is None:
        return LoadedDialog(None, expired=False)
    if now - row.updated_at > idle:
        await row.delete()
        return LoadedDialog(None, expired=True)
    return LoadedDialog(Dialog(row.dialog, row.step, dict(row.data)), expired=False)


async def save_dialog(openid: str, dialog: Dialog, now: datetime) -> None:
    await DialogState.update_or_create(
        openid=openid,
        defaults={"dialog": dialog.name, "step": dialog.step, "data": dialog.data, "updated_at": now},
    )


async def clear_dialog(openid: str) -> None:
    await DialogState.filter(openid=openid).delete()


async def purge_idle_dialogs(idle_since: datetime) -> int:
    return await DialogState.filter(updated_at__lt=idle_since).delete()
