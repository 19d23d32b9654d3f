"""A sliding-window rate limit per key (an openid, an IP address). In-process; Redis can take over."""

import time
from collections import deque
from collections.abc import Callable


class RateLimiter:
    def __init__(self, limit: int, window_seconds: float = 60.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.window = window_seconds
        self.clock = clock
        self._hits: dict[str, deque[float]] = {}

    def exceeded(self, key: str) -> bool:
        """Whether `key` has used up its attempts in the window (without counting one)."""
        hits = self._hits.get(key)
        if not hits:
            return False
        now = self.clock()
        while hits and now - hits[0] >= self.window:
            hits.popleft()
        return len(hits) >= self.limit

    def allow(self, key: str) -> bool:
        """Count one attempt for `key`; False once it has used up its attempts in the window."""
        if self.exceeded(key):
            return False
        now = self.clock()
        hits = self._hits.setdefault(key, deque())
        hits.append(now)
        if len(self._hits) > 100_000:  # drop idle keys now and then so memory stays bounded
            self._hits = {k: v for k, v in self._hits.items() if v and now - v[-1] < self.window}
        return True
