"""What any RateLimiter must do: LIMIT attempts per key in any window, then no, until the window moves on."""

from tests.contracts.conftest import LIMIT, WINDOW


async def _attempts(limiter, key: str, times: int) -> list[bool]:
    return [await limiter.allow(key) for _ in range(times)]


async def test_a_key_is_allowed_its_attempts_then_refused(limiter):
    assert await _attempts(limiter, "1.2.3.4", LIMIT + 2) == [True] * LIMIT + [False, False]


async def test_keys_are_counted_apart(limiter):
    assert await _attempts(limiter, "1.2.3.4", LIMIT + 1) == [True] * LIMIT + [False]
    assert await limiter.allow("chat:o_a")
    assert await limiter.allow("5.6.7.8")


async def test_the_window_rolls_over(limiter, clock):
    assert await _attempts(limiter, "k", LIMIT) == [True] * LIMIT
    clock.advance(WINDOW - 1)
    assert not await limiter.allow("k")
    clock.advance(1)
    assert await _attempts(limiter, "k", LIMIT + 1) == [True] * LIMIT + [False]


async def test_the_window_slides_an_attempt_frees_its_place_a_window_after_it_was_made(limiter, clock):
    assert await limiter.allow("k")  # at 0
    clock.advance(WINDOW / 2)
    assert await _attempts(limiter, "k", LIMIT - 1) == [True] * (LIMIT - 1)  # at half a window
    clock.advance(WINDOW / 2)  # the first is now out of the window, the others are not
    assert await _attempts(limiter, "k", 2) == [True, False]


async def test_a_refused_attempt_does_not_count(limiter, clock):
    assert await _attempts(limiter, "k", LIMIT) == [True] * LIMIT
    clock.advance(WINDOW - 1)
    assert not await limiter.allow("k")  # refused: it must not push the wait further
    clock.advance(1)
    assert await _attempts(limiter, "k", LIMIT) == [True] * LIMIT


async def test_exhausted_says_whether_a_key_is_used_up_and_counts_nothing(limiter, clock):
    for _ in range(LIMIT + 3):
        assert not await limiter.exhausted("k")  # asking is not an attempt
    assert await _attempts(limiter, "k", LIMIT) == [True] * LIMIT
    assert await limiter.exhausted("k") and not await limiter.exhausted("other")
    clock.advance(WINDOW)
    assert not await limiter.exhausted("k")
