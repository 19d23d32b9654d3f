"""Delivering the outbox: turning what storage wants told into WeChat template or customer-service
messages, fetching evidence photos, and retrying with backoff until WeChat takes them.

Delivery is at least once: a row is marked sent after WeChat accepted it, so a crash between the two
repeats one message rather than losing it.
"""

import asyncio
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
from handlers.corrections import corrected_template, corrected_text, voided_template, voided_text
from handlers.declare import submitted_template, submitted_text
from handlers.hours_import import imported_template, imported_text
from handlers.paperwork import (
    filing_updated_template,
    filing_updated_text,
    seal_applied_template,
    seal_applied_text,
    seal_decided_template,
    seal_decided_text,
)
from handlers.reminders import reminder_template, reminder_text
from handlers.review import decided_template, decided_text
from handlers.transfer import transferred_template, transferred_text
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
        self.handlers: dict[str, Callable[[Outbox], Awaitable[str]]] = {
            "declaration_submitted": self._declaration_submitted,
            "declaration_decided": self._declaration_decided,
            "hours_transferred": self._hours_transferred,
            "hours_imported": self._hours_imported,
            "record_voided": self._record_voided,
            "record_corrected": self._record_corrected,
            "fetch_evidence": self._fetch_evidence,
            "seal_applied": self._paperwork(seal_applied_template, seal_applied_text),
            "seal_decided": self._paperwork(seal_decided_template, seal_decided_text),
            "filing_updated": self._paperwork(filing_updated_template, filing_updated_text),
            "hours_reminder": self._hours_reminder,
        }

    async def run_once(self, now: datetime | None = None, most: int = 50) -> int:
        """Deliver what is due, one row at a time, each leased afresh; returns how many were attempted.
        `now` fixes the clock (tests); otherwise each row is read at its own moment."""
        attempted = 0
        while attempted < most:
            moment = now or datetime.now(UTC)
            row = await claim_next(moment)
            if row is None:
                break
            await self._deliver(row, now or datetime.now(UTC))
            attempted += 1
        return attempted

    async def run_forever(self) -> None:
        while True:
            try:
                while await self.run_once():
                    pass
            except Exception:
                log.exception("outbox delivery round failed")
            await asyncio.sleep(self.settings.outbox_poll_seconds)

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

    async def _declaration_submitted(self, row: Outbox) -> str:
        p = row.payload
        return await self._notify(
            row, self.settings.template_declaration_submitted, submitted_template(p), submitted_text(p)
        )

    async def _declaration_decided(self, row: Outbox) -> str:
        p = row.payload
        return await self._notify(row, self.settings.template_declaration_decided, decided_template(p), decided_text(p))

    async def _hours_transferred(self, row: Outbox) -> str:
        p = row.payload
        template_id = self.settings.template_hours_recorded
        return await self._notify(row, template_id, transferred_template(p), transferred_text(p))

    async def _hours_imported(self, row: Outbox) -> str:
        p = row.payload
        return await self._notify(row, self.settings.template_hours_recorded, imported_template(p), imported_text(p))

    async def _hours_reminder(self, row: Outbox) -> str:
        p = row.payload
        return await self._notify(row, self.settings.template_hours_reminder, reminder_template(p), reminder_text(p))

    def _paperwork(
        self, template: Callable[[dict], dict[str, str]], text: Callable[[dict], str]
    ) -> Callable[[Outbox], Awaitable[str]]:
        async def notify(row: Outbox) -> str:
            return await self._notify(row, self.settings.template_paperwork, template(row.payload), text(row.payload))

        return notify

    async def _record_voided(self, row: Outbox) -> str:
        p = row.payload
        return await self._notify(row, self.settings.template_hours_recorded, voided_template(p), voided_text(p))

    async def _record_corrected(self, row: Outbox) -> str:
        p = row.payload
        return await self._notify(row, self.settings.template_hours_recorded, corrected_template(p), corrected_text(p))

    async def _fetch_evidence(self, row: Outbox) -> str:
        try:
            image = await self.api.get_media(row.payload["media_id"])
        except WeChatApiError as error:
            if error.errcode == 40007:  # invalid media id: expired (3 days) or never there
                raise GiveUp(f"40007 media gone: {error.errmsg}") from None
            raise
        await store_evidence(row.payload["record_id"], image)
        return f"evidence {len(image)} bytes"
