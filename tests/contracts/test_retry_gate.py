"""What any Gate must do: the reply cache, the user's lock and the nonce memory together, as the endpoint uses
them: each message once, every try of it answered alike, one user at a time, a signed URL for one message."""

import asyncio

import pytest

from bot.wechat.gate import ReusedUrl
from tests.contracts.test_reply_cache import Work


async def test_tries_of_one_message_with_one_url_run_once_and_share_the_reply(gate):
    work = Work(held=True)
    url = ("1700000000", "123", "message A")
    tries = [asyncio.create_task(gate.once("msg-1", "o_a", work, url)) for _ in range(3)]
    await asyncio.sleep(0.01)
    assert not any(t.done() for t in tries)
    work.release.set()
    assert await asyncio.gather(*tries) == ["reply 1"] * 3
    assert await gate.once("msg-1", "o_a", work, url) == "reply 1"  # a retry after the reply
    assert work.runs == 1


async def test_a_url_that_carried_another_message_is_refused_and_runs_nothing(gate):
    first, forged = Work("first"), Work("forged")
    assert await gate.once("msg-1", "o_a", first, ("1700000000", "123", "message A")) == "first 1"
    with pytest.raises(ReusedUrl):
        await gate.once("msg-2", "o_a", forged, ("1700000000", "123", "message B"))
    assert forged.runs == 0
    assert await gate.once("msg-1", "o_a", first, ("1700000000", "123", "message A")) == "first 1"


async def test_one_users_next_message_waits_for_the_previous_while_another_user_goes_ahead(gate):
    first, next_one, other_user = Work("first", held=True), Work("next"), Work("other")
    running = asyncio.create_task(gate.once("msg-1", "o_a", first, ("1700000000", "1", "message 1")))
    await asyncio.sleep(0.05)
    waiting = asyncio.create_task(gate.once("msg-2", "o_a", next_one, ("1700000000", "2", "message 2")))
    await asyncio.sleep(0.1)
    assert next_one.runs == 0 and not waiting.done()
    async with asyncio.timeout(2):
        assert await gate.once("msg-3", "o_b", other_user, ("1700000000", "3", "message 3")) == "other 1"
    assert next_one.runs == 0
    first.release.set()
    async with asyncio.timeout(2):
        assert await asyncio.gather(running, waiting) == ["first 1", "next 1"]


async def test_a_failed_message_releases_the_users_lock_and_its_retries_get_the_failure(gate):
    async def failing() -> str:
        raise RuntimeError("database down")

    with pytest.raises(RuntimeError, match="database down"):
        await gate.once("msg-1", "o_a", failing, ("1700000000", "1", "message 1"))
    with pytest.raises(RuntimeError, match="database down"):
        await gate.once("msg-1", "o_a", failing, ("1700000000", "1", "message 1"))
    async with asyncio.timeout(1):
        assert await gate.once("msg-2", "o_a", Work("next"), ("1700000000", "2", "message 2")) == "next 1"
