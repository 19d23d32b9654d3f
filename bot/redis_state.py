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
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError

from bot.wechat.api import AccessToken, FetchToken, WeChatApiUnavailable
from bot.wechat.gate import ReusedUrl, Work

log = logging.getLogger(__name__)

# A lock or a running message outlives a dead process this long at most (its holder renews it every third of it):
# short enough that WeChat's last try of a message, 10 s after its first, finds it free and runs it.
LEASE_SECONDS = 6.0

# KEYS: leases; ARGV: their holders, then the lease in ms. Renews each that its holder still holds.
_RENEW_IF_HELD = """
for i, key in ipairs(KEYS) do
    if redis.call('GET', key) == ARGV[i] then redis.call('PEXPIRE', key, ARGV[#KEYS + 1]) end
end
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


async def _renew_forever(redis: Redis, leases: dict[str, str], lease: float) -> None:
    """Renew every third of the lease each of `leases` (key: holder) that its holder still holds."""
    while True:
        await asyncio.sleep(lease / 3)
        try:
            await redis.eval(_RENEW_IF_HELD, len(leases), *leases, *leases.values(), _ms(lease))
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


# A signed URL's (timestamp, nonce) is bound to the first message it carried: KEY holds "<time> <message>", kept
# `ttl` seconds on the caller's clock. True when new (now bound) or already bound to `message`.
_BIND_NONCE_LUA = """
local function bind_nonce(key, now, ttl, message, ms)
    local found = redis.call('GET', key)
    if found then
        local space = string.find(found, ' ', 1, true)
        if tonumber(now) - tonumber(string.sub(found, 1, space - 1)) < tonumber(ttl) then
            return string.sub(found, space + 1) == message
        end
    end
    redis.call('SET', key, now .. ' ' .. message, 'PX', ms)
    return true
end
"""

# One round trip admits a message: (with a URL) the nonce bound, the reply claimed ("running", with a lease) unless
# a live entry is there, and (with a lock) the user's lock taken if free. An entry older than the time to live on
# the caller's clock counts as gone.
# KEYS: the reply, then optionally the user's lock, then optionally the URL's nonce.
# ARGV: now, ttl, the running entry, lease ms, the lock's holder, then the nonce's arguments (_SignedUrl.args).
# Returns {'forged'}, {'found', entry} or {'claimed', 1 when the lock was taken too, else 0}.
_ADMIT = (
    _BIND_NONCE_LUA
    + """
if KEYS[3] and not bind_nonce(KEYS[3], ARGV[6], ARGV[7], ARGV[8], ARGV[9]) then return {'forged'} end
local found = redis.call('GET', KEYS[1])
if found then
    local entry = cjson.decode(found)
    if entry.state == 'running' or tonumber(ARGV[1]) - entry.at < tonumber(ARGV[2]) then return {'found', found} end
end
redis.call('SET', KEYS[1], ARGV[3], 'PX', ARGV[4])
if KEYS[2] and redis.call('SET', KEYS[2], ARGV[5], 'NX', 'PX', ARGV[4]) then return {'claimed', 1} end
return {'claimed', 0}
"""
)

# One round trip ends it: the outcome stored while the claim is still ours (a holder whose lease ran out must not
# overwrite the one who took over), or the claim dropped when there is none (a retry runs it again); the user's
# lock released if we hold it. KEYS: the reply, optionally the lock. ARGV: the running entry, the outcome or '',
# its time to live ms, the lock's holder.
_FINISH = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
    if ARGV[2] == '' then redis.call('DEL', KEYS[1]) else redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3]) end
end
if KEYS[2] and redis.call('GET', KEYS[2]) == ARGV[4] then redis.call('DEL', KEYS[2]) end
return 0
"""


@dataclass(frozen=True)
class _UserLock:
    """A user's lock, to take in the same round trip as a message's claim (RedisRetryGate)."""

    locks: "RedisUserLocks"
    name: str
    holder: str


@dataclass(frozen=True)
class _SignedUrl:
    """A signed URL's nonce, to bind to its message in the same round trip as the message's claim: its key, and
    bind_nonce's arguments (now, time to live, the message, the key's time to live in ms)."""

    name: str
    args: tuple[str, float, str, int]


