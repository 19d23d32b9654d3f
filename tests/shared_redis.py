"""A real Redis for the tests of the shared-state versions, at JXJY_TEST_REDIS (default: database 15 of the
local server). Each test gets its own key prefix and its keys are deleted afterwards. Where no Redis answers,
those tests are skipped with a line saying so; with CI=true they fail instead (`.ci/run` starts one)."""

import os
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from redis.asyncio import Redis
from redis.exceptions import RedisError

from bot.redis_state import connect

REDIS_TEST_URL = os.environ.get("JXJY_TEST_REDIS", "redis://127.0.0.1:6379/15")


@asynccontextmanager
async def a_clean_redis() -> AsyncIterator[tuple[Redis, str]]:
    """A client and a key prefix no other test (or test process) uses; the prefix's keys go afterwards."""
    client = connect(REDIS_TEST_URL)
    try:
        await client.ping()
    except (RedisError, OSError) as error:
        await client.aclose()
        problem = f"Redis not reachable at {REDIS_TEST_URL}: {type(error).__name__}: {error}"
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true but {problem}")
        pytest.skip(problem)
    prefix = f"jxjy-test-{os.getpid()}-{secrets.token_hex(4)}:"
    try:
        yield client, prefix
    finally:
        keys = [key async for key in client.scan_iter(match=prefix + "*")]
        if keys:
            await client.delete(*keys)
        await client.aclose()
