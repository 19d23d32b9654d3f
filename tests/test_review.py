"""Review (分级管理): who is told of a declaration, who may decide it, and what the person hears."""

import asyncio

import pytest

from bot.devtools.chat_client import read_reply, text_xml
from storage.models import AuditEntry, HourRecord, Outbox, RecordStatus
from tests.domain import a_declaration, a_registered_person, a_unit, an_admin


async def _notified(kind: str = "declaration_submitted") -> list[str]:
    return sorted(await Outbox.filter(kind=kind).values_list("openid", flat=True))


async def test_the_units_own_admins_are_told_first(service):
    unit = await a_unit(region="410100")
    await an_admin("o_unit_1", "unit", unit=unit)
    await an_admin("o_unit_2", "unit", unit=unit)
    await an_admin("o_city", "region", region="410100")
    await an_admin("o_province", "province")
    await a_declaration(await a_registered_person("o_p", unit=unit))
    assert await _notified() == ["o_unit_1", "o_unit_2"]


async def test_with_no_unit_admin_the_regions_admins_are_told(service):
    unit = await a_unit(region="410100")
    await an_admin("o_other_unit", "unit", unit=await a_unit(region="410100"))
    await an_admin("o_city", "region", region="410100")
    await an_admin("o_other_city", "region", region="410300")
    await an_admin("o_province", "province")
    await a_declaration(await a_registered_person("o_p", unit=unit))
    assert await _notified() == ["o_city"]


async def test_with_no_unit_or_region_admin_the_province_is_told(service):
    unit = await a_unit(region="410181")  # 巩义市, a 省直管县(市)
    await an_admin("o_zhengzhou", "region", region="410100")
    await an_admin("o_province", "province")
    await a_declaration(await a_registered_person("o_p", unit=unit))
    assert await _notified() == ["o_province"]


async def test_an_admin_approves_in_the_chat_and_the_person_is_told(service):
    unit = await a_unit()
    await an_admin("o_admin", "unit", unit=unit, name="赵管理")
    person = await a_registered_person("o_p", unit=unit, name="孙倩")
    record = await a_declaration(person, hours="12.5")
    admin = service.user("o_admin")

    listing = await admin.says("待审")
    assert f"#{record.id} 孙倩" in listing and "12.5 学时" in listing
    assert f"#{record.id} 已通过" in await admin.says(f"通过 {record.id}")

    await record.refresh_from_db()
    assert record.status == RecordStatus.APPROVED and record.decided_at is not None
    assert "计入 12.5/90" in await service.user("o_p").says("学时")  # counts at once
    audit = await AuditEntry.get(action="decided", target=f"hour_record:{record.id}")
    assert audit.before["status"] == "pending" and audit.after["status"] == "approved"

    await service.deliver()
    [told] = await service.pushed_texts("o_p")
    assert "审核通过" in told and "12.5 学时" in told
    assert "目前没有待审核" in await admin.says("待审")


async def test_a_rejection_needs_a_reason_and_the_person_reads_it(service):
    unit = await a_unit()
    await an_admin("o_admin", "unit", unit=unit)
    record = await a_declaration(await a_registered_person("o_p", unit=unit))
    admin = service.user("o_admin")
    assert "理由" in await admin.says(f"驳回 {record.id}")
    await record.refresh_from_db()
    assert record.status == RecordStatus.PENDING

    assert "已驳回" in await admin.says(f"驳回 {record.id} 证明材料不清晰，请重新上传")
    await service.deliver()
    [told] = await service.pushed_texts("o_p")
    assert "未通过" in told and "证明材料不清晰" in told
    assert "1 条未通过审核" in await service.user("o_p").says("学时")


async def test_several_are_approved_at_once_and_each_gets_its_own_answer(service):
    unit = await a_unit()
    await an_admin("o_admin", "unit", unit=unit)
    person = await a_registered_person("o_p", unit=unit)
    first, second = await a_declaration(person), await a_declaration(person)
    reply = await service.user("o_admin").says(f"通过 {first.id} {second.id} 99999")
    assert f"#{first.id} 已通过" in reply and f"#{second.id} 已通过" in reply and "#99999 不存在" in reply
    assert await HourRecord.filter(status=RecordStatus.APPROVED).count() == 2


