"""WeChat retries a message it got no answer to within 5 s, three tries in all. The gate makes each
message take effect once and answers every try with the first try's reply; it also lets one user's
messages through one at a time while different users go in parallel.

Three seams, each a small interface with an in-process version here: `ReplyCache` (the first try's reply,
shared with its retries), `UserLocks` (one user at a time) and `NonceMemory` (a signed URL carries one
message only); `RetryGate` puts them together. A service of several processes uses the Redis versions in
bot/redis_state.py, and `RedisRetryGate` there, which does the same in two round trips a message;
tests/contracts/ holds what any version must do.
"""

import asyncio
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Protocol

Work = Callable[[], Awaitable[str]]


class ReusedUrl(Exception):
    """A signed URL seen before, now with another message: a forgery (the signature covers no part of the body)."""


class ReplyCache(Protocol):
    """The reply to each message, computed once and shared with every retry of it for a while."""

    async def once(self, key: Hashable, work: Work) -> str:
        """The reply to the message `key`: computed once by `work`, shared with every try of it.

        A try that arrives while the work runs waits for it. A caller that is cancelled (WeChat gave up
        on that try) does not cancel the work; the next try picks up its result.
        """
        ...

    async def drain(self) -> None:
        """Let the work in flight finish (on shutdown)."""
        ...


class UserLocks(Protocol):
    """One user's messages one at a time; different users in parallel."""

    def holding(self, user: str) -> AbstractAsyncContextManager[None]:
        """`async with locks.holding(openid):` waits until no one else holds this user's lock."""
        ...


class NonceMemory(Protocol):
    """Each signed URL's (timestamp, nonce), bound to the first message it carried.

    The URL signature covers no part of the body, so the same URL with another body is a forgery; the same
    message again is a retry or a replay, which the reply cache answers without a second effect.
    """

    async def bind(self, timestamp: str, nonce: str, message: str) -> bool:
        """True when the pair is new (now bound to `message`) or already bound to `message`; else False."""
        ...


class MemoryNonceMemory:
    """For one process. A pair is remembered for `ttl_seconds`, which must cover the whole time its timestamp
    is accepted (twice the replay window: a timestamp may be that far behind or ahead of our clock)."""

    def __init__(self, ttl_seconds: float, max_entries: int = 1_000_000, clock: Callable[[], float] = time.monotonic):
        self._ttl = ttl_seconds
        self._max = max_entries
        self._clock = clock
        self._bound: OrderedDict[tuple[str, str], tuple[float, str]] = OrderedDict()

    async def bind(self, timestamp: str, nonce: str, message: str) -> bool:
        now = self._clock()
        while self._bound:
            oldest, (since, _) = next(iter(self._bound.items()))
            if now - since < self._ttl and len(self._bound) < self._max:
                break
            del self._bound[oldest]
        bound = self._bound.setdefault((timestamp, nonce), (now, message))
        return bound[1] == message


class MemoryReplyCache:
    """For one process. Replies are kept `ttl_seconds` (WeChat's retries come within 15 s), and never more than
    `max_entries` of them: past that the oldest reply is forgotten first, so memory stays flat under any load.
    A reply forgotten early costs little: a late retry runs its work again, and a message with an effect finds
    its stored reply (storage/processed.py) rather than acting twice. Work still running is held apart and
    never forgotten (how much runs at once is bounded by the connections, not by this cache)."""

    def __init__(
        self, ttl_seconds: float = 120.0, max_entries: int = 20_000, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._ttl = ttl_seconds
        self._max = max_entries
        self._clock = clock
        self._running: dict[Hashable, asyncio.Future[str]] = {}
        self._replies: OrderedDict[Hashable, tuple[float, asyncio.Future[str]]] = OrderedDict()
        self._tasks: set[asyncio.Task[None]] = set()

    def __len__(self) -> int:
        """How many finished replies are kept."""
        return len(self._replies)

    async def once(self, key: Hashable, work: Work) -> str:
        self._forget_expired()
        future = self._running.get(key)
        if future is None and (kept := self._replies.get(key)) is not None:
            future = kept[1]
        if future is None:
            future = asyncio.get_running_loop().create_future()
            self._running[key] = future
            # Its own task, so a try that WeChat abandons does not abandon the work.
            task = asyncio.create_task(self._run(key, future, work))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return await asyncio.shield(future)

    async def drain(self) -> None:
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _run(self, key: Hashable, future: asyncio.Future[str], work: Work) -> None:
        started = self._clock()
        try:
            await _settle(future, work)
        finally:
            del self._running[key]
            if future.done():
                self._replies[key] = (started, future)
                while len(self._replies) > self._max:
                    self._replies.popitem(last=False)

    def _forget_expired(self) -> None:
        now = self._clock()
        while self._replies:
            key, (started, _) = next(iter(self._replies.items()))
            if now - started < self._ttl:
                break
            del self._replies[key]


async def _settle(future: asyncio.Future[str], work: Work) -> None:
    try:
        future.set_result(await work())
    except BaseException as error:
        future.set_exception(error)
        if not isinstance(error, Exception):
            raise


class MemoryUserLocks:
    """One asyncio.Lock per user, dropped when nobody holds or waits for it."""

    def __init__(self) -> None:
        self._locks: dict[str, asyncio.Lock] = {}
        self._waiting: dict[str, int] = {}

    def __len__(self) -> int:
        """How many users' locks are held or waited for."""
        return len(self._locks)

    @asynccontextmanager
    async def holding(self, user: str) -> AsyncIterator[None]:
        lock = self._locks.setdefault(user, asyncio.Lock())
        self._waiting[user] = self._waiting.get(user, 0) + 1
        try:
            async with lock:
                yield
        finally:
            self._waiting[user] -= 1
            if self._waiting[user] == 0:
                del self._waiting[user]
                del self._locks[user]


class Gate(Protocol):
    """What the endpoint asks of the reply cache, the user's lock and the nonce memory together."""

    async def once(self, key: Hashable, user: str, work: Work, url: tuple[str, str, str] | None = None) -> str:
        """The reply to the message `key` of `user`: `work` run once, holding the user's lock, its reply shared
        with every try. `url` is (timestamp, nonce, message digest): bound first, ReusedUrl when it carried
        another message."""
        ...

    async def drain(self) -> None:
        """Let in-flight messages finish (on shutdown)."""
        ...


class RetryGate:
    """Each message once, its retries answered alike, one user at a time: the reply cache around the user's lock,
    after the URL's nonce."""

    def __init__(
        self, replies: ReplyCache | None = None, locks: UserLocks | None = None, nonces: NonceMemory | None = None
    ) -> None:
        self.replies: ReplyCache = replies if replies is not None else MemoryReplyCache()
        self.locks: UserLocks = locks if locks is not None else MemoryUserLocks()
        self.nonces: NonceMemory = nonces if nonces is not None else MemoryNonceMemory(ttl_seconds=660.0)

    async def once(self, key: Hashable, user: str, work: Work, url: tuple[str, str, str] | None = None) -> str:
        if url is not None and not await self.nonces.bind(*url):
            raise ReusedUrl("a signed URL seen before, now with another message")

        async def in_turn() -> str:
            async with self.locks.holding(user):
                return await work()

        return await self.replies.once(key, in_turn)

    async def drain(self) -> None:
        """Let in-flight messages finish (on shutdown)."""
        await self.replies.drain()
