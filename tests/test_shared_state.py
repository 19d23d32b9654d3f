"""A service of several processes shares its state in Redis: a retry that lands on another worker gets the
first try's reply, a dead worker's lock runs out, a live one's does not, and Redis failing is a calm 系统繁忙."""

import asyncio
import contextlib
import logging

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.app import make_app
from bot.devtools.chat_client import read_reply, sign, text_xml
from bot.redis_state import RedisNonceMemory, RedisReplyCache, RedisRetryGate, RedisUserLocks, UserBusy
from bot.wechat.endpoint import BUSY
from storage.models import CertSerial, Person
from tests.conftest import Service, make_settings, running_service
from tests.domain import a_unit, an_id_number
from tests.shared_redis import REDIS_TEST_URL, a_clean_redis

CLOSED_PORT = "redis://127.0.0.1:1/0"  # nothing listens on port 1


@pytest.fixture
async def redis():
    async with a_clean_redis() as (client, prefix):
        yield client, prefix


@contextlib.asynccontextmanager
async def two_workers(database_url: str, prefix: str):
    """Two processes of one service, as WeChat sees them: one database, one Redis, two endpoints."""
    settings = make_settings(database_url, redis_url=REDIS_TEST_URL, redis_prefix=prefix)
    async with running_service(settings) as first:
        other = TestClient(TestServer(make_app(first.settings, with_database=False)))
        await other.start_server()
        try:
            yield first, Service(other, first.settings, first.fake)
        finally:
            await other.close()


async def _reply(worker: Service, xml: str) -> str:
    response, signed = await worker.post(xml)
    assert response.status == 200, await response.text()
    return read_reply(worker.settings, await response.text(), signed.query)


async def test_a_retry_that_lands_on_another_worker_gets_the_first_reply_and_registers_no_one_twice(
    database_url, redis
):
    async with two_workers(database_url, redis[1]) as (first, second):
        unit = await a_unit()
        for line in ("注册", "周杰", an_id_number(), unit.name[:4], "1"):
            await first.user("o_retry").says(line)
        confirm = text_xml("o_retry", "确认", msg_id=888_000_001)

        replies = await asyncio.gather(_reply(first, confirm), _reply(second, confirm), _reply(second, confirm))

        assert replies[0] == replies[1] == replies[2] and "注册成功" in replies[0]
        assert await Person.filter(openid="o_retry").count() == 1
        assert (await CertSerial.get()).last_serial == 1


async def test_a_signed_url_replayed_on_another_worker_with_another_message_is_refused(database_url, redis):
    async with two_workers(database_url, redis[1]) as (first, second):
        signed = sign(first.settings, text_xml("o_a", "帮助", msg_id=1))
        forged = text_xml("o_a", "注册", msg_id=2)
        assert (await first.client.post("/wechat", params=signed.query, data=signed.body.encode())).status == 200
        response = await second.client.post("/wechat", params=signed.query, data=forged.encode())
        assert response.status == 403


async def test_with_redis_unreachable_a_message_gets_the_busy_reply_not_an_error(database_url, caplog):
    async with running_service(make_settings(database_url, redis_url=CLOSED_PORT)) as service:
        with caplog.at_level(logging.ERROR):
            assert await service.user("o_a").says("帮助") == BUSY
        assert "not handled" in caplog.text


async def test_without_redis_the_service_says_it_is_a_single_process(database_url, caplog):
    with caplog.at_level(logging.INFO, logger="bot.app"):
        async with running_service(make_settings(database_url)):
            pass
    assert "single process: no REDIS_URL" in caplog.text


async def test_a_lock_left_by_a_worker_that_died_is_free_once_its_lease_runs_out(redis):
    client, prefix = redis
    dead = RedisUserLocks(client, prefix, lease_seconds=0.2)
    holding = dead.holding("o_a")
    await holding.__aenter__()  # the worker takes the lock ...
    for task in asyncio.all_tasks():  # ... and dies: nobody renews it, nobody releases it
        if task.get_coro().__qualname__.startswith("_renew_forever"):
            task.cancel()
    async with asyncio.timeout(2), RedisUserLocks(client, prefix, wait_seconds=2).holding("o_a"):
        pass


