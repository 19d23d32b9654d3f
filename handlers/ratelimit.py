"""How often a key (an openid, an IP address) may try something: `RateLimiter`, and its in-process version
(the Redis one, for several processes, is in bot/redis_state.py)."""

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol


class RateLimiter(Protocol):
    """At most `limit` attempts per key in any window of `window_seconds` (a sliding window)."""

    async def allow(self, key: str) -> bool:
        """Count one attempt for `key`; False, and not counted, once it has used up its attempts in the window."""
        ...

    async def exhausted(self, key: str) -> bool:
        """Whether `key` has used up its attempts in the window; counts nothing."""
        ...


class MemoryRateLimiter:
    """For one process: the times of each key's recent attempts."""

    def __init__(self, limit: int, window_seconds: float = 60.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.window = window_seconds
        self.clock = clock
        self._hits: dict[str, deque[float]] = {}

    async def allow(self, key: str) -> bool:
        now = self.clock()
        hits = self._hits.get(key)
        if hits:
            while hits and now - hits[0] >= self.window:
                hits.popleft()
            if len(hits) >= self.limit:
                return False
        self._hits.setdefault(key, deque()).append(now)
        if len(self._hits) > 100_000:  # drop idle keys now and then so memory stays bounded
            self._hits = {k: v for k, v in self._hits.items() if v and now - v[-1] < self.window}
        return True

    async def exhausted(self, key: str) -> bool:
        now = self.clock()
        return len([t for t in self._hits.get(key, ()) if now - t < self.window]) >= self.limit


@dataclass(frozen=True)
class VerifyLimits:
    """Failed verifications in the chat, counted three ways, so several accounts cannot share out a walk
    through the numbers: per account ("chat:<openid>"), per number looked up ("number:<number>"; by ID number
    also the name asked for, "name:<name>"), and in all ("all")."""

    per_account: RateLimiter
    per_number: RateLimiter
    total: RateLimiter
