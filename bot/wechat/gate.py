"""WeChat retries a message it got no answer to within 5 s, three tries in all. The gate makes each
message take effect once and answers every try with the first try's reply; it also lets one user's
messages through one at a time while different users go in parallel.

In-process here. A Redis version keeps the same two methods for a service of several processes.
"""

import asyncio
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable


class RetryGate:
    def __init__(self, ttl_seconds: float = 120.0, max_entries: int = 100_000) -> None:
        self._ttl = ttl_seconds
        self._max = max_entries
        self._replies: OrderedDict[Hashable, tuple[float, asyncio.Future[str]]] = OrderedDict()
        self._user_locks: dict[str, asyncio.Lock] = {}
        self._user_waiting: dict[str, int] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    async def once(self, key: Hashable, user: str, work: Callable[[], Awaitable[str]]) -> str:
        """The reply to the message `key`: computed once by `work`, shared with every retry of it.

        The work runs in its own task, so a try that WeChat abandons does not abandon the work;
        the next try picks up its result.
        """
        self._forget_expired()
        entry = self._replies.get(key)
        if entry is None:
            future: asyncio.Future[str] = asyncio.get_running_loop().create_future()
            self._replies[key] = (time.monotonic(), future)
            task = asyncio.create_task(self._run(user, work, future))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        else:
            future = entry[1]
        return await asyncio.shield(future)

    async def _run(self, user: str, work: Callable[[], Awaitable[str]], future: asyncio.Future[str]) -> None:
        try:
            async with self._user_lock(user):
                future.set_result(await work())
        except BaseException as error:
            future.set_exception(error)
            if not isinstance(error, Exception):
                raise

    def _forget_expired(self) -> None:
        now = time.monotonic()
        while self._replies:
            key, (created, future) = next(iter(self._replies.items()))
            if (now - created < self._ttl or not future.done()) and len(self._replies) <= self._max:
                break
            del self._replies[key]

    def _user_lock(self, user: str) -> "_UserLock":
        return _UserLock(self, user)

    async def drain(self) -> None:
        """Let in-flight messages finish (on shutdown)."""
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)


class _UserLock:
    """One asyncio.Lock per user, dropped when nobody holds or waits for it."""

    def __init__(self, gate: RetryGate, user: str) -> None:
        self.gate, self.user = gate, user

    async def __aenter__(self) -> None:
        gate = self.gate
        lock = gate._user_locks.setdefault(self.user, asyncio.Lock())
        gate._user_waiting[self.user] = gate._user_waiting.get(self.user, 0) + 1
        try:
            await lock.acquire()
        except BaseException:
            self._release_count()
            raise

    async def __aexit__(self, *exc: object) -> None:
        self.gate._user_locks[self.user].release()
        self._release_count()

    def _release_count(self) -> None:
        gate = self.gate
        gate._user_waiting[self.user] -= 1
        if gate._user_waiting[self.user] == 0:
            del gate._user_waiting[self.user]
            del gate._user_locks[self.user]