async def test_a_live_worker_keeps_its_lock_past_the_lease_so_a_message_never_runs_twice_at_once(redis):
    client, prefix = redis
    log: list[str] = []

    async def message(name: str, seconds: float) -> None:
        async with RedisUserLocks(client, prefix, lease_seconds=0.5, wait_seconds=5).holding("o_a"):
            log.append(f"{name} in")
            await asyncio.sleep(seconds)
            log.append(f"{name} out")

    slow = asyncio.create_task(message("slow", 1.5))  # three leases long
    await asyncio.sleep(0.05)
    await asyncio.gather(slow, message("next", 0))
    assert log == ["slow in", "slow out", "next in", "next out"]


async def test_a_message_that_waits_too_long_for_the_users_lock_gets_the_busy_reply(redis):
    client, prefix = redis
    locks = RedisUserLocks(client, prefix, wait_seconds=0.2)
    async with locks.holding("o_a"):
        with pytest.raises(UserBusy):
            async with locks.holding("o_a"):
                pytest.fail("two messages of one user at once")


async def test_a_message_whose_worker_died_mid_work_is_run_by_a_retry_after_the_lease(redis):
    client, prefix = redis
    dying = RedisReplyCache(client, prefix, lease_seconds=0.2)
    never = asyncio.Event()

    async def work_of_a_worker_that_dies() -> str:
        await never.wait()
        return "never"

    first = asyncio.create_task(dying.once("msg-1", work_of_a_worker_that_dies))
    await asyncio.sleep(0.05)
    for task in asyncio.all_tasks():  # the worker dies: its lease is no longer renewed
        if task.get_coro().__qualname__.startswith("_renew_forever"):
            task.cancel()

    async def work() -> str:
        return "answered"

    async with asyncio.timeout(3):
        assert await RedisReplyCache(client, prefix).once("msg-1", work) == "answered"
    first.cancel()
    never.set()


async def test_through_the_gate_a_message_whose_worker_died_mid_work_frees_its_claim_and_the_users_lock(redis):
    client, prefix = redis

    def gate(lease: float = 6.0) -> RedisRetryGate:
        replies = RedisReplyCache(client, prefix, lease_seconds=lease)
        return RedisRetryGate(replies, RedisUserLocks(client, prefix), RedisNonceMemory(client, prefix, 660.0))

    never = asyncio.Event()

    async def work_of_a_worker_that_dies() -> str:
        await never.wait()
        return "never"

    url = ("1700000000", "1", "message 1")
    first = asyncio.create_task(gate(lease=0.2).once("msg-1", "o_a", work_of_a_worker_that_dies, url))
    await asyncio.sleep(0.05)
    for task in asyncio.all_tasks():  # the worker dies: neither the claim nor the lock is renewed
        if task.get_coro().__qualname__.startswith("_renew_forever"):
            task.cancel()

    async def work() -> str:
        return "answered"

    async with asyncio.timeout(3):
        assert await gate().once("msg-1", "o_a", work, url) == "answered"  # WeChat's retry, on another worker
        assert await gate().once("msg-2", "o_a", work, ("1700000000", "2", "message 2")) == "answered"
    first.cancel()
    never.set()


async def test_with_redis_unreachable_the_public_pages_answer_calmly(database_url, caplog):
    async with running_service(make_settings(database_url, redis_url=CLOSED_PORT)) as service:
        with caplog.at_level(logging.ERROR):
            response = await service.client.post("/", data={"cert_number": "4101002026000001"})
            html = await response.text()
        assert response.status == 503 and "系统繁忙" in html and "没有造成任何改动" in html
        assert "Internal Server Error" not in html
        assert response.headers["Content-Security-Policy"].startswith("default-src 'none'")
        assert "POST / failed" in caplog.text
