"""Proven under faults, with real processes: two `jxjy serve` on two ports over one PostgreSQL and one Redis, a
driver that behaves like WeChat (5 s per try, three tries, to either worker), and a worker killed, Redis restarted
and PostgreSQL restarted in the middle of mixed traffic. Every effect is then counted in the database.

The PostgreSQL and Redis here are private to these tests (tests/faults.py), so restarting them disturbs nobody."""

import asyncio
import contextlib
import itertools
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from types import SimpleNamespace

import pytest

from bot.devtools.chat_client import sign, text_xml
from bot.redis_state import connect
from tests.domain import an_id_number
from tests.faults import (
    TOKEN,
    Admin,
    Fleet,
    OffScript,
    Person,
    PrivatePostgres,
    PrivateRedis,
    Tally,
    WeChat,
    exactly_once_report,
    reply_text,
)

NAMES = ["王芳", "李强", "张静", "刘洋", "陈晨", "杨帆", "赵磊", "黄敏", "周杰", "吴昊", "徐丽", "孙涛"]
_openids = itertools.count(1)


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fleet]:
    logs = tmp_path_factory.mktemp("faults")
    postgres = PrivatePostgres()
    redis = PrivateRedis(logs)
    fleet = Fleet(logs, postgres, redis)
    try:
        postgres.start()
        redis.start()
        fleet.prepare()
        yield fleet
    finally:
        fleet.stop()
        redis.stop()
        postgres.remove()


@pytest.fixture
def tails(fleet: Fleet) -> Iterator[None]:
    """The end of every process's log, which pytest shows when the test fails (the logs stay in the module's
    temp directory)."""
    yield
    print(f"logs in {fleet.logs}\n{fleet.tails()}")


def people(wechat: WeChat, tally: Tally, count: int) -> list[Person]:
    return [
        Person(wechat, tally, f"o_fault_{next(_openids)}", NAMES[i % len(NAMES)], an_id_number(born="19800101"))
        for i in range(count)
    ]


async def traffic(
    wechat: WeChat, tally: Tally, crowd: list[Person], seconds: float, fault: Callable[[], Awaitable[None]]
) -> Admin:
    """`seconds` of registrations, declarations, approvals and lookups, with `fault` running alongside; then the
    admin approves whatever still waits."""
    deadline = time.monotonic() + seconds
    admin = Admin(wechat, tally)

    async def life(person: Person) -> None:
        with contextlib.suppress(OffScript):  # counted in the tally
            await person.register(deadline)
            for n in itertools.count(1):
                if time.monotonic() >= deadline:
                    break
                if n % 2:
                    await person.declare(f"急诊医学进展第{n}讲", deadline)
                else:
                    await person.looks_up()
                await asyncio.sleep(0.1)

    async def reviewing() -> None:
        while time.monotonic() < deadline:
            await admin.approve_what_waits()
            await asyncio.sleep(0.5)

    await asyncio.gather(*(life(p) for p in crowd), reviewing(), fault())
    for _ in range(30):
        if await admin.approve_what_waits() == 0:
            break
    return admin


async def outbox_drained(fleet: Fleet, seconds: float = 75) -> list:
    """Waits until no outbox row is pending; the rows left pending, if any."""
    deadline = time.monotonic() + seconds
    while True:
        pending = await fleet.query("SELECT id, kind, attempts, last_error FROM outbox WHERE status <> 'sent'")
        if not pending or time.monotonic() > deadline:
            return pending
        await asyncio.sleep(0.5)


async def deliveries_missing(fleet: Fleet) -> tuple[list[str], int]:
    """Openids told fewer times by the fake WeChat API than the outbox holds rows for them; and how many messages
    were delivered beyond the rows (delivery is at least once: a crash between WeChat taking a message and the
    row being marked sent repeats one)."""
    rows = Counter(r["openid"] for r in await fleet.query("SELECT openid FROM outbox"))
    sent = Counter(m["openid"] for m in await fleet.sent())
    missing = [f"{openid}: {n} rows, {sent[openid]} delivered" for openid, n in rows.items() if sent[openid] < n]
    return missing, sum(sent.values()) - sum(rows.values())


async def all_approved(fleet: Fleet, crowd: list[Person]) -> Counter:
    rows = await fleet.query(
        "SELECT r.status FROM hour_record r JOIN person p ON p.id = r.person_id WHERE p.openid = ANY($1)",
        [p.openid for p in crowd],
    )
    return Counter(r["status"] for r in rows)


def assert_calm(wechat: WeChat, tally: Tally) -> None:
    statuses = wechat.statuses()
    assert not [s for s in statuses if s.startswith("5")], f"server errors: {statuses}"
    assert wechat.unanswered == [], f"{len(wechat.unanswered)} messages got no answer in {3} tries: {statuses}"
    assert tally.off_script == [], tally.off_script[:5]


