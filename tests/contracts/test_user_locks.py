"""What any UserLocks must do: one user's messages one at a time, different users at once."""

import asyncio

import pytest


async def _hold(locks, user: str, log: list[str], name: str, seconds: float = 0.01) -> None:
    async with locks.holding(user):
        log.append(f"{name} in")
        await asyncio.sleep(seconds)
        log.append(f"{name} out")


async def test_two_tasks_taking_one_users_lock_run_one_after_the_other(user_locks):
    locks = user_locks
    log: list[str] = []
    await asyncio.gather(_hold(locks, "o_a", log, "first"), _hold(locks, "o_a", log, "second"))
    assert log in (
        ["first in", "first out", "second in", "second out"],
        ["second in", "second out", "first in", "first out"],
    )


async def test_different_users_hold_their_locks_at_the_same_time(user_locks):
    locks = user_locks
    both_in = asyncio.Barrier(2)

    async def hold(user: str) -> None:
        async with locks.holding(user), asyncio.timeout(2):
            await both_in.wait()  # times out if one user's lock kept the other user out

    await asyncio.gather(hold("o_a"), hold("o_b"))


async def test_a_failure_while_holding_the_lock_releases_it(user_locks):
    locks = user_locks
    with pytest.raises(RuntimeError):
        async with locks.holding("o_a"):
            raise RuntimeError("journey failed")
    async with asyncio.timeout(1):
        async with locks.holding("o_a"):
            pass


async def test_a_waiter_cancelled_before_its_turn_leaves_the_lock_usable(user_locks):
    locks = user_locks
    log: list[str] = []
    holding, release = asyncio.Event(), asyncio.Event()

    async def holder() -> None:
        async with locks.holding("o_a"):
            holding.set()
            await release.wait()

    held = asyncio.create_task(holder())
    await holding.wait()
    waiter = asyncio.create_task(_hold(locks, "o_a", log, "waiter"))
    await asyncio.sleep(0.05)
    waiter.cancel()
    release.set()
    await held
    async with asyncio.timeout(1):
        await _hold(locks, "o_a", log, "next")
    assert log == ["next in", "next out"]
