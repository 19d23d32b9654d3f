"""What any NonceMemory must do: a signed URL's (timestamp, nonce) carries one message, for as long as the
timestamp is accepted."""

import asyncio

from tests.contracts.conftest import NONCE_TTL as TTL


async def test_a_new_pair_is_bound_to_its_message_and_its_retries_pass(nonces):
    assert await nonces.bind("1700000000", "123", "message A")
    assert await nonces.bind("1700000000", "123", "message A")


async def test_the_same_pair_with_another_message_is_refused(nonces):
    assert await nonces.bind("1700000000", "123", "message A")
    assert not await nonces.bind("1700000000", "123", "message B")
    assert await nonces.bind("1700000000", "123", "message A")  # the first binding stands


async def test_pairs_are_told_apart_by_timestamp_and_nonce(nonces):
    assert await nonces.bind("1700000000", "123", "message A")
    assert await nonces.bind("1700000001", "123", "message B")
    assert await nonces.bind("1700000000", "124", "message C")


async def test_a_pair_is_remembered_for_its_whole_time_and_then_forgotten(nonces, clock):
    assert await nonces.bind("1700000000", "123", "message A")
    clock.advance(TTL - 1)
    assert not await nonces.bind("1700000000", "123", "message B")
    clock.advance(2)
    assert await nonces.bind("1700000000", "123", "message B")


async def test_two_messages_racing_for_one_pair_only_one_wins(nonces):
    results = await asyncio.gather(*(nonces.bind("1700000000", "9", f"message {i}") for i in range(10)))
    assert results.count(True) == 1
