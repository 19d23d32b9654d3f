"""The outbox: messages to deliver, written with the change they tell of and delivered by a worker.

Claiming is a conditional UPDATE (a lease on next_attempt_at), so several workers never deliver the same
row at once, on SQLite and PostgreSQL alike.
"""

from datetime import datetime, timedelta
from typing import Any

from tortoise.expressions import F
from tortoise.transactions import in_transaction

from storage.models import Outbox, OutboxAttempt, OutboxStatus

LEASE = timedelta(seconds=60)  # a worker that dies mid-delivery hands the row back after this


async def enqueue(kind: str, openid: str, payload: dict[str, Any], now: datetime) -> Outbox:
    """Call inside the transaction of the change being told of."""
    return await Outbox.create(kind=kind, openid=openid, payload=payload, next_attempt_at=now)


async def claim_due(now: datetime, limit: int = 20) -> list[Outbox]:
    due = await Outbox.filter(status=OutboxStatus.PENDING, next_attempt_at__lte=now).order_by("id").limit(limit)
    claimed = []
    for row in due:
        taken = await Outbox.filter(id=row.id, status=OutboxStatus.PENDING, next_attempt_at=row.next_attempt_at).update(
            next_attempt_at=now + LEASE
        )
        if taken:
            claimed.append(row)
    return claimed


async def mark_sent(row: Outbox, now: datetime, detail: str = "") -> None:
    async with in_transaction():
        await Outbox.filter(id=row.id).update(
            status=OutboxStatus.SENT, attempts=F("attempts") + 1, done_at=now, last_error=""
        )
        await OutboxAttempt.create(outbox_id=row.id, ok=True, detail=detail[:300])


async def mark_failed(row: Outbox, now: datetime, error: str, retry_at: datetime | None) -> None:
    """Record a failed attempt; retry at `retry_at`, or give up for good when it is None."""
    async with in_transaction():
        changes: dict[str, Any] = {"attempts": F("attempts") + 1, "last_error": error[:300]}
        if retry_at is None:
            changes |= {"status": OutboxStatus.GAVE_UP, "done_at": now}
        else:
            changes["next_attempt_at"] = retry_at
        await Outbox.filter(id=row.id).update(**changes)
        await OutboxAttempt.create(outbox_id=row.id, ok=False, detail=error[:300])
