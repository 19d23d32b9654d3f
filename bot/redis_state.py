"""Shared state for a service of several processes: the Redis versions of the state seams.

With REDIS_URL set, bot/app.py builds these instead of the in-process versions; tests/contracts/ runs the same
suites over both. Each keeps its keys under one prefix, hashes what could identify a user (an openid) into
the key, and gives every key a time to live in Redis, so nothing is kept for ever.

Times that decide an answer (a reply's age, a window, a token's freshness) come from `clock`, wall time, so
every process agrees; the Redis time to live only clears keys away afterwards. Leases are Redis times to
live: a lock held by a process that died is free again once its lease runs out, and a live holder renews it.
"""

import asyncio
import hashlib
import json
import logging
import secrets
import time
from collections.abc import AsyncIterator, Callable, Hashable
from contextlib import asynccontextmanager
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError

from bot.wechat.api import AccessToken, FetchToken, WeChatApiUnavailable
from bot.wechat.gate import Work

log = logging.getLogger(__name__)

# A lock or a running message outlives a dead process this long at most (its holder renews it every third of it):
# short enough that WeChat's last try of a message, 10 s after its first, finds it free and runs it.
LEASE_SECONDS = 6.0

# Set KEYS[1] to ARGV[2] (time to live ARGV[3] ms) only while it still holds ARGV[1]: a holder whose lease
# ran out must not overwrite the one who took over.
_SET_IF_HELD = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
    redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
    return 1
end
return 0
"""
_RENEW_IF_HELD = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
"""
_DELETE_IF_HELD = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


def connect(url: str) -> Redis:
    """A client for REDIS_URL; it connects on first use. Short timeouts: a message waits seconds, not minutes,
    before the user is told the system is busy.

    A command that finds its pooled connection closed (Redis restarted since it was opened) is sent once more on
    a new one; otherwise each connection left from before a restart fails one message, long after Redis is back.
    Not after a timeout: that command may have run."""
    return Redis.from_url(
        url,
        socket_connect_timeout=2,
        socket_timeout=2,
        decode_responses=True,
        retry=Retry(NoBackoff(), 1, supported_errors=(RedisConnectionError,)),
    )


def _digest(value: object) -> str:
    return hashlib.sha256(repr(value).encode()).hexdigest()[:32]


def _ms(seconds: float) -> int:
    return max(1, int(seconds * 1000))


class UserBusy(TimeoutError):
    """Another message of this user is still being answered, longer than a message may wait for it."""


class WorkFailed(RuntimeError):
    """A message's work failed in another process; the message is the failure's own."""


class TokenFetchFailed(WeChatApiUnavailable, ConnectionError):
    """The access_token fetch that this process waited for, made by another process, failed."""


async def _renew_forever(redis: Redis, key: str, holder: str, lease: float) -> None:
    while True:
        await asyncio.sleep(lease / 3)
        try:
            await redis.eval(_RENEW_IF_HELD, 1, key, holder, _ms(lease))
        except RedisError as error:  # two more tries before the lease runs out
            log.warning("renewing a lease in Redis failed: %s", error)


class _Backoff:
    """Polls that start fast and slow down to `longest`, until `patience` seconds have passed."""

    def __init__(self, patience: float, longest: float = 0.2) -> None:
        self._deadline = time.monotonic() + patience
        self._delay, self._longest = 0.005, longest

    async def wait(self) -> bool:
        """Sleep a little; False once the patience has run out."""
        if time.monotonic() >= self._deadline:
            return False
        await asyncio.sleep(self._delay)
        self._delay = min(self._delay * 2, self._longest)
        return True


# A message is claimed ("running", with a lease) unless a live entry is there; an entry older than the time
# to live on the caller's clock counts as gone. Returns the entry found, or nothing when the caller claimed it.
_CLAIM_REPLY = """
local found = redis.call('GET', KEYS[1])
if found then
    local entry = cjson.decode(found)
    if entry.state == 'running' or tonumber(ARGV[1]) - entry.at < tonumber(ARGV[2]) then return found end
end
redis.call('SET', KEYS[1], ARGV[3], 'PX', ARGV[4])
return false
"""


