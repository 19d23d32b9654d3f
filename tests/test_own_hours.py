"""Nobody decides on their own hours: an admin who is also a registered person (the same WeChat account) cannot
approve, reject or transfer hours for their own record, in the chat or on the console; the declaration goes to
the unit's other admins or up a level."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from storage.declarations import HoursEntry, transfer_paper_hours
from storage.errors import OwnRecord
from storage.models import Category, HourRecord, Outbox, RebindCode, RecordStatus
from tests.console import REBIND_CODE, sign_in
from tests.domain import a_declaration, a_registered_person, a_unit, an_admin


async def _notified() -> list[str]:
    return sorted(await Outbox.filter(kind="declaration_submitted").values_list("openid", flat=True))


async def an_admin_who_declares(unit_admins: int = 1):
    """A unit's admin registered in their own unit (one WeChat account for both) with a pending declaration;
    beside them `unit_admins - 1` other admins of the unit, and Zhengzhou's region admin."""
    unit = await a_unit("郑州市第一人民医院", "410100")
    admin = await an_admin("o_self", "unit", unit=unit, name="自审管理员")
    for i in range(1, unit_admins):
        await an_admin(f"o_colleague_{i}", "unit", unit=unit, name=f"同事{i}")
    await an_admin("o_zhengzhou", "region", region="410100", name="郑州市管理员")
    person = await a_registered_person("o_self", name="周自审", unit=unit)
    record = await a_declaration(person, hours="6")
    return admin, person, record


async def test_an_admin_cannot_approve_their_own_declaration_in_the_chat(service):
    _, _, record = await an_admin_who_declares()
    admin = service.user("o_self")
    assert "目前没有待审核" in await admin.says("待审")  # their own is not offered
    assert "不能审核本人的学时申报" in await admin.says(f"通过 {record.id}")
    assert "不能审核本人的学时申报" in await admin.says(f"驳回 {record.id} 自己驳回")
    await record.refresh_from_db()
    assert record.status == RecordStatus.PENDING and record.decided_by_id is None


async def test_the_region_admin_is_told_and_decides_instead(service):
    _, _, record = await an_admin_who_declares()
    assert await _notified() == ["o_zhengzhou"]
    region = service.user("o_zhengzhou")
    assert f"#{record.id} 周自审" in await region.says("待审")
    assert f"#{record.id} 已通过" in await region.says(f"通过 {record.id}")
    await record.refresh_from_db()
    assert record.status == RecordStatus.APPROVED


async def test_the_units_other_admin_is_told_rather_than_going_up(service):
    _, _, record = await an_admin_who_declares(unit_admins=2)
    assert await _notified() == ["o_colleague_1"]
    assert f"#{record.id} 已通过" in await service.user("o_colleague_1").says(f"通过 {record.id}")


async def test_a_region_admin_registered_in_their_region_goes_to_the_province(service):
    unit = await a_unit(region="410100")
    await an_admin("o_city", "region", region="410100")
    await an_admin("o_province", "province")
    person = await a_registered_person("o_city", unit=unit)  # no unit admin: the region would be told
    record = await a_declaration(person)
    assert await _notified() == ["o_province"]
    assert "不能审核本人" in await service.user("o_city").says(f"通过 {record.id}")
    assert "已通过" in await service.user("o_province").says(f"通过 {record.id}")


async def test_an_admin_cannot_approve_their_own_declaration_on_the_console(console_service):
    _, _, record = await an_admin_who_declares()
    browser = await sign_in(console_service, "o_self")
    _, home = await browser.get("/admin/")
    assert "0 条" in home
    _, listing = await browser.get("/admin/review")
    assert "周自审" not in listing
    _, html = await browser.post("/admin/review", [("ids", record.id), ("action", "approve")])
    assert "不能审核本人的学时申报" in html
    await record.refresh_from_db()
    assert record.status == RecordStatus.PENDING
    await browser.close()

    region = await sign_in(console_service, "o_zhengzhou")
    _, listing = await region.get("/admin/review")
    assert f"#{record.id}" in listing and "周自审" in listing
    _, html = await region.post("/admin/review", [("ids", record.id), ("action", "approve"), ("confirm", "1")])
    assert f"#{record.id} 周自审 已通过" in html
    await region.close()


async def _transfer_to(admin, number: str) -> str:
    await admin.says("转登")
    return await admin.says(number)


async def test_an_admin_cannot_transfer_paper_hours_to_their_own_record(service):
    _, person, _ = await an_admin_who_declares()
    admin = service.user("o_self")
    assert "不能为本人转登学时" in await _transfer_to(admin, person.cert_number)
    assert "不能为本人转登学时" in await _transfer_to(admin, person.id_number)
    assert "请输入纸质证书编号" in await _transfer_to(service.user("o_zhengzhou"), person.cert_number)
    assert not await HourRecord.filter(source="paper").exists()


async def test_storage_refuses_a_transfer_to_ones_own_record_too(service):
    admin, person, _ = await an_admin_who_declares()
    entry = HoursEntry(
        2018, Category.PROFESSIONAL, "建筑结构抗震设计", "河南省建设教育协会", date(2018, 6, 1), Decimal(8)
    )
    with pytest.raises(OwnRecord):
        await transfer_paper_hours(admin, person, "豫继教第1号", entry, datetime.now(UTC))
    assert not await HourRecord.filter(source="paper").exists()


async def test_an_admin_cannot_unbind_their_own_record_to_bind_it_to_another_wechat_account(console_service):
    """Own hours are told by the WeChat account: unbinding one's own record, then rebinding it from a second
    account with the code one was shown, would make one's declarations someone else's to approve."""
    _, person, record = await an_admin_who_declares()
    browser = await sign_in(console_service, "o_self")
    status, html = await browser.post(f"/admin/people/{person.id}/unbind")
    assert "不能为本人解除绑定" in html and not REBIND_CODE.search(html), status
    await person.refresh_from_db()
    assert person.openid == "o_self"
    assert (await browser.post(f"/admin/people/{person.id}/rebind-code"))[0] == 200
    assert not await RebindCode.exists()
    await browser.close()
    await record.refresh_from_db()
    assert record.status == RecordStatus.PENDING
