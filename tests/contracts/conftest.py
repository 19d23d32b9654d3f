"""Every implementation of every state seam, listed once. Each contract module runs its whole suite over the
implementations listed here for its seam: a new one is one more entry below and then has to pass the same tests.

The Redis versions run twice: as one process's store, and as two processes' stores over one Redis that take
turns answering the calls (as WeChat's tries of one message land on any worker). They need a real Redis
(tests/shared_redis.py): skipped where none answers, failed under CI=true.

An entry is a function returning an async context manager that gives the store, so an implementation that
needs a connection or a clean slate opens and cleans it there. Each is built with the settings below.
"""

import itertools
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import timedelta
from typing import Any

import pytest

from bot.console.sessions import DatabaseSessionStore, SessionStore
from bot.redis_state import (
    RedisNonceMemory,
    RedisRateLimiter,
    RedisReplyCache,
    RedisRetryGate,
    RedisTokenStore,
    RedisUserLocks,
)
from bot.wechat.api import MemoryTokenStore, TokenStore
from bot.wechat.gate import (
    Gate,
    MemoryNonceMemory,
    MemoryReplyCache,
    MemoryUserLocks,
    NonceMemory,
    ReplyCache,
    RetryGate,
    UserLocks,
)
from handlers.ratelimit import MemoryRateLimiter, RateLimiter
from storage.db import database
from storage.dialogs import DatabaseDialogStore, DialogStore
from tests.conftest import an_empty_database
from tests.shared_redis import a_clean_redis