class RedisReplyCache:
    """The reply to each message, in Redis: the process that claims a message runs its work, with a lease it
    renews while the work runs; tries in any process wait for the reply (or the failure) to appear.

    Two round trips a message, the claim and the outcome; RedisRetryGate adds the user's lock and the URL's nonce
    to the same two (Redis is fast, each round trip is not)."""

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
        self._admit, self._finish = redis.register_script(_ADMIT), redis.register_script(_FINISH)

    async def once(self, key: Hashable, work: Work) -> str:
        return await self.once_in_turn(key, work)

    async def once_in_turn(
        self, key: Hashable, work: Work, lock: _UserLock | None = None, url: _SignedUrl | None = None
    ) -> str:
        """`once`, with the user's lock held around the work and the signed URL bound first, when given."""
        if url is not None and lock is None:  # the script reads the nonce as its third key
            raise ValueError("a signed URL is bound in the same round trip as the user's lock")
        name = self._prefix + _digest(key)
        backoff = _Backoff(self._wait)
        while True:
            # Its own task, so a try that WeChat abandons abandons neither the work nor a claim just made.
            task = asyncio.create_task(self._claim_or_look(name, work, lock, url))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
            reply = await asyncio.shield(task)
            if reply is not None:
                return reply
            if not await backoff.wait():
                raise UserBusy("the first try of this message is still running")

    async def _claim_or_look(self, name: str, work: Work, lock: _UserLock | None, url: _SignedUrl | None) -> str | None:
        """The reply (running the work if nobody has), or None while another try runs it."""
        now = self._clock()
        running = json.dumps({"state": "running", "at": now, "holder": secrets.token_hex(8)})
        keys, args = [name], [now, self._ttl, running, _ms(self._lease)]
        if lock is not None:
            keys.append(lock.name)
            args.append(lock.holder)
        if url is not None:
            keys.append(url.name)
            args += url.args
        found = await self._admit(keys, args)
        if found[0] == "forged":
            raise ReusedUrl("a signed URL seen before, now with another message")
        if found[0] == "claimed":
            return await self._run(name, running, now, work, lock, locked=found[1] == 1)
        entry = json.loads(found[1])
        if entry["state"] == "failed":
            raise WorkFailed(entry["error"])
        return str(entry["reply"]) if entry["state"] == "done" else None

    async def _run(self, name: str, running: str, at: float, work: Work, lock: _UserLock | None, locked: bool) -> str:
        leases = {name: running} | ({lock.name: lock.holder} if lock is not None else {})
        renewing = asyncio.create_task(_renew_forever(self._redis, leases, self._lease))
        outcome: dict[str, Any] | None = None
        try:
            if lock is not None and not locked:  # the user's previous message is still running: wait for it
                await lock.locks.take(lock.name, lock.holder)
            reply = await work()
            outcome = {"state": "done", "at": at, "reply": reply}
            return reply
        except Exception as error:
            outcome = {"state": "failed", "at": at, "error": str(error)}
            raise
        finally:
            renewing.cancel()
            # Cancelled (shutdown): no outcome, the claim is dropped and a retry runs it again.
            args = [running, "" if outcome is None else json.dumps(outcome), _ms(self._ttl + 60)]
            await self._finish(list(leases), args + ([lock.holder] if lock is not None else []))

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
        lock = self.lock_of(user)
        await self.take(lock.name, lock.holder)
        renewing = asyncio.create_task(_renew_forever(self._redis, {lock.name: lock.holder}, self._lease))
        try:
            yield
        finally:
            renewing.cancel()
            await self._redis.eval(_DELETE_IF_HELD, 1, lock.name, lock.holder)

    def lock_of(self, user: str) -> "_UserLock":
        """The user's lock, with a holder of its own, not yet taken."""
        return _UserLock(self, self._prefix + _digest(user), secrets.token_hex(16))

    async def take(self, name: str, holder: str) -> None:
        """Wait until the lock is free and take it; UserBusy after `wait_seconds`."""
        backoff = _Backoff(self._wait, longest=0.1)
        while not await self._redis.set(name, holder, nx=True, px=_ms(self._lease)):
            if not await backoff.wait():
                raise UserBusy("this user's previous message is still being answered")


_BIND_NONCE = _BIND_NONCE_LUA + "return bind_nonce(KEYS[1], ARGV[1], ARGV[2], ARGV[3], ARGV[4]) and 1 or 0"


class RedisNonceMemory:
    def __init__(self, redis: Redis, prefix: str, ttl_seconds: float, clock: Callable[[], float] = time.time) -> None:
        self._redis, self._prefix, self._ttl, self._clock = redis, prefix + "nonce:", ttl_seconds, clock
        self._bind = redis.register_script(_BIND_NONCE)

    async def bind(self, timestamp: str, nonce: str, message: str) -> bool:
        url = self.url(timestamp, nonce, message)
        return bool(await self._bind([url.name], list(url.args)))

    def url(self, timestamp: str, nonce: str, message: str) -> _SignedUrl:
        """The URL to bind to `message`, as of now."""
        now = repr(float(self._clock()))
        return _SignedUrl(self._prefix + _digest((timestamp, nonce)), (now, self._ttl, message, _ms(self._ttl + 60)))


class RedisRetryGate:
    """RetryGate over Redis in two round trips a message: the URL's nonce bound, the reply claimed and the user's
    lock taken in one; the reply stored and the lock released in the other. The lock takes the reply's lease.
    A user's next message that finds the lock taken waits for it as RedisUserLocks.holding does."""

    def __init__(self, replies: RedisReplyCache, locks: RedisUserLocks, nonces: RedisNonceMemory) -> None:
        self.replies, self.locks, self.nonces = replies, locks, nonces

    async def once(self, key: Hashable, user: str, work: Work, url: tuple[str, str, str] | None = None) -> str:
        signed = self.nonces.url(*url) if url is not None else None
        return await self.replies.once_in_turn(key, work, self.locks.lock_of(user), signed)

    async def drain(self) -> None:
        await self.replies.drain()


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
