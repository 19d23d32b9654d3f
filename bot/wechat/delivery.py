"""Delivering the outbox: turning what storage wants told into WeChat template or customer-service
messages, fetching evidence photos, and retrying with backoff until WeChat takes them.

Delivery is at least once: a row is marked sent after WeChat accepted it, so a crash between the two
repeats one message rather than losing it.
"""

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from bot.settings import Settings
from bot.wechat.api import (
    CUSTOM_MESSAGE_QUOTA,
    INVALID_OPENID,
    REPLY_WINDOW_CLOSED,
    USER_NOT_SUBSCRIBED,
    WeChatApi,
    WeChatApiError,
    WeChatApiUnavailable,
)
from handlers.corrections import corrected, voided
from handlers.declare import submitted
from handlers.hours_import import imported
from handlers.notices import Notice
from handlers.paperwork import filing_updated, seal_applied, seal_decided
from handlers.reminders import reminder
from handlers.review import decided
from handlers.transfer import transferred
from storage.db import in_own_context
from storage.declarations import store_evidence
from storage.models import Outbox
from storage.outbox import claim_next, mark_failed, mark_sent

log = logging.getLogger(__name__)

# No channel can reach this user: give up at once.
UNREACHABLE = {USER_NOT_SUBSCRIBED: "用户已取消关注", INVALID_OPENID: "openid 无效"}
# This channel is closed for now: try the next one, or give up.
CHANNEL_CLOSED = {REPLY_WINDOW_CLOSED: "超过 48 小时客服消息窗口", CUSTOM_MESSAGE_QUOTA: "客服消息额度已用完"}
MAX_BACKOFF = timedelta(minutes=30)


class GiveUp(Exception):
    """Retrying cannot help; the reason is stored with the row."""


class Deliverer:
    def __init__(self, api: WeChatApi, settings: Settings) -> None:
        self.api = api
        self.settings = settings
        self._stopping = asyncio.Event()
        s = settings
        # Each kind of notification: the template configured for it (if any) and the journey's words.
        notices = {
            "declaration_submitted": (s.template_declaration_submitted, submitted),
            "declaration_decided": (s.template_declaration_decided, decided),
            "hours_transferred": (s.template_hours_recorded, transferred),
            "hours_imported": (s.template_hours_recorded, imported),
            "record_voided": (s.template_hours_recorded, voided),
            "record_corrected": (s.template_hours_recorded, corrected),
            "seal_applied": (s.template_paperwork, seal_applied),
            "seal_decided": (s.template_paperwork, seal_decided),
            "filing_updated": (s.template_paperwork, filing_updated),
            "hours_reminder": (s.template_hours_reminder, reminder),
        }
        self.handlers: dict[str, Callable[[Outbox], Awaitable[str]]] = {
            kind: self._telling(*notice) for kind, notice in notices.items()
        }
        self.handlers["fetch_evidence"] = self._fetch_evidence

    async def run_once(self, now: datetime | None = None, most: int = 50) -> int:
        """Deliver what is due, one row at a time, each leased afresh; returns how many were attempted.
        `now` fixes the clock (tests); otherwise each row is read at its own moment."""
        attempted = 0
        while attempted < most and not self._stopping.is_set():
            moment = now or datetime.now(UTC)
            row = await claim_next(moment)
            if row is None:
                break
            await self._deliver(row, now or datetime.now(UTC))
            attempted += 1
        return attempted

    async def run_forever(self) -> None:
        """Deliver until `stop()`: then finish the row in hand and return."""
        while not self._stopping.is_set():
            try:
                while await in_own_context(self.run_once()):
                    pass
            except Exception:
                log.exception("outbox delivery round failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self.settings.outbox_poll_seconds)

    def stop(self) -> None:
        """On shutdown: no new row is claimed; one being delivered is delivered and marked (a row cut off
        between WeChat's acceptance and its mark would be sent again when its lease runs out)."""
        self._stopping.set()

    async def _deliver(self, row: Outbox, now: datetime) -> None:
        handler = self.handlers.get(row.kind)
        try:
            if handler is None:
                raise GiveUp(f"unknown kind {row.kind}")
            detail = await handler(row)
        except GiveUp as reason:
            log.warning("outbox %s (%s) given up: %s", row.id, row.kind, reason)
            await mark_failed(row, now, str(reason), retry_at=None)
        except Exception as error:
            # WeChat refused or did not answer; or something of ours did not (the access_token's store in Redis,
            # say): try again after a while. Left unrecorded, the row would wait out its whole lease.
            if not isinstance(error, WeChatApiUnavailable | WeChatApiError):
                log.warning("outbox %s (%s) not delivered: %s: %s", row.id, row.kind, type(error).__name__, error)
            attempts = row.attempts + 1
            if now - row.created_at > timedelta(hours=self.settings.outbox_give_up_hours):
                await mark_failed(row, now, f"{error}; gave up after {attempts} attempts", retry_at=None)
            else:
                backoff = min(timedelta(seconds=2**attempts), MAX_BACKOFF)
                await mark_failed(row, now, str(error), retry_at=now + backoff)
        else:
            if not await mark_sent(row, now, detail):
                log.warning("outbox %s was delivered after its lease ran out", row.id)

    async def _notify(self, row: Outbox, template_id: str, template: dict[str, str], text: str) -> str:
        """The template when one is configured, else (or when it is refused) a customer-service text."""
        channels: list[tuple[str, Callable[[], Awaitable[object]]]] = []
        if template_id:
            channels.append(("template", lambda: self.api.send_template(row.openid, template_id, template)))
        channels.append(("text", lambda: self.api.send_text(row.openid, text)))
        closed = [] if template_id else ["template: 未配置模板消息"]
        for channel, send in channels:
            try:
                await send()
                return f"sent as {channel}"
            except WeChatApiError as error:
                if error.errcode in UNREACHABLE:
                    raise GiveUp(f"{error.errcode} {UNREACHABLE[error.errcode]}") from None
                if error.errcode not in CHANNEL_CLOSED:
                    raise
                closed.append(f"{channel}: {error.errcode} {CHANNEL_CLOSED[error.errcode]}")
        raise GiveUp("; ".join(closed))

    def _telling(self, template_id: str, words: Callable[[dict], Notice]) -> Callable[[Outbox], Awaitable[str]]:
        async def tell(row: Outbox) -> str:
            notice = words(row.payload)
            return await self._notify(row, template_id, notice.template, notice.text)

        return tell

    async def _fetch_evidence(self, row: Outbox) -> str:
        try:
            image = await self.api.get_media(row.payload["media_id"])
        except WeChatApiError as error:
            if error.errcode == 40007:  # invalid media id: expired (3 days) or never there
                raise GiveUp(f"40007 media gone: {error.errmsg}") from None
            raise
        await store_evidence(row.payload["record_id"], image)
        return f"evidence {len(image)} bytes"
