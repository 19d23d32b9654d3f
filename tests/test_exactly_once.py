"""An effect happens once, even across a crash: the process dies at any step boundary of a message that
changes something, WeChat retries the same message on a freshly started service, and the database holds the
effect exactly once, with the person told what happened.

Crashes are injected through storage.processed.crash_hook at each boundary: before the effect, after the
effect but before its reply is stored, and after the commit but before the reply leaves.
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.app import make_app
from bot.devtools.chat_client import read_reply, text_xml
from storage import processed
from storage.models import Admin, AuditEntry, HourRecord, Outbox, Person, RecordSource, RecordStatus
from tests.conftest import Service
from tests.domain import a_declaration, a_registered_person, a_unit, an_admin, an_id_number
from tests.test_admin_bind import FILING, an_invite
from tests.test_transfer import _transfer

CRASH_POINTS = ["before_effect", "after_effect", "after_commit"]
MSG_ID = 987_654_321


class Crash(Exception):
    """The process dies here."""


@dataclass
class Scenario:
    openid: str
    arrange: Callable[[Service], Awaitable[str]]  # brings the user to the message with the effect; returns it
    effects: Callable[[], Awaitable[int]]  # how many times the effect is in the database
    told: str  # what the reply to the effect says


async def _registration(service: Service) -> str:
    await a_unit("郑州市第一人民医院")
    user = service.user("o_new")
    for answer in ("注册", "王芳", an_id_number(), "人民医院", "1"):
        await user.says(answer)
    return "确认"


async def _declaration(service: Service) -> str:
    await a_registered_person("o_person")
    user = service.user("o_person")
    for answer in ("申报", "2025", "2", "医学影像新进展", "郑州大学继续教育学院", "2025-03-15", "12", "跳过"):
        await user.says(answer)
    return "确认"


async def _withdrawal(service: Service) -> str:
    record = await a_declaration(await a_registered_person("o_person"))
    return f"撤回 {record.id}"


async def _approval(service: Service) -> str:
    unit = await a_unit()
    await an_admin("o_admin", "unit", unit=unit)
    record = await a_declaration(await a_registered_person("o_person", unit=unit))
    return f"通过 {record.id}"


async def _rejection(service: Service) -> str:
    unit = await a_unit()
    await an_admin("o_admin", "unit", unit=unit)
    record = await a_declaration(await a_registered_person("o_person", unit=unit))
    return f"驳回 {record.id} 证明不清晰"


async def _voiding(service: Service) -> str:
    unit = await a_unit()
    await an_admin("o_admin", "unit", unit=unit)
    record = await a_declaration(await a_registered_person("o_person", unit=unit))
    await HourRecord.filter(id=record.id).update(status=RecordStatus.APPROVED)
    return f"作废 {record.id} 重复申报"


async def _transferring(service: Service) -> str:
    unit = await a_unit()
    await an_admin("o_admin", "unit", unit=unit)
    person = await a_registered_person("o_person", unit=unit)
    await _transfer(service.user("o_admin"), person.cert_number)
    return "确认"


async def _binding(service: Service) -> str:
    invite = await an_invite(unit=await a_unit())
    user = service.user("o_wu")
    await user.says(f"绑定管理员 {invite.code}")
    for answer in FILING:
        await user.says(answer)
    return "确认"


async def _count(model, **where) -> int:
    return await model.filter(**where).count()


SCENARIOS = {
    "registration": Scenario("o_new", _registration, lambda: _count(Person), "注册成功"),
    "declaration": Scenario("o_person", _declaration, lambda: _count(HourRecord), "已提交"),
    "withdrawal": Scenario("o_person", _withdrawal, lambda: _count(AuditEntry, action="withdrew"), "已撤回"),
    "approval": Scenario("o_admin", _approval, lambda: _count(Outbox, kind="declaration_decided"), "已通过"),
    "rejection": Scenario("o_admin", _rejection, lambda: _count(Outbox, kind="declaration_decided"), "已驳回"),
    "transfer": Scenario("o_admin", _transferring, lambda: _count(HourRecord, source=RecordSource.PAPER), "已转登"),
    "void": Scenario("o_admin", _voiding, lambda: _count(Outbox, kind="record_voided"), "已作废"),
    "admin binding": Scenario("o_wu", _binding, lambda: _count(Admin), "绑定成功"),
}


async def _post(service: Service, openid: str, text: str) -> str:
    response, signed = await service.post(text_xml(openid, text, msg_id=MSG_ID))
    assert response.status == 200
    return read_reply(service.settings, await response.text(), signed.query)


async def _restarted(service: Service) -> Service:
    """The same database, a new process: nothing the first one held in memory survives."""
    client = TestClient(TestServer(make_app(service.settings, with_database=False)))
    await client.start_server()
    return Service(client, service.settings, service.fake)


@pytest.mark.parametrize("point", CRASH_POINTS)
@pytest.mark.parametrize("name", sorted(SCENARIOS))
async def test_a_retry_after_a_crash_has_exactly_one_effect(service, monkeypatch, name, point):
    scenario = SCENARIOS[name]
    last = await scenario.arrange(service)
    before = await scenario.effects()

    def crash(at: str) -> None:
        if at == point:
            raise Crash(at)

    monkeypatch.setattr(processed, "crash_hook", crash)
    await _post(service, scenario.openid, last)  # the process dies; whatever it answered never arrives
    monkeypatch.setattr(processed, "crash_hook", processed.no_crash)

    again = await _restarted(service)
    try:
        reply = await _post(again, scenario.openid, last)  # WeChat's retry: the same sender and MsgId
        assert scenario.told in reply, reply
        assert await scenario.effects() == before + 1
        assert await _post(again, scenario.openid, last) == reply  # and any later retry alike
        assert await scenario.effects() == before + 1
    finally:
        await again.client.close()


async def test_a_refusal_is_remembered_too_and_changes_nothing(service):
    await a_registered_person("o_person")
    reply = await _post(service, "o_person", "撤回 999")
    again = await _restarted(service)
    try:
        assert await _post(again, "o_person", "撤回 999") == reply
        assert not await HourRecord.filter(status=RecordStatus.WITHDRAWN).exists()
    finally:
        await again.client.close()


@pytest.mark.parametrize("point", CRASH_POINTS)
async def test_a_retried_answer_in_a_dialog_moves_the_dialog_on_once(service, monkeypatch, point):
    await a_registered_person("o_person")
    user = service.user("o_person")
    for answer in ("申报", "2025"):
        await user.says(answer)

    def crash(at: str) -> None:
        if at == point:
            raise Crash(at)

    monkeypatch.setattr(processed, "crash_hook", crash)
    await _post(service, "o_person", "专业")  # the category; the process dies before the reply leaves
    monkeypatch.setattr(processed, "crash_hook", processed.no_crash)

    again = await _restarted(service)
    try:
        reply = await _post(again, "o_person", "专业")  # WeChat's retry, on a fresh process
        assert "第 3 步" in reply, reply  # asked for the course, not told that 专业 is taken for one
        assert "第 4 步" in await again.user("o_person").says("医学影像新进展")
    finally:
        await again.client.close()
