"""The outbox: messages to deliver, written with the change they tell of and delivered by a worker.

Claiming leases a row (next_attempt_at moves to now + LEASE), so several workers never deliver the same row at
once. On PostgreSQL the claim reads with FOR UPDATE SKIP LOCKED: concurrent workers pass over each other's rows
instead of racing for the oldest one. SQLite has no row locks (and one writer at a time): there the lease is a
conditional UPDATE that only the first of two racing workers wins.
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


async def claim_next(now: datetime) -> Outbox | None:
    """The oldest due row, leased to this worker until now + LEASE; None when nothing is due."""
    while True:
        async with in_transaction():
            # FOR UPDATE SKIP LOCKED where the database has it (Tortoise leaves it out on SQLite): a row another
            # worker is claiming right now is skipped, not waited for.
            row = await (
                Outbox.filter(status=OutboxStatus.PENDING, next_attempt_at__lte=now)
                .order_by("id")
                .select_for_update(skip_locked=True)
                .first()
            )
            if row is None:
                return None
            lease = now + LEASE
            # Conditional all the same: on SQLite this is what keeps two workers from taking one row.
            taken = await Outbox.filter(
                id=row.id, status=OutboxStatus.PENDING, next_attempt_at=row.next_attempt_at
            ).update(next_attempt_at=lease)
        if taken:
            row.next_attempt_at = lease
            return row
        # another worker took it first: look again


async def mark_sent(row: Outbox, now: datetime, detail: str = "") -> bool:
    """Record delivery; False when the lease was lost (another worker has the row now)."""
    return await _settle(row, True, detail, status=OutboxStatus.SENT, done_at=now, last_error="")


async def mark_failed(row: Outbox, now: datetime, error: str, retry_at: datetime | None) -> bool:
    """Record a failed attempt; retry at `retry_at`, or give up for good when it is None."""
    if retry_at is None:
        return await _settle(row, False, error, status=OutboxStatus.GAVE_UP, done_at=now, last_error=error[:300])
    return await _settle(row, False, error, next_attempt_at=retry_at, last_error=error[:300])


async def _settle(row: Outbox, ok: bool, detail: str, **changes: Any) -> bool:
    # Conditional on the lease this worker holds, so a worker that overran its lease cannot overwrite the
    # outcome of the one that took the row over.
    async with in_transaction():
        held = await Outbox.filter(id=row.id, status=OutboxStatus.PENDING, next_attempt_at=row.next_attempt_at).update(
            attempts=F("attempts") + 1, **changes
        )
        if held:
            await OutboxAttempt.create(outbox_id=row.id, ok=ok, detail=detail[:300])
        return bool(held)
