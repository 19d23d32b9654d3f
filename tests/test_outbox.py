"""The outbox: notifications survive WeChat outages, token expiry and restarts, and arrive once."""

import asyncio
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest
from tortoise.transactions import in_transaction

from bot.wechat.api import WeChatApi
from bot.wechat.delivery import Deliverer
from storage.db import current_connection, database, in_own_context
from storage.models import Outbox, OutboxAttempt, OutboxStatus
from storage.outbox import claim_next, enqueue
from tests.conftest import make_settings, running_service
from tests.domain import a_declaration, a_registered_person, a_unit, an_admin


async def _three_declarations(service) -> None:
    unit = await a_unit()
    await an_admin("o_admin", "unit", unit=unit)
    person = await a_registered_person("o_p", unit=unit)
    for course in ("课程一", "课程二", "课程三"):
        await a_declaration(person, course=course)


async def test_while_wechat_is_down_nothing_is_lost_and_afterwards_each_arrives_once(service):
    await _three_declarations(service)
    await service.fault(outage=True)
    now = datetime.now(UTC)
    for minute in range(3):  # several rounds while WeChat is unreachable
        await service.deliver(now + timedelta(minutes=minute * 10))
    assert await service.pushed("o_admin") == []
    assert await Outbox.filter(status=OutboxStatus.PENDING).count() == 3
    assert await OutboxAttempt.filter(ok=False).count() >= 3

    await service.fault(outage=False)
    await service.deliver(now + timedelta(hours=2))
    await service.deliver(now + timedelta(hours=3))  # nothing left to send twice
    texts = await service.pushed_texts("o_admin")
    assert sorted(t for t in texts if "课程" in t) == sorted(texts) and len(texts) == 3
    assert all(row.status == OutboxStatus.SENT for row in await Outbox.all())


async def test_a_failed_attempt_waits_before_the_next_try(service):
    await _three_declarations(service)
    await service.fault(errcode=-1, times=3)  # 系统繁忙
    now = datetime.now(UTC)
    assert await service.deliver(now) == 3
    assert await service.deliver(now) == 0  # not due yet
    assert await service.deliver(now + timedelta(seconds=3)) == 3
    assert len(await service.pushed("o_admin")) == 3


async def test_a_user_who_unsubscribed_is_given_up_on_with_the_reason_stored(service):
    await _three_declarations(service)
    await service.fault(errcode=43004, times=3)
    await service.deliver()
    rows = await Outbox.all()
    assert all(row.status == OutboxStatus.GAVE_UP and "43004" in row.last_error for row in rows)


async def test_a_closed_customer_service_window_falls_back_to_the_template(database_url):
    settings = make_settings(database_url, template_declaration_submitted="TPL_REVIEW")
    async with running_service(settings) as service:
        await _three_declarations(service)
        await service.fault(errcode=45015, times=1, path="/cgi-bin/message/template/send")
        await service.deliver()
        kinds = [m["kind"] for m in await service.pushed("o_admin")]
        assert kinds.count("template") == 2 and kinds.count("text") == 1


async def test_without_a_template_a_closed_window_gives_up_cleanly(service):
    await _three_declarations(service)
    await service.fault(errcode=45015, times=3)
    await service.deliver()
    rows = await Outbox.all()
    assert all(row.status == OutboxStatus.GAVE_UP and "45015" in row.last_error for row in rows)
    assert all("未配置模板消息" in row.last_error for row in rows)


async def test_an_expired_token_under_concurrent_sends_is_refreshed_once(service):
    await _three_declarations(service)
    settings = service.settings
    async with WeChatApi(settings.wechat_api_url, settings.wechat_app_id, settings.wechat_app_secret) as api:
        await api.access_token()
        await service.fault(errcode=40001, times=3)
        deliverers = [Deliverer(api, settings) for _ in range(3)]
        rows = await Outbox.all()
        await asyncio.gather(*(d._deliver(row, datetime.now(UTC)) for d, row in zip(deliverers, rows, strict=True)))
    calls = (await (await service.fake.get("/_fake/calls")).json())["calls"]
    assert calls["/cgi-bin/stable_token"] == 2  # the first token, and one refresh for all three
    assert len(await service.pushed("o_admin")) == 3


async def test_a_restart_mid_queue_loses_nothing(database_url):
    from tests.conftest import fake_wechat

    settings = make_settings(database_url)
    async with fake_wechat() as fake:
        async with running_service(settings, fake) as service:
            await _three_declarations(service)
            await service.fault(outage=True)
            await service.deliver()
        await fake.post("/_fake/faults", json={"outage": False})
        async with running_service(settings, fake) as restarted:
            await restarted.deliver(datetime.now(UTC) + timedelta(minutes=5))
            assert len(await restarted.pushed("o_admin")) == 3
            assert await Outbox.filter(status=OutboxStatus.SENT).count() == 3