class Clock:
    """Seconds that move only when a test moves them."""

    def __init__(self, now: float = 1_767_225_600.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@asynccontextmanager
async def _ready(store: Any) -> AsyncIterator[Any]:
    yield store


@asynccontextmanager
async def _database_dialogs(kind: str, request: pytest.FixtureRequest, tmp_path) -> AsyncIterator[DialogStore]:
    async with database(await an_empty_database(kind, request, tmp_path)):
        yield DatabaseDialogStore(DIALOG_IDLE)


@asynccontextmanager
async def _in_database(kind: str, request: pytest.FixtureRequest, tmp_path, store: Any) -> AsyncIterator[Any]:
    async with database(await an_empty_database(kind, request, tmp_path)):
        yield store


class _TakingTurns:
    """Two processes' stores over one Redis: each call goes to the next one."""

    def __init__(self, *stores: Any) -> None:
        self._stores = stores
        self._turn = itertools.cycle(stores)

    def __getattr__(self, name: str) -> Any:
        return getattr(next(self._turn), name)

    async def drain(self) -> None:
        for store in self._stores:
            await store.drain()


def _redis(build: Callable[..., Any], workers: int = 1) -> AbstractAsyncContextManager[Any]:
    """`build(redis, prefix)` once per worker, all on one clean prefix."""

    @asynccontextmanager
    async def opened() -> AsyncIterator[Any]:
        async with a_clean_redis() as (redis, prefix):
            stores = [build(redis, prefix) for _ in range(workers)]
            yield stores[0] if workers == 1 else _TakingTurns(*stores)

    return opened()


# What every implementation is built with, so the tests can speak of it.
REPLY_TTL = 120.0
LIMIT, WINDOW = 3, 60.0
TOKEN_MARGIN = 300.0
SESSION_IDLE = 30 * 60.0
DIALOG_IDLE = timedelta(minutes=30)

# name -> (clock) -> store
REPLY_CACHES: dict[str, Callable[..., AbstractAsyncContextManager[ReplyCache]]] = {
    "memory": lambda clock: _ready(MemoryReplyCache(ttl_seconds=REPLY_TTL, clock=clock)),
    "redis": lambda clock: _redis(lambda r, p: RedisReplyCache(r, p, ttl_seconds=REPLY_TTL, clock=clock)),
    "redis-2-workers": lambda clock: _redis(lambda r, p: RedisReplyCache(r, p, ttl_seconds=REPLY_TTL, clock=clock), 2),
}
# The in-process versions also hold a bounded number of replies, whatever the load (Redis bounds its own by TTL
# and maxmemory). name -> (clock) -> store holding at most REPLY_BOUND replies
REPLY_BOUND = 50
BOUNDED_REPLY_CACHES: dict[str, Callable[..., AbstractAsyncContextManager[Any]]] = {
    "memory": lambda clock: _ready(MemoryReplyCache(ttl_seconds=REPLY_TTL, max_entries=REPLY_BOUND, clock=clock)),
}
NONCE_TTL = 660.0
# name -> (clock) -> store
NONCE_MEMORIES: dict[str, Callable[..., AbstractAsyncContextManager[NonceMemory]]] = {
    "memory": lambda clock: _ready(MemoryNonceMemory(ttl_seconds=NONCE_TTL, clock=clock)),
    "redis": lambda clock: _redis(lambda r, p: RedisNonceMemory(r, p, ttl_seconds=NONCE_TTL, clock=clock)),
    "redis-2-workers": lambda clock: _redis(lambda r, p: RedisNonceMemory(r, p, ttl_seconds=NONCE_TTL, clock=clock), 2),
}
# name -> () -> store
USER_LOCKS: dict[str, Callable[..., AbstractAsyncContextManager[UserLocks]]] = {
    "memory": lambda: _ready(MemoryUserLocks()),
    "redis": lambda: _redis(RedisUserLocks),
    "redis-2-workers": lambda: _redis(RedisUserLocks, 2),
}
# The three together, as the endpoint uses them. name -> (clock) -> gate
GATES: dict[str, Callable[..., AbstractAsyncContextManager[Gate]]] = {
    "memory": lambda clock: _ready(
        RetryGate(
            MemoryReplyCache(ttl_seconds=REPLY_TTL, clock=clock),
            MemoryUserLocks(),
            MemoryNonceMemory(ttl_seconds=NONCE_TTL, clock=clock),
        )
    ),
    "redis": lambda clock: _redis(lambda r, p: _redis_gate(r, p, clock)),
    "redis-2-workers": lambda clock: _redis(lambda r, p: _redis_gate(r, p, clock), 2),
}


def _redis_gate(redis: Any, prefix: str, clock: Clock) -> Gate:
    return RedisRetryGate(
        RedisReplyCache(redis, prefix, ttl_seconds=REPLY_TTL, clock=clock),
        RedisUserLocks(redis, prefix),
        RedisNonceMemory(redis, prefix, ttl_seconds=NONCE_TTL, clock=clock),
    )


# name -> (clock) -> limiter
RATE_LIMITERS: dict[str, Callable[..., AbstractAsyncContextManager[RateLimiter]]] = {
    "memory": lambda clock: _ready(MemoryRateLimiter(LIMIT, WINDOW, clock)),
    "redis": lambda clock: _redis(lambda r, p: RedisRateLimiter(r, p, LIMIT, WINDOW, clock)),
    "redis-2-workers": lambda clock: _redis(lambda r, p: RedisRateLimiter(r, p, LIMIT, WINDOW, clock), 2),
}
# name -> (clock) -> store
TOKEN_STORES: dict[str, Callable[..., AbstractAsyncContextManager[TokenStore]]] = {
    "memory": lambda clock: _ready(MemoryTokenStore(TOKEN_MARGIN, clock)),
    "redis": lambda clock: _redis(lambda r, p: RedisTokenStore(r, p, TOKEN_MARGIN, clock=clock)),
    "redis-2-workers": lambda clock: _redis(lambda r, p: RedisTokenStore(r, p, TOKEN_MARGIN, clock=clock), 2),
}
# name -> (clock, request, tmp_path) -> store
SESSION_STORES: dict[str, Callable[..., AbstractAsyncContextManager[SessionStore]]] = {
    "database-sqlite": lambda clock, request, tmp_path: _in_database(
        "sqlite", request, tmp_path, DatabaseSessionStore(SESSION_IDLE, secure=False, clock=clock)
    ),
    "database-postgres": lambda clock, request, tmp_path: _in_database(
        "postgres", request, tmp_path, DatabaseSessionStore(SESSION_IDLE, secure=False, clock=clock)
    ),
}
# name -> (request, tmp_path) -> store; the database version once on each database the suite runs on
DIALOG_STORES: dict[str, Callable[..., AbstractAsyncContextManager[DialogStore]]] = {
    "database-sqlite": lambda request, tmp_path: _database_dialogs("sqlite", request, tmp_path),
    "database-postgres": lambda request, tmp_path: _database_dialogs("postgres", request, tmp_path),
}


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture(params=sorted(REPLY_CACHES))
async def reply_cache(request: pytest.FixtureRequest, clock: Clock) -> AsyncIterator[ReplyCache]:
    async with REPLY_CACHES[request.param](clock) as store:
        yield store


@pytest.fixture(params=sorted(BOUNDED_REPLY_CACHES))
async def bounded_reply_cache(request: pytest.FixtureRequest, clock: Clock) -> AsyncIterator[Any]:
    async with BOUNDED_REPLY_CACHES[request.param](clock) as store:
        yield store


@pytest.fixture(params=sorted(NONCE_MEMORIES))
async def nonces(request: pytest.FixtureRequest, clock: Clock) -> AsyncIterator[NonceMemory]:
    async with NONCE_MEMORIES[request.param](clock) as store:
        yield store


@pytest.fixture(params=sorted(USER_LOCKS))
async def user_locks(request: pytest.FixtureRequest) -> AsyncIterator[UserLocks]:
    async with USER_LOCKS[request.param]() as store:
        yield store


@pytest.fixture(params=sorted(GATES))
async def gate(request: pytest.FixtureRequest, clock: Clock) -> AsyncIterator[Gate]:
    async with GATES[request.param](clock) as store:
        yield store


@pytest.fixture(params=sorted(RATE_LIMITERS))
async def limiter(request: pytest.FixtureRequest, clock: Clock) -> AsyncIterator[RateLimiter]:
    async with RATE_LIMITERS[request.param](clock) as store:
        yield store


@pytest.fixture(params=sorted(TOKEN_STORES))
async def tokens(request: pytest.FixtureRequest, clock: Clock) -> AsyncIterator[TokenStore]:
    async with TOKEN_STORES[request.param](clock) as store:
        yield store


@pytest.fixture(params=sorted(SESSION_STORES))
async def sessions(request: pytest.FixtureRequest, clock: Clock, tmp_path) -> AsyncIterator[SessionStore]:
    async with SESSION_STORES[request.param](clock, request, tmp_path) as store:
        yield store


@pytest.fixture(params=sorted(DIALOG_STORES))
async def dialogs(request: pytest.FixtureRequest, tmp_path) -> AsyncIterator[DialogStore]:
    async with DIALOG_STORES[request.param](request, tmp_path) as store:
        yield store