class RedisReplyCache:
    """The reply to each message, in Redis: the process that claims a message runs its work, with a lease it
    renews while the work runs; tries in any process wait for the reply (or the failure) to appear."""

    def __init__(
        self,
        redis: Redis,
        prefix: str,
        ttl_seconds: float = 120.0,
        wait_seconds: float = 14.0,
        lease_seconds: float = LEASE_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._redis, self._prefix = redis, prefix + "reply:"
        self._ttl, self._wait, self._lease, self._clock = ttl_seconds, wait_seconds, lease_seconds, clock
        self._tasks: set[asyncio.Task[str | None]] = set()

    async def once(self, key: Hashable, work: Work) -> str:
        name = self._prefix + _digest(key)
        backoff = _Backoff(self._wait)
        while True:
            # Its own task, so a try that WeChat abandons abandons neither the work nor a claim just made.
            task = asyncio.create_task(self._claim_or_look(name, work))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
            reply = await asyncio.shield(task)
            if reply is not None:
                return reply
            if not await backoff.wait():
                raise UserBusy("the first try of this message is still running")

    async def _claim_or_look(self, name: str, work: Work) -> str | None:
        """The reply (running the work if nobody has), or None while another try runs it."""
        now = self._clock()
        running = json.dumps({"state": "running", "at": now, "holder": secrets.token_hex(8)})
        found = await self._redis.eval(_CLAIM_REPLY, 1, name, now, self._ttl, running, _ms(self._lease))
        if found is None:
            return await self._run(name, running, now, work)
        entry = json.loads(found)
        if entry["state"] == "failed":
            raise WorkFailed(entry["error"])
        return str(entry["reply"]) if entry["state"] == "done" else None

    async def _run(self, name: str, running: str, at: float, work: Work) -> str:
        renewing = asyncio.create_task(_renew_forever(self._redis, name, running, self._lease))
        outcome: dict[str, Any] | None = None
        try:
            reply = await work()
            outcome = {"state": "done", "at": at, "reply": reply}
            return reply
        except Exception as error:
            outcome = {"state": "failed", "at": at, "error": str(error)}
            raise
        finally:
            renewing.cancel()
            if outcome is None:  # cancelled (shutdown): let a retry run it again
                await self._redis.eval(_DELETE_IF_HELD, 1, name, running)
            else:
                kept = _ms(self._ttl + 60)
                await self._redis.eval(_SET_IF_HELD, 1, name, running, json.dumps(outcome), kept)

    async def drain(self) -> None:
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)


class RedisUserLocks:
    """One user at a time across processes: SET NX with a lease the holder renews, released by compare-and-delete.
    A message waits at most `wait_seconds` for the user's previous one, then gets UserBusy (the 系统繁忙 reply)."""

    def __init__(
        self, redis: Redis, prefix: str, wait_seconds: float = 12.0, lease_seconds: float = LEASE_SECONDS
    ) -> None:
        self._redis, self._prefix = redis, prefix + "lock:"
        self._wait, self._lease = wait_seconds, lease_seconds

    @asynccontextmanager
    async def holding(self, user: str) -> AsyncIterator[None]:
        name, holder = self._prefix + _digest(user), secrets.token_hex(16)
        backoff = _Backoff(self._wait, longest=0.1)
        while not await self._redis.set(name, holder, nx=True, px=_ms(self._lease)):
            if not await backoff.wait():
                raise UserBusy("this user's previous message is still being answered")
        renewing = asyncio.create_task(_renew_forever(self._redis, name, holder, self._lease))
        try:
            yield
        finally:
            renewing.cancel()
            await self._redis.eval(_DELETE_IF_HELD, 1, name, holder)


# KEYS[1] holds "<time> <message>". ARGV: now, ttl, message, ttl ms. 1 when bound to this message.
_BIND_NONCE = """
local found = redis.call('GET', KEYS[1])
if found then
    local space = string.find(found, ' ', 1, true)
    if tonumber(ARGV[1]) - tonumber(string.sub(found, 1, space - 1)) < tonumber(ARGV[2]) then
        if string.sub(found, space + 1) == ARGV[3] then return 1 end
        return 0
    end
end
redis.call('SET', KEYS[1], ARGV[1] .. ' ' .. ARGV[3], 'PX', ARGV[4])
return 1
"""


class RedisNonceMemory:
    def __init__(self, redis: Redis, prefix: str, ttl_seconds: float, clock: Callable[[], float] = time.time) -> None:
        self._redis, self._prefix, self._ttl, self._clock = redis, prefix + "nonce:", ttl_seconds, clock

    async def bind(self, timestamp: str, nonce: str, message: str) -> bool:
        name = self._prefix + _digest((timestamp, nonce))
        now = repr(float(self._clock()))
        return bool(await self._redis.eval(_BIND_NONCE, 1, name, now, self._ttl, message, _ms(self._ttl + 60)))