async def test_the_worker_in_the_service_delivers_within_seconds(database_url):
    async with running_service(make_settings(database_url, outbox_poll_seconds=0.05)) as service:
        unit = await a_unit()
        await an_admin("o_admin", "unit", unit=unit)
        await a_declaration(await a_registered_person("o_p", unit=unit))
        for _ in range(100):
            if await service.pushed("o_admin"):
                break
            await asyncio.sleep(0.05)
        assert len(await service.pushed("o_admin")) == 1


async def test_an_outage_of_hours_is_waited_out_and_everything_arrives_afterwards(service):
    await _three_declarations(service)
    await service.fault(outage=True)
    start = datetime.now(UTC)
    for minutes in range(0, 6 * 60, 7):  # six hours of rounds, every seven minutes
        await service.deliver(start + timedelta(minutes=minutes))
    assert await Outbox.filter(status=OutboxStatus.PENDING).count() == 3
    await service.fault(outage=False)
    await service.deliver(start + timedelta(hours=7))
    assert len(await service.pushed("o_admin")) == 3


async def test_after_two_days_of_refusals_a_notification_is_given_up_with_the_reason(service):
    await _three_declarations(service)
    await service.fault(outage=True)
    await service.deliver(datetime.now(UTC) + timedelta(hours=49))
    rows = await Outbox.all()
    assert all(row.status == OutboxStatus.GAVE_UP and "gave up" in row.last_error for row in rows)


async def test_a_worker_that_lost_its_lease_cannot_overwrite_the_outcome(service):
    from storage.outbox import claim_next, mark_failed, mark_sent

    await _three_declarations(service)
    now = datetime.now(UTC)
    slow = await claim_next(now)
    fast = await claim_next(now + timedelta(minutes=2))  # the lease ran out; another worker takes the row
    assert fast is not None and fast.id == slow.id
    assert await mark_sent(fast, now + timedelta(minutes=2))
    assert not await mark_failed(slow, now + timedelta(minutes=3), "late", retry_at=None)
    assert (await Outbox.get(id=slow.id)).status == OutboxStatus.SENT


async def _due_rows(count: int, now: datetime) -> list[int]:
    return [(await enqueue("declaration_submitted", f"o_{n}", {}, now)).id for n in range(count)]


@pytest.mark.postgres_only
async def test_workers_claiming_at_once_take_every_row_and_never_one_row_twice(database_url):
    async with database(database_url):
        now = datetime.now(UTC)
        rows = await _due_rows(40, now)

        async def worker() -> list[int]:
            claimed = []
            while (row := await claim_next(now)) is not None:
                claimed.append(row.id)
                await asyncio.sleep(0)  # let the other workers in between claims
            return claimed

        claims = await asyncio.gather(*(worker() for _ in range(6)))
        everything = [row for claimed in claims for row in claimed]
        assert sorted(everything) == rows  # each row once: none twice, none left behind
        assert sum(1 for claimed in claims if claimed) > 1  # the workers really did claim side by side


@pytest.mark.postgres_only
async def test_a_row_another_worker_is_claiming_is_passed_over_not_waited_for(database_url):
    async with database(database_url):
        now = datetime.now(UTC)
        first, second = await _due_rows(2, now)
        other = await asyncpg.connect(database_url.replace("postgres://", "postgresql://", 1))
        try:
            async with other.transaction():  # another worker, mid-claim on the oldest row
                await other.execute("SELECT id FROM outbox WHERE id = $1 FOR UPDATE", first)
                async with asyncio.timeout(5):
                    row = await claim_next(now)
                assert row is not None and row.id == second
        finally:
            await other.close()
        row = await claim_next(now)  # once the other worker let go, the oldest row is there to claim
        assert row is not None and row.id == first


class _StoreAway:
    """The access_token's shared store when Redis is away."""

    async def get(self, fetch):
        raise ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")


async def test_a_delivery_that_fails_on_our_side_is_tried_again_after_the_backoff_not_the_lease(service):
    await _three_declarations(service)
    settings = service.settings
    now = datetime.now(UTC)
    async with WeChatApi(
        settings.wechat_api_url, settings.wechat_app_id, settings.wechat_app_secret, tokens=_StoreAway()
    ) as api:
        assert await Deliverer(api, settings).run_once(now) == 3
    rows = await Outbox.all()
    assert all(
        r.status == OutboxStatus.PENDING and r.attempts == 1 and "Connection refused" in r.last_error for r in rows
    )
    assert await service.deliver(now + timedelta(seconds=3)) == 3  # the store is back: due again seconds later
    assert len(await service.pushed("o_admin")) == 3


async def test_a_round_cut_off_inside_its_transaction_does_not_leave_the_loop_inside_it(service):
    """PostgreSQL restarted under a claim: the transaction is never closed. Were the loop to keep that context,
    every later round would begin inside the dead transaction, and delivery would stop for good."""
    outside = current_connection()

    async def cut_off() -> None:
        await in_transaction().__aenter__()  # the connection is lost before the transaction is left
        assert current_connection() is not outside
        raise ConnectionError("connection was closed in the middle of operation")

    with pytest.raises(ConnectionError):
        await in_own_context(cut_off())
    assert current_connection() is outside