async def test_connections_pooled_before_a_redis_restart_fail_no_command_after_it(tmp_path):
    redis = PrivateRedis(tmp_path)
    redis.start()
    client = connect(redis.url)
    try:
        await asyncio.gather(*(client.set(f"k{i}", "1") for i in range(5)))  # five connections in the pool
        redis.stop()
        redis.start()
        assert await asyncio.gather(*(client.get(f"k{i}") for i in range(5))) == [None] * 5  # emptied, answering
    finally:
        await client.aclose()
        redis.stop()


async def test_a_retry_sent_to_the_other_worker_gets_the_same_reply_and_no_second_effect(fleet, tails):
    async with WeChat(fleet.ports) as wechat:
        tally = Tally()
        [person] = people(wechat, tally, 1)
        for text in ("注册", person.name, person.id_number, "郑州市第一人民医院", "1"):
            await person.says(text)
        # The first try reaches worker 1 and its answer is lost; WeChat sends the identical request to worker 2.
        signed = sign(SimpleNamespace(wechat_token=TOKEN), text_xml(person.openid, "确认"))
        replies = []
        for port in fleet.ports:
            async with wechat._http.post(
                f"http://127.0.0.1:{port}/wechat", params=signed.query, data=signed.body.encode()
            ) as response:
                assert response.status == 200
                replies.append(reply_text(await response.text()))
    assert "证书管理号" in replies[0] and replies[1] == replies[0]
    rows = await fleet.query("SELECT count(*) AS n FROM person WHERE openid = $1", person.openid)
    assert rows[0]["n"] == 1


async def test_a_worker_killed_mid_traffic_loses_no_message_and_no_effect_and_doubles_none(fleet, tails):
    async def kill_one_worker() -> None:
        await asyncio.sleep(10)
        await asyncio.to_thread(fleet.kill_worker, 0)
        await asyncio.sleep(5)
        await asyncio.to_thread(fleet.start_worker, 0)  # as systemd would

    async with WeChat(fleet.ports) as wechat:
        tally = Tally()
        crowd = people(wechat, tally, 10)
        admin = await traffic(wechat, tally, crowd, 30, kill_one_worker)
    assert_calm(wechat, tally)
    assert all(p.registered for p in crowd) and all(p.declared for p in crowd)
    assert await exactly_once_report(fleet, crowd) == []
    assert set(await all_approved(fleet, crowd)) == {"approved"}, admin.approved
    assert await outbox_drained(fleet) == []
    missing, extra = await deliveries_missing(fleet)
    assert missing == [] and extra <= 1  # one message in flight when the worker died may go twice


async def test_redis_restarted_mid_traffic_answers_calmly_doubles_nothing_and_recovers_in_seconds(fleet, tails):
    back: list[float] = []

    async def restart_redis() -> None:
        await asyncio.sleep(3)
        fleet.redis.stop()
        await asyncio.sleep(3)
        await asyncio.to_thread(fleet.redis.start)
        back.append(time.monotonic())

    async with WeChat(fleet.ports) as wechat:
        tally = Tally()
        crowd = people(wechat, tally, 6)
        await traffic(wechat, tally, crowd, 12, restart_redis)
    assert_calm(wechat, tally)
    assert tally.busy > 0  # it was away, and people were told so calmly
    # normal again within seconds: a message first sent 5 s after its return is answered, not told 系统繁忙
    assert [t - back[0] for t in tally.busy_at if t > back[0] + 5] == []
    assert all(p.registered for p in crowd) and all(p.declared for p in crowd)
    assert await exactly_once_report(fleet, crowd) == []
    assert set(await all_approved(fleet, crowd)) == {"approved"}
    assert await outbox_drained(fleet) == []
    missing, extra = await deliveries_missing(fleet)
    assert missing == [] and extra <= 1


async def test_postgres_restarted_mid_traffic_answers_calmly_recovers_without_a_restart_and_loses_nothing(fleet, tails):
    back: list[float] = []
    pids = [w.pid for w in fleet.workers if w is not None]

    async def restart_postgres() -> None:
        await asyncio.sleep(3)
        await asyncio.to_thread(fleet.postgres.stop)
        await asyncio.sleep(4)
        await asyncio.to_thread(fleet.postgres.start)
        back.append(time.monotonic())

    async with WeChat(fleet.ports) as wechat:
        tally = Tally()
        crowd = people(wechat, tally, 6)
        await traffic(wechat, tally, crowd, 14, restart_postgres)
    assert_calm(wechat, tally)
    assert tally.busy > 0
    assert [t - back[0] for t in tally.busy_at if t > back[0] + 5] == []
    assert [w.pid for w in fleet.workers if w is not None and w.poll() is None] == pids  # nobody restarted
    assert all(p.registered for p in crowd) and all(p.declared for p in crowd)
    assert await exactly_once_report(fleet, crowd) == []
    assert set(await all_approved(fleet, crowd)) == {"approved"}
    assert await outbox_drained(fleet) == []
    missing, extra = await deliveries_missing(fleet)
    assert missing == [] and extra <= 2
