"""An effect happens once, even across a crash.

The effect of a message (a registration, a declaration, a decision …), the fact that the message was
processed, and the reply it got are written in one transaction. WeChat retries a message it got no answer
to; a retry that finds the message processed gets the stored reply and changes nothing, whatever moment the
first try's process died at.
"""

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from storage.models import ProcessedMessage

StoredReply = dict[str, Any]


def no_crash(point: str) -> None:
    """Where a test injects a crash: "before_effect", "after_effect" (before the reply is stored), "after_commit"."""


crash_hook: Callable[[str], None] = no_crash


async def stored_reply(message_key: str) -> StoredReply | None:
    row = await ProcessedMessage.get_or_none(message_key=message_key)
    return row.reply if row else None


async def exactly_once(message_key: str, effect: Callable[[], Awaitable[StoredReply]], now: datetime) -> StoredReply:
    """Run `effect` and remember its reply in one transaction, unless the message was processed already.

    Two tries racing (two workers, say) both run the effect inside their transaction; the unique key lets one
    commit, and the other is rolled back and answered with the winner's reply.
    """
    try:
        async with in_transaction():
            earlier = await stored_reply(message_key)
            if earlier is not None:
                return earlier
            crash_hook("before_effect")
            reply = await effect()
            crash_hook("after_effect")
            await ProcessedMessage.create(message_key=message_key, reply=reply, created_at=now)
    except IntegrityError:
        earlier = await stored_reply(message_key)
        if earlier is None:
            raise
        return earlier
    crash_hook("after_commit")
    return reply


async def purge_processed(before: datetime) -> int:
    """WeChat retries within seconds; a day is ample for a restart in between."""
    return await ProcessedMessage.filter(created_at__lt=before).delete()
