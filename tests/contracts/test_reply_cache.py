"""What any ReplyCache must do: each message's work runs once, every try of it gets the first reply."""

import asyncio

import pytest

from tests.contracts.conftest import REPLY_BOUND as BOUND
from tests.contracts.conftest import REPLY_TTL as TTL


class Work:
    """A message's work: counts its runs, and can be held until a test lets it finish."""

    def __init__(self, reply: str = "reply", held: bool = False) -> None:
        self.reply, self.runs = reply, 0
        self.release = asyncio.Event()
        if not held:
            self.release.set()

    async def __call__(self) -> str:
        self.runs += 1
        await self.release.wait()
        return f"{self.reply} {self.runs}"


async def test_tries_of_one_message_in_flight_together_run_the_work_once_and_share_its_reply(reply_cache):
    cache = reply_cache
    work = Work(held=True)
    tries = [asyncio.create_task(cache.once("msg-1", work)) for _ in range(3)]
    await asyncio.sleep(0.01)
    assert not any(t.done() for t in tries)  # the retries wait for the first try
    work.release.set()
    assert await asyncio.gather(*tries) == ["reply 1"] * 3
    assert work.runs == 1


async def test_a_retry_after_the_reply_gets_it_without_running_the_work_again(reply_cache):
    cache = reply_cache
    work = Work()
    assert await cache.once("msg-1", work) == "reply 1"
    assert await cache.once("msg-1", work) == "reply 1"
    assert work.runs == 1


async def test_different_messages_run_their_own_work(reply_cache):
    cache = reply_cache
    first, second = Work("first"), Work("second")
    assert await cache.once("msg-1", first) == "first 1"
    assert await cache.once("msg-2", second) == "second 1"
    assert await cache.once(("message", "o_a", 5), first) == "first 2"


async def test_a_reply_is_kept_for_its_time_to_live_and_then_forgotten(reply_cache, clock):
    cache = reply_cache
    work = Work()
    await cache.once("msg-1", work)
    clock.advance(TTL - 1)
    assert await cache.once("msg-1", work) == "reply 1"
    clock.advance(2)
    assert await cache.once("msg-1", work) == "reply 2"


async def test_a_try_that_is_abandoned_does_not_abandon_the_work(reply_cache):
    cache = reply_cache
    work = Work(held=True)
    first = asyncio.create_task(cache.once("msg-1", work))
    await asyncio.sleep(0.01)
    first.cancel()  # WeChat dropped the first connection after 5 s
    with pytest.raises(asyncio.CancelledError):
        await first
    work.release.set()
    assert await cache.once("msg-1", work) == "reply 1"
    assert work.runs == 1


async def test_a_failure_reaches_every_try_waiting_for_it(reply_cache):
    cache = reply_cache
    release = asyncio.Event()

    async def failing() -> str:
        await release.wait()
        raise RuntimeError("database down")

    tries = [asyncio.create_task(cache.once("msg-1", failing)) for _ in range(2)]
    await asyncio.sleep(0.01)
    release.set()
    results = await asyncio.gather(*tries, return_exceptions=True)
    assert all(isinstance(r, RuntimeError) and str(r) == "database down" for r in results)


async def test_drain_waits_for_the_work_in_flight(reply_cache):
    cache = reply_cache
    finished = []

    async def work() -> str:
        await asyncio.sleep(0.02)
        finished.append(True)
        return "done"

    try_ = asyncio.create_task(cache.once("msg-1", work))
    await asyncio.sleep(0)
    try_.cancel()
    await cache.drain()
    assert finished == [True]


async def test_an_in_process_cache_never_holds_more_replies_than_its_bound(bounded_reply_cache):
    cache = bounded_reply_cache
    work = Work()
    for n in range(3 * BOUND):  # a busy minute: far more messages than the bound, all inside the TTL
        await cache.once(f"msg-{n}", work)
        assert len(cache) <= BOUND
    assert len(cache) == BOUND


async def test_past_its_bound_the_oldest_reply_is_forgotten_and_the_newest_are_still_answered(bounded_reply_cache):
    cache = bounded_reply_cache
    works = [Work(f"reply-{n}") for n in range(BOUND + 1)]
    for n, work in enumerate(works):
        await cache.once(f"msg-{n}", work)
    assert await cache.once(f"msg-{BOUND}", works[BOUND]) == f"reply-{BOUND} 1"  # a retry of the newest
    assert await cache.once("msg-1", works[1]) == "reply-1 1"  # the second oldest is still within the bound
    assert works[BOUND].runs == works[1].runs == 1
    assert await cache.once("msg-0", works[0]) == "reply-0 2"  # the oldest was forgotten: its work runs again


async def test_work_in_flight_is_never_forgotten_however_much_of_it_there_is(bounded_reply_cache):
    cache = bounded_reply_cache
    works = [Work(f"reply-{n}", held=True) for n in range(BOUND + 5)]
    first_tries = [asyncio.create_task(cache.once(f"msg-{n}", work)) for n, work in enumerate(works)]
    await asyncio.sleep(0.01)
    retries = [asyncio.create_task(cache.once(f"msg-{n}", work)) for n, work in enumerate(works)]
    for work in works:
        work.release.set()
    assert await asyncio.gather(*first_tries) == await asyncio.gather(*retries)
    assert all(work.runs == 1 for work in works)
    assert len(cache) <= BOUND
