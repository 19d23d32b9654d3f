"""One incoming message and the dialog it belongs to, as the journeys see them."""

from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field, replace
from datetime import date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from handlers.ratelimit import RateLimiter, VerifyLimits
from handlers.refusals import No, Refusal
from handlers.replies import Reply
from handlers.urls import Urls
from storage.clock import CHINA
from storage.dialogs import DatabaseDialogStore, Dialog, DialogStore
from storage.ids import as_number
from storage.models import Admin, Person

if TYPE_CHECKING:
    from handlers.journeys import Journey


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
    message_key: str = ""  # names this message among WeChat's retries (sender and MsgId, or the event)


@dataclass(frozen=True)
class JourneyConfig:
    """The few settings journeys need, handed down by bot/ (journeys never read the environment)."""

    dialog_idle_minutes: int = 30
    paper_certificates_void_after: date = date(2019, 10, 30)
    urls: Urls = field(default_factory=Urls)
    secret_key: str = ""
    holder_link_days: int = 7
    verify_limits: VerifyLimits | None = None
    console_link_minutes: int = 10
    # Registrations that hit an ID number already registered, per WeChat account ("openid:…") and per record
    # ("person:…"); None: unlimited.
    rebind_limiter_per_account: RateLimiter | None = None
    rebind_limiter_per_id_number: RateLimiter | None = None
    # Admin invite codes tried and refused, per WeChat account; None: unlimited.
    invite_limiter: RateLimiter | None = None
    dialogs: DialogStore = field(default_factory=DatabaseDialogStore)


class UndeclaredStep(LookupError):
    """A goto to a function that is not a step of the journey being run: a mistake in the code, not the user's."""


Step = Callable[["Chat"], Awaitable[Reply]]


@dataclass
class Chat:
    """What a journey gets: the message, the user's open dialog, and ways to move it along.

    The dialog is read from its store only when asked for (`load_dialog`): a command such as 学时 never
    looks at it, and that saves a round trip on the busiest path. The router fills in the journey it runs,
    the step, the dialog's form, and the person or admin its guard let in.
    """

    incoming: Incoming
    config: JourneyConfig = JourneyConfig()
    args: str = ""  # what followed the command word, as in "通过 12 13"
    dialog: Dialog | None = None
    expired: bool = False  # the dialog found had sat idle too long and was dropped
    journey: "Journey | None" = None
    step: Step | None = None
    form: Any = None  # the dialog's data, an instance of the journey's `state` dataclass
    person: Person | None = None  # set when the journey's guard is PERSONS
    admin: Admin | None = None  # set when the journey's guard is ADMINS
    help_lines: Callable[[bool], list[tuple[str, str]]] = lambda admin: []
    pending_question: Callable[["Chat"], Awaitable[str | None]] | None = None  # set by the router
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
            raise Refusal(No.TEXT_ONLY)
        return self.text

    def number_and_reason(self, refusal: No) -> tuple[int, str]:
        """What follows a command declared `then_reason`: "12 与 8 号记录重复" (or "#12 …") is (12, the reason);
        without either, the user is told `refusal`."""
        first, _, reason = self.args.strip().partition(" ")
        number = as_number(first.lstrip("#"))
        if number is None or not reason.strip():
            raise Refusal(refusal)
        return number, reason.strip()

    @property
    def today(self) -> date:
        # Years and dates are Beijing time: a registration at 00:30 on 1 January belongs to the new year.
        return self.incoming.received_at.astimezone(CHINA).date()

    @property
    def now(self) -> datetime:
        return self.incoming.received_at

    async def goto(self, step: Step, **changes: Any) -> None:
        """Move to `step` (a step function of this journey), keeping what the dialog has gathered plus `changes`."""
        journey = self.journey
        if journey is None or step not in journey.steps:
            name = getattr(step, "__qualname__", repr(step))
            raise UndeclaredStep(f"{name} is not a step of the journey {journey.name if journey else None!r}")
        same = self.form is not None and self.dialog is not None and self.dialog.name == journey.name
        form = replace(self.form if same else journey.state(), **changes)
        journey.check_form(form)
        self.step, self.form = step, form
        self.dialog, self._dialog_known = Dialog(journey.name, journey.step_name(step), asdict(form)), True
        await self.config.dialogs.save(self.openid, self.dialog, self.incoming.received_at)

    async def goto_next(self, **changes: Any) -> Step:
        """Move to the step declared after the current one; for steps shared by journeys (hours entry, filing
        fields) whose order differs from journey to journey."""
        if self.journey is None or self.step not in self.journey.steps:
            raise UndeclaredStep(f"{self.step!r} is not a step of the journey being run")
        steps = self.journey.steps
        position = steps.index(self.step)
        if position + 1 == len(steps):
            raise UndeclaredStep(f"no step after {self.step.__qualname__} in the journey {self.journey.name!r}")
        await self.goto(steps[position + 1], **changes)
        return steps[position + 1]

    async def restore(self, dialog: Dialog) -> Dialog:
        """Put a dialog back as it was stored (the router's own bookkeeping; journeys move with goto)."""
        self.dialog, self.form, self._dialog_known = dialog, None, True
        await self.config.dialogs.save(self.openid, dialog, self.incoming.received_at)
        return dialog

    async def finish(self) -> None:
        self.dialog, self.form, self._dialog_known = None, None, True
        await self.config.dialogs.clear(self.openid)
