"""What any TokenStore must do: one fetch however many wait, kept until shortly before it expires, dropped
when WeChat rejects it, forced fresh when a refresh did not help."""

import asyncio

import pytest

from tests.contracts.conftest import TOKEN_MARGIN as MARGIN


class Fetch:
    """WeChat's stable_token endpoint, as the store sees it: numbered tokens, each valid for `expires_in`."""

    def __init__(self, expires_in: int = 7200) -> None:
        self.expires_in = expires_in
        self.forced: list[bool] = []
        self.release = asyncio.Event()
        self.release.set()
        self.failure: Exception | None = None

    async def __call__(self, force_refresh: bool) -> tuple[str, int]:
        self.forced.append(force_refresh)
        await self.release.wait()
        if self.failure is not None:
            raise self.failure
        return f"token-{len(self.forced)}", self.expires_in

    @property
    def count(self) -> int:
        return len(self.forced)


async def test_a_token_is_fetched_once_and_then_served_from_the_store(tokens):
    fetch = Fetch()
    first = await tokens.get(fetch)
    again = await tokens.get(fetch)
    assert first.value == again.value == "token-1"
    assert fetch.forced == [False]


async def test_callers_waiting_at_once_share_one_fetch(tokens):
    fetch = Fetch()
    fetch.release.clear()
    waiting = [asyncio.create_task(tokens.get(fetch)) for _ in range(20)]
    await asyncio.sleep(0.01)
    fetch.release.set()
    assert {token.value for token in await asyncio.gather(*waiting)} == {"token-1"}
    assert fetch.count == 1


async def test_a_token_is_replaced_a_margin_before_it_expires(tokens, clock):
    fetch = Fetch(expires_in=7200)
    await tokens.get(fetch)
    clock.advance(7200 - MARGIN - 1)
    assert (await tokens.get(fetch)).value == "token-1"
    clock.advance(1)
    assert (await tokens.get(fetch)).value == "token-2"


async def test_a_token_with_less_than_the_margin_left_is_kept_for_half_of_it(tokens, clock):
    fetch = Fetch(expires_in=200)
    await tokens.get(fetch)
    clock.advance(99)
    assert (await tokens.get(fetch)).value == "token-1"
    clock.advance(1)
    assert (await tokens.get(fetch)).value == "token-2"


async def test_a_rejected_token_is_dropped_and_the_next_caller_fetches_another(tokens):
    fetch = Fetch()
    rejected = await tokens.get(fetch)
    await tokens.invalidate(rejected)
    assert (await tokens.get(fetch)).value == "token-2"
    assert fetch.forced == [False, False]


async def test_dropping_a_token_already_replaced_keeps_the_new_one(tokens):
    fetch = Fetch()
    old = await tokens.get(fetch)
    await tokens.invalidate(old)
    new = await tokens.get(fetch)
    await tokens.invalidate(old)  # a late rejection of the old token
    assert (await tokens.get(fetch)).value == new.value
    assert fetch.count == 2


async def test_a_token_rejected_twice_is_force_refreshed_once(tokens):
    fetch = Fetch()
    await tokens.invalidate(await tokens.get(fetch), force_refresh=True)
    await tokens.invalidate(await tokens.get(fetch))
    await tokens.get(fetch)
    assert fetch.forced == [False, True, False]


async def test_a_failed_fetch_reaches_every_waiter_and_the_next_caller_tries_again(tokens):
    fetch = Fetch()
    fetch.release.clear()
    fetch.failure = ConnectionError("WeChat unreachable")
    waiting = [asyncio.create_task(tokens.get(fetch)) for _ in range(3)]
    await asyncio.sleep(0.01)
    fetch.release.set()
    results = await asyncio.gather(*waiting, return_exceptions=True)
    assert all(isinstance(r, ConnectionError) for r in results)
    assert fetch.count == 1  # an outage costs one fetch, not one per waiter
    fetch.failure = None
    assert (await tokens.get(fetch)).value == "token-2"


async def test_a_cancelled_caller_does_not_cancel_the_fetch_others_wait_for(tokens):
    fetch = Fetch()
    fetch.release.clear()
    impatient = asyncio.create_task(tokens.get(fetch))
    patient = asyncio.create_task(tokens.get(fetch))
    await asyncio.sleep(0.01)
    impatient.cancel()
    with pytest.raises(asyncio.CancelledError):
        await impatient
    fetch.release.set()
    assert (await patient).value == "token-1"
    assert fetch.count == 1