async def test_an_admin_outside_the_scope_is_refused(service):
    unit, other_unit = await a_unit(region="410100"), await a_unit(region="410300")
    await an_admin("o_other_unit_admin", "unit", unit=other_unit)
    await an_admin("o_other_city", "region", region="410300")
    record = await a_declaration(await a_registered_person("o_p", unit=unit))
    for outsider in ("o_other_unit_admin", "o_other_city"):
        assert "目前没有待审核" in await service.user(outsider).says("待审")
        assert "不在您的管理范围内" in await service.user(outsider).says(f"通过 {record.id}")
    await record.refresh_from_db()
    assert record.status == RecordStatus.PENDING


async def test_a_region_and_the_province_admin_may_decide_within_their_reach(service):
    unit = await a_unit(region="410100")
    await an_admin("o_city", "region", region="410100")
    await an_admin("o_province", "province")
    person = await a_registered_person("o_p", unit=unit)
    first, second = await a_declaration(person), await a_declaration(person)
    assert "已通过" in await service.user("o_city").says(f"通过 {first.id}")
    assert "已通过" in await service.user("o_province").says(f"通过 {second.id}")


async def test_people_who_are_not_admins_cannot_review(service):
    record = await a_declaration(await a_registered_person("o_p"))
    for command in ("待审", f"通过 {record.id}", f"驳回 {record.id} 不行", "转登"):
        assert "仅限继续教育管理员" in await service.user("o_p").says(command)
    await record.refresh_from_db()
    assert record.status == RecordStatus.PENDING


async def test_a_second_decision_is_told_who_decided_first(service):
    unit = await a_unit()
    await an_admin("o_first", "unit", unit=unit, name="钱一")
    await an_admin("o_second", "unit", unit=unit, name="李二")
    record = await a_declaration(await a_registered_person("o_p", unit=unit))
    await service.user("o_first").says(f"通过 {record.id}")
    reply = await service.user("o_second").says(f"驳回 {record.id} 材料不全")
    assert "已由管理员钱一通过" in reply
    await record.refresh_from_db()
    assert record.status == RecordStatus.APPROVED


@pytest.mark.postgres_only
async def test_two_admins_approving_at_the_same_moment_make_exactly_one_decision(service):
    unit = await a_unit()
    await an_admin("o_first", "unit", unit=unit, name="钱一")
    await an_admin("o_second", "unit", unit=unit, name="李二")
    records = [await a_declaration(await a_registered_person(f"o_p{i}", unit=unit)) for i in range(10)]

    async def decide(openid: str, text: str) -> str:
        response, signed = await service.post(text_xml(openid, text))
        return read_reply(service.settings, await response.text(), signed.query)

    for record in records:
        first, second = await asyncio.gather(
            decide("o_first", f"通过 {record.id}"), decide("o_second", f"驳回 {record.id} 重复")
        )
        assert [("已由管理员" in first), ("已由管理员" in second)].count(True) == 1
        assert await AuditEntry.filter(action="decided", target=f"hour_record:{record.id}").count() == 1
        assert await Outbox.filter(kind="declaration_decided", payload__contains={"record_id": record.id}).count() <= 1
    assert await Outbox.filter(kind="declaration_decided").count() == 10


@pytest.mark.parametrize("text", ["通过 ²", "驳回 ² 理由", "作废 ² 理由", "通过 99999999999999999999"])
async def test_odd_numbers_in_review_commands_get_a_sentence(service, text):
    await an_admin("o_admin", "unit", unit=await a_unit())
    reply = await service.user("o_admin").says(text)
    assert "系统繁忙" not in reply and ("编号" in reply or "不存在" in reply)


async def test_approvals_and_rejections_typed_as_people_type_them(service):
    unit = await a_unit()
    await an_admin("o_admin", "unit", unit=unit)
    person = await a_registered_person("o_p", unit=unit)
    first, second, third, fourth, fifth = [await a_declaration(person) for _ in range(5)]
    admin = service.user("o_admin")
    assert f"#{first.id} 已通过" in await admin.says(f"通过{first.id}")
    wide = str(second.id).translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    reply = await admin.says(f"通过　{wide}，{third.id}")
    assert f"#{second.id} 已通过" in reply and f"#{third.id} 已通过" in reply
    assert f"#{fourth.id} 已驳回" in await admin.says(f"驳回{fourth.id}　证明不清晰，请重新申报")
    assert (await HourRecord.get(id=fourth.id)).reject_reason == "证明不清晰，请重新申报"
    assert f"#{fifth.id} 已驳回" in await admin.says(f"驳回{fifth.id}证明不清晰")  # the reason may touch the number
    assert (await HourRecord.get(id=fifth.id)).reject_reason == "证明不清晰"
