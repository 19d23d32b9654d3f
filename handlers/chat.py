"""One incoming message and the dialog it belongs to, as the journeys see them."""

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from handlers.ratelimit import RateLimiter
from handlers.replies import Refusal
from handlers.urls import Urls
from storage.clock import CHINA
from storage.dialogs import DatabaseDialogStore, Dialog, DialogStore


class Kind(StrEnum):
    TEXT = "text"
    CLICK = "click"
    SUBSCRIBE = "subscribe"
    UNSUBSCRIBE = "unsubscribe"
    SCAN = "scan"
    EVENT = "event"  # other events (menu links, location reports, delivery receipts): nothing to say
    IMAGE = "image"
    OTHER = "other"  # voice, video, location, link and unknown message types


@dataclass(frozen=True)
class Incoming:
    openid: str
    kind: Kind
    received_at: datetime  # UTC
    text: str = ""  # the message content, for TEXT
    key: str = ""  # the event key, for CLICK, SCAN and subscribe-with-scene
    media_id: str = ""  # for IMAGE


TEXT_ONLY = "请用文字回复。发送“取消”可退出当前办理。"


@dataclass(frozen=True)
class JourneyConfig:
    """The few settings journeys need, handed down by bot/ (journeys never read the environment)."""

    dialog_idle_minutes: int = 30
    paper_certificates_void_after: date = date(2019, 10, 30)
    urls: Urls = field(default_factory=Urls)
    secret_key: str = ""
    holder_link_days: int = 7
    verify_limiter: RateLimiter | None = None
    console_link_minutes: int = 10
    dialogs: DialogStore = field(default_factory=DatabaseDialogStore)


@dataclass
class Chat:
    """What a journey gets: the message, the user's open dialog, and ways to move it along.

    The dialog is read from its store only when asked for (`load_dialog`): a command such as 学时 never
    looks at it, and that saves a round trip on the busiest path.
    """

    incoming: Incoming
    config: JourneyConfig = JourneyConfig()
    args: str = ""  # what followed the command word, as in "通过 12 13"
    dialog: Dialog | None = None
    expired: bool = False  # the dialog found had sat idle too long and was dropped
    _dialog_known: bool = False

    async def load_dialog(self) -> Dialog | None:
        if not self._dialog_known:
            loaded = await self.config.dialogs.load(self.openid, self.now)
            self.dialog, self.expired, self._dialog_known = loaded.dialog, loaded.expired, True
        return self.dialog

    @property
    def openid(self) -> str:
        return self.incoming.openid

    @property
    def text(self) -> str:
        return self.incoming.text.strip()

    def typed(self) -> str:
        """The words the user sent; a photo or a voice message at a step that wants words is refused politely."""
        if self.incoming.kind != Kind.TEXT:
            raise Refusal(TEXT_ONLY)
        return self.text

    @property
    def today(self) -> date:
        # Years and dates are Beijing time: a registration at 00:30 on 1 January belongs to the new year.
        return self.incoming.received_at.astimezone(CHINA).date()

    @property
    def now(self) -> datetime:
        return self.incoming.received_at

    @property
    def data(self) -> dict[str, Any]:
        return self.dialog.data if self.dialog else {}

    async def goto(self, dialog: str, step: str, **data: Any) -> None:
        """Move to a step, keeping what the dialog has gathered so far plus `data`."""
        kept = self.data if self.dialog and self.dialog.name == dialog else {}
        self.dialog, self._dialog_known = Dialog(dialog, step, {**kept, **data}), True
        await self.config.dialogs.save(self.openid, self.dialog, self.incoming.received_at)

    async def finish(self) -> None:
        self.dialog, self._dialog_known = None, True
        await self.config.dialogs.clear(self.openid)