# A sorted set of attempt times per key. ARGV: now, window, limit, member, window ms. 1 when allowed.
_ALLOW = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', tonumber(ARGV[1]) - tonumber(ARGV[2]))
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then return 0 end
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return 1
"""


class RedisRateLimiter:
    """A sliding window, as the in-process version: the times of each key's attempts in a sorted set, checked
    and added to in one script so two processes cannot both take the last place."""

    def __init__(
        self,
        redis: Redis,
        prefix: str,
        limit: int,
        window_seconds: float = 60.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._redis, self._prefix = redis, prefix
        self.limit, self.window, self.clock = limit, window_seconds, clock

    async def allow(self, key: str) -> bool:
        now = repr(float(self.clock()))
        member = f"{now}:{secrets.token_hex(4)}"
        name = self._prefix + _digest(key)
        return bool(await self._redis.eval(_ALLOW, 1, name, now, self.window, self.limit, member, _ms(self.window)))

    async def exhausted(self, key: str) -> bool:
        since = f"({float(self.clock()) - self.window!r}"
        return await self._redis.zcount(self._prefix + _digest(key), since, "+inf") >= self.limit


# ARGV: the fetch id of the token that failed, whether to force the next fetch.
_INVALIDATE_TOKEN = """
local found = redis.call('GET', KEYS[1])
if found and cjson.decode(found).id == ARGV[1] then
    redis.call('DEL', KEYS[1])
    if ARGV[2] == '1' then redis.call('SET', KEYS[2], '1', 'PX', 86400000) end
end
return 0
"""


class RedisTokenStore:
    """One access_token for every process. A process that finds none takes a lock and fetches (others wait and
    read it), so a fetch is never raced. Callers in one process share one look (and fetch), as in
    MemoryTokenStore; a fetch that fails reaches every caller that was waiting for it, in any process."""

    def __init__(
        self,
        redis: Redis,
        prefix: str,
        margin_seconds: float = 300.0,
        wait_seconds: float = 15.0,
        lease_seconds: float = LEASE_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._redis = redis
        self._current, self._lock, self._force, self._failed = (
            prefix + name for name in ("current", "lock", "force", "failed")
        )
        self._margin, self._wait, self._lease, self._clock = margin_seconds, wait_seconds, lease_seconds, clock
        self._looking: asyncio.Task[AccessToken] | None = None

    async def get(self, fetch: FetchToken) -> AccessToken:
        if self._looking is None:
            self._looking = asyncio.create_task(self._look(fetch))
            self._looking.add_done_callback(_retrieve_exception)
        # shield: one impatient caller being cancelled must not cancel the look the others are waiting for
        return await asyncio.shield(self._looking)

    async def invalidate(self, token: AccessToken, force_refresh: bool = False) -> None:
        force = "1" if force_refresh else "0"
        await self._redis.eval(_INVALIDATE_TOKEN, 2, self._current, self._force, token.fetch_id, force)

    async def _read(self) -> AccessToken | None:
        found = await self._redis.get(self._current)
        if found is None:
            return None
        entry = json.loads(found)
        if self._clock() >= entry["fresh_until"]:
            return None
        return AccessToken(entry["value"], entry["fresh_until"], fetch_id=entry["id"])

    async def _look(self, fetch: FetchToken) -> AccessToken:
        # Wall time, not the clock: it orders this look against a failure recorded by another process.
        since = time.time()
        try:
            backoff = _Backoff(self._wait)
            while True:
                if (current := await self._read()) is not None:
                    return current
                holder = secrets.token_hex(16)
                if await self._redis.set(self._lock, holder, nx=True, px=_ms(self._lease)):
                    try:
                        return await self._fetch_holding_the_lock(fetch, holder, since)
                    finally:
                        await self._redis.eval(_DELETE_IF_HELD, 1, self._lock, holder)
                # Another process is fetching: wait until it lets go of the lock, then look again.
                fetching = await self._redis.get(self._lock)
                while fetching is not None and await self._redis.get(self._lock) == fetching:
                    if not await backoff.wait():
                        raise WeChatApiUnavailable("another process has been fetching the access_token too long")
        finally:
            self._looking = None

    async def _fetch_holding_the_lock(self, fetch: FetchToken, holder: str, since: float) -> AccessToken:
        # Another process may have stored a token, or failed to fetch one, since we looked.
        if (current := await self._read()) is not None:
            return current
        failure = await self._redis.get(self._failed)
        if failure is not None and json.loads(failure)["at"] >= since:
            raise TokenFetchFailed(json.loads(failure)["error"])
        try:
            value, expires_in = await fetch(await self._redis.get(self._force) is not None)
        except Exception as error:
            failure = json.dumps({"at": time.time(), "error": str(error)})
            await self._redis.set(self._failed, failure, px=_ms(5))
            raise
        # A stable_token near its end reports little time left: keep it for half of that, not for nothing.
        keep = max(expires_in - self._margin, expires_in / 2)
        token = AccessToken(value, self._clock() + keep, fetch_id=holder)
        entry = json.dumps({"value": value, "fresh_until": token.fresh_until, "id": holder})
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.set(self._current, entry, px=_ms(max(expires_in, 1)))
            pipe.delete(self._force)
            await pipe.execute()
        return token


def _retrieve_exception(task: asyncio.Task[AccessToken]) -> None:
    if not task.cancelled():
        task.exception()
