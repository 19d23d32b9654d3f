"""学时转登: paper-certificate hours entered by an admin, approved at once, dated no later than 2019-10-30."""

from storage.models import AuditEntry, HourRecord, RecordSource, RecordStatus
from tests.domain import a_registered_person, a_unit, an_admin


async def _transfer(admin, person_number: str, *, year="2018", date="2018-06-20", hours="24") -> str:
    await admin.says("转登")
    await admin.says(person_number)
    await admin.says("豫继教(2018)第0012345号")
    await admin.says(year)
    await admin.says("2")
    await admin.says("建筑结构抗震设计")
    await admin.says("河南省建设教育协会")
    await admin.says(hours)
    return await admin.says(date)


async def test_an_admin_transfers_paper_hours_which_count_at_once(service):
    unit = await a_unit()
    await an_admin("o_admin", "unit", unit=unit)
    person = await a_registered_person("o_p", unit=unit, name="周建国")
    admin = service.user("o_admin")
    summary = await _transfer(admin, person.cert_number)
    assert "周建国" in summary and "豫继教(2018)第0012345号" in summary
    assert "已转登" in await admin.says("确认")

    record = await HourRecord.get(person_id=person.id)
    assert record.status == RecordStatus.APPROVED and record.source == RecordSource.PAPER
    assert record.paper_cert_number == "豫继教(2018)第0012345号"
    assert await AuditEntry.filter(action="transferred").exists()
    lookup = await service.user("o_p").says("学时")
    assert "2018 年：公需科目 0 学时，专业科目 24 学时" in lookup
    assert "其中 24 学时由纸质证书转登" in lookup


async def test_the_person_can_be_named_by_id_number_too(service):
    unit = await a_unit()
    await an_admin("o_admin", "unit", unit=unit)
    person = await a_registered_person("o_p", unit=unit, name="周建国")
    reply = await service.user("o_admin").says("转登") and await service.user("o_admin").says(person.id_number)
    assert "周建国" in reply and person.id_number not in reply  # shown masked


async def test_a_date_after_paper_certificates_lapsed_is_refused(service):
    unit = await a_unit()
    await an_admin("o_admin", "unit", unit=unit)
    person = await a_registered_person("o_p", unit=unit)
    admin = service.user("o_admin")
    reply = await _transfer(admin, person.cert_number, year="2019", date="2019-10-31")
    assert "2019-10-30" in reply and "作废" in reply
    assert "请核对转登内容" in await admin.says("2019-10-30")  # the last valid day is fine
    assert not await HourRecord.exists()


async def test_a_year_after_the_paper_era_is_refused(service):
    unit = await a_unit()
    await an_admin("o_admin", "unit", unit=unit)
    person = await a_registered_person("o_p", unit=unit)
    admin = service.user("o_admin")
    await admin.says("转登")
    await admin.says(person.cert_number)
    await admin.says("豫继教第1号")
    assert "年度应为" in await admin.says("2021")


async def test_transfer_for_a_person_outside_the_scope_is_refused(service):
    await an_admin("o_admin", "unit", unit=await a_unit())
    stranger = await a_registered_person("o_p", unit=await a_unit(region="410300"))
    admin = service.user("o_admin")
    await admin.says("转登")
    assert "不在您的管理范围内" in await admin.says(stranger.cert_number)
    assert "没有找到" in await admin.says("4101002026999999")
