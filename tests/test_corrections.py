"""Records can be corrected, never silently: a transfer or an import that repeats a record is refused, one like a
record asks first; an admin in scope voids (作废) or corrects an approved record with a reason, the person is told,
the audit keeps before and after, the next certificate reflects it, and an older certificate's page says 已更新."""

import re
from datetime import UTC, date, datetime
from decimal import Decimal

from handlers.hours_import import HEADER
from storage.models import AuditEntry, Category, CertificateSnapshot, HourRecord, Outbox, RecordSource, RecordStatus
from tests.console import sign_in
from tests.domain import a_registered_person, a_unit, an_admin, hours_of
from tests.test_cli import jxjy
from tests.test_transfer import _transfer

NEWS_URL = re.compile(r"^(https://jxjy\.example\.gov\.cn/c/\S+)$", re.M)
PAPER = "豫继教(2018)第0012345号"  # what _transfer types


async def a_unit_with_admin_and_person(name: str = "周建国"):
    unit = await a_unit()
    await an_admin("o_admin", "unit", unit=unit)
    person = await a_registered_person("o_p", unit=unit, name=name)
    return unit, person


async def a_transferred_record(person, course="建筑结构抗震设计", hours="24", paper=PAPER) -> HourRecord:
    return await HourRecord.create(
        person=person,
        year=2018,
        category=Category.PROFESSIONAL,
        course=course,
        provider="河南省建设教育协会",
        studied_on=date(2018, 6, 20),
        hours=Decimal(hours),
        status=RecordStatus.APPROVED,
        source=RecordSource.PAPER,
        paper_cert_number=paper,
        decided_at=datetime.now(UTC),
    )


# --- a transfer that repeats a record ----------------------------------------------------------------------------


async def test_repeating_a_transfer_is_refused_naming_the_existing_record_and_nothing_is_stored(service):
    _, person = await a_unit_with_admin_and_person()
    earlier = await a_transferred_record(person)
    admin = service.user("o_admin")

    reply = await _transfer(admin, person.cert_number)
    assert "已有相同的学时记录" in reply
    assert f"编号 {earlier.id}" in reply and "《建筑结构抗震设计》24 学时" in reply and "2018-06-20" in reply
    assert "没有理解" in await admin.says("确认")  # the dialog is over: nothing waits for a confirmation
    assert await HourRecord.all().count() == 1
    assert not await Outbox.filter(kind="hours_transferred").exists()


async def test_a_voided_record_is_no_obstacle_to_transferring_the_hours_again(service):
    _, person = await a_unit_with_admin_and_person()
    await a_transferred_record(person)
    await HourRecord.all().update(status=RecordStatus.VOIDED)
    admin = service.user("o_admin")
    assert "请核对转登内容" in await _transfer(admin, person.cert_number)
    assert "已转登" in await admin.says("确认")


async def test_a_transfer_like_an_existing_record_asks_first_and_no_stores_nothing(service):
    _, person = await a_unit_with_admin_and_person()
    earlier = await a_transferred_record(person, hours="12")  # same year and course, other hours
    admin = service.user("o_admin")

    summary = await _transfer(admin, person.cert_number)
    assert "已有同一课程的学时记录" in summary and f"编号 {earlier.id}" in summary and "12 学时" in summary
    assert "回复“是”转登，回复“否”放弃" in summary
    assert "已放弃" in await admin.says("否")
    assert await HourRecord.all().count() == 1

    await _transfer(admin, person.cert_number)
    assert "已转登" in await admin.says("是")
    assert await HourRecord.all().count() == 2


# --- an import that repeats a record -----------------------------------------------------------------------------


def _csv(tmp_path, rows: list[list[str]]):
    path = tmp_path / "hours.csv"
    path.write_text("\n".join([",".join(HEADER)] + [",".join(row) for row in rows]), encoding="utf-8-sig")
    return path


async def test_an_import_repeating_a_record_is_refused_with_its_line_and_nothing_is_imported(service, tmp_path):
    zhang = await a_registered_person("o_zhang")
    earlier = await hours_of(zhang, 2025, Category.PROFESSIONAL, "16")  # 继续教育课程, 2025-05-01
    path = _csv(
        tmp_path,
        [
            [zhang.cert_number, "2025", "公需科目", "数字经济概论", "培训中心", "2025-06-01", "8"],
            [zhang.cert_number, "2025", "专业科目", "继续教育课程", "培训中心", "2025-05-01", "16"],
            [zhang.id_number, "2025", "公需科目", "数字经济概论", "培训中心", "2025-06-01", "8"],
        ],
    )
    status, output = await jxjy(service.settings.database_url, "hours", "import", str(path), cwd=tmp_path)
    assert status == 2 and "2 行有误" in output
    assert f"第 3 行：该人员已有相同的学时记录（编号 {earlier.id}：2025 年《继续教育课程》16 学时" in output
    assert "第 4 行：与第 2 行重复" in output
    assert await HourRecord.all().count() == 1


async def test_an_import_like_an_existing_record_asks_for_confirmation(service, tmp_path):
    zhang = await a_registered_person("o_zhang", name="张晓明")
    earlier = await hours_of(zhang, 2025, Category.PROFESSIONAL, "16")
    path = _csv(tmp_path, [[zhang.cert_number, "2025", "专业科目", "继续教育课程", "培训中心", "2025-09-01", "8"]])

    status, output = await jxjy(service.settings.database_url, "hours", "import", str(path), cwd=tmp_path)
    assert status == 3 and "与已有记录或本文件的其他行相近" in output and "--yes" in output
    assert f"第 2 行：张晓明 2025 年已有同一课程的记录（编号 {earlier.id}" in output
    assert await HourRecord.all().count() == 1

    status, output = await jxjy(service.settings.database_url, "hours", "import", str(path), "--yes", cwd=tmp_path)
    assert status == 0 and "已导入 1 条" in output
    assert await HourRecord.all().count() == 2


async def test_two_rows_of_one_file_alike_but_for_their_hours_ask_for_confirmation(service, tmp_path):
    li = await a_registered_person("o_li", name="李红")
    path = _csv(
        tmp_path,
        [
            [li.cert_number, "2025", "专业科目", "继续教育课程", "培训中心", "2025-05-01", "16"],
            [li.id_number, "2025", "专业科目", "继续教育课程", "培训中心", "2025-09-01", "8"],
            [li.cert_number, "2024", "专业科目", "继续教育课程", "培训中心", "2024-09-01", "8"],
        ],
    )
    status, output = await jxjy(service.settings.database_url, "hours", "import", str(path), cwd=tmp_path)
    assert status == 3 and "与已有记录或本文件的其他行相近" in output
    assert "第 3 行：李红 2025 年同一课程在第 2 行已有一条（学时不同）" in output
    assert "第 4 行" not in output  # another year is another course
    assert await HourRecord.all().count() == 0

    status, output = await jxjy(service.settings.database_url, "hours", "import", str(path), "--yes", cwd=tmp_path)
    assert status == 0 and "已导入 3 条" in output
    assert await HourRecord.all().count() == 3


# --- 作废 in the chat --------------------------------------------------------------------------------------------


async def _certificate_code(service, openid: str = "o_p") -> str:
    reply = await service.user(openid).says("证书")
    assert NEWS_URL.search(reply), reply
    return (await CertificateSnapshot.filter(superseded_by=None, year=None).order_by("-id").first()).code


async def test_an_admin_in_scope_voids_a_record_and_everyone_sees_it(service):
    _, person = await a_unit_with_admin_and_person()
    kept = await hours_of(person, 2024, Category.PROFESSIONAL, "30")
    record = await a_transferred_record(person, course="工程管理", hours="24")
    record.year, record.studied_on = 2024, date(2024, 3, 1)
    await record.save()
    old_code = await _certificate_code(service)

    reply = await service.user("o_admin").says(f"作废 {record.id} 与纸质证书重复录入")
    assert f"#{record.id} 已作废" in reply and "已通知本人" in reply
    assert (await HourRecord.get(id=record.id)).status == RecordStatus.VOIDED

    notice = await Outbox.get(kind="record_voided", openid="o_p")
    await service.deliver()
    [told] = await service.pushed_texts("o_p")
    assert "作废" in told and "《工程管理》24 学时" in told and "与纸质证书重复录入" in told

    entry = await AuditEntry.get(action="voided", target=f"hour_record:{record.id}")
    assert entry.before["status"] == "approved" and entry.before["hours"] == "24"
    assert entry.after["status"] == "voided" and entry.after["reason"] == "与纸质证书重复录入"
    assert notice.payload["record_id"] == record.id

    assert "2024 年：公需科目 0 学时，专业科目 30 学时" in await service.user("o_p").says("学时")
    assert "已作废，理由：与纸质证书重复录入" in await service.user("o_p").says("我的申报")
    new_code = await _certificate_code(service)
    new = await CertificateSnapshot.get(code=new_code)
    assert new_code != old_code and new.record_ids == [kept.id]

    html = await (await service.client.get(f"/v/{old_code}")).text()
    assert "已更新" in html and "2024 年《工程管理》24 学时已于" in html and "作废：与纸质证书重复录入" in html
    assert "已更新" not in (await (await service.client.get(f"/v/{new_code}")).text()).split("</title>")[0]


async def test_an_old_certificate_says_updated_before_any_new_one_is_issued(service):
    _, person = await a_unit_with_admin_and_person()
    record = await hours_of(person, 2025, Category.PROFESSIONAL, "12.5")
    await hours_of(person, 2025, Category.PUBLIC, "8")
    code = await _certificate_code(service)
    assert "有效" in (await (await service.client.get(f"/v/{code}")).text()).split("</title>")[0]

    await service.user("o_admin").says(f"作废 {record.id} 证明材料不实")
    html = await (await service.client.get(f"/v/{code}")).text()
    assert "已更新" in html.split("</title>")[0] and "签发后已作废或更正" in html
    assert "2025 年《继续教育课程》12.5 学时已于" in html and "作废：证明材料不实" in html
    # 验证 by number, in the chat and on the public page, says the same
    said = await service.user("o_verifier").says(f"验证 {person.cert_number}")
    assert "已更新（签发后有学时记录被作废或更正，以持证人重新获取的证书为准）" in said and "有效" not in said
    await service.user("o_p").says("证书")  # a new certificate, without the voided record
    assert "证书验证结果：有效" in await service.user("o_verifier").says(f"验证 {person.cert_number}")


async def test_an_admin_out_of_scope_cannot_void_and_nothing_changes(service):
    _, person = await a_unit_with_admin_and_person()
    record = await hours_of(person, 2025, Category.PROFESSIONAL, "12")
    await an_admin("o_far", "region", region="410300")
    reply = await service.user("o_far").says(f"作废 {record.id} 重复")
    assert "不在您的管理范围内" in reply
    assert (await HourRecord.get(id=record.id)).status == RecordStatus.APPROVED
    assert not await Outbox.filter(kind="record_voided").exists()
    assert not await AuditEntry.filter(action="voided").exists()


async def test_voiding_needs_a_number_and_a_reason(service):
    _, person = await a_unit_with_admin_and_person()
    record = await hours_of(person, 2025, Category.PROFESSIONAL, "12")
    admin = service.user("o_admin")
    for text in (f"作废 {record.id}", f"作废{record.id}", "作废", "作废 理由"):
        assert "作废需要写明记录编号和理由" in await admin.says(text), text
    assert (await HourRecord.get(id=record.id)).status == RecordStatus.APPROVED


async def test_people_who_are_not_admins_cannot_void(service):
    _, person = await a_unit_with_admin_and_person()
    record = await hours_of(person, 2025, Category.PROFESSIONAL, "12")
    assert "仅限继续教育管理员" in await service.user("o_p").says(f"作废 {record.id} 不想要了")
    assert (await HourRecord.get(id=record.id)).status == RecordStatus.APPROVED


async def test_voiding_twice_is_answered_politely(service):
    _, person = await a_unit_with_admin_and_person()
    record = await hours_of(person, 2025, Category.PROFESSIONAL, "12")
    admin = service.user("o_admin")
    await admin.says(f"作废 {record.id} 重复录入")
    again = await admin.says(f"作废 {record.id} 再作废一次")
    assert f"#{record.id} 已于" in again and "作废（理由：重复录入），无需再次作废" in again
    assert await Outbox.filter(kind="record_voided").count() == 1
    assert await AuditEntry.filter(action="voided").count() == 1


async def test_a_pending_declaration_is_rejected_not_voided(service):
    _, person = await a_unit_with_admin_and_person()
    record = await hours_of(person, 2025, Category.PROFESSIONAL, "12", status=RecordStatus.PENDING)
    reply = await service.user("o_admin").says(f"作废 {record.id} 重复")
    assert "目前待审核" in reply and "驳回" in reply
    assert (await HourRecord.get(id=record.id)).status == RecordStatus.PENDING


async def test_an_admin_cannot_void_their_own_record(service):
    unit = await a_unit()
    await an_admin("o_both", "unit", unit=unit)
    me = await a_registered_person("o_both", unit=unit)
    record = await hours_of(me, 2025, Category.PROFESSIONAL, "12")
    assert "本人的学时记录" in await service.user("o_both").says(f"作废 {record.id} 自己的")
    assert (await HourRecord.get(id=record.id)).status == RecordStatus.APPROVED


async def test_a_retried_message_voids_once_and_notifies_once(service):
    _, person = await a_unit_with_admin_and_person()
    record = await hours_of(person, 2025, Category.PROFESSIONAL, "12")
    admin = service.user("o_admin")
    first = await admin.says(f"作废 {record.id} 重复录入", msg_id=555_001)
    retry = await admin.says(f"作废 {record.id} 重复录入", msg_id=555_001)
    assert first == retry and "已作废" in retry
    assert await Outbox.filter(kind="record_voided").count() == 1
    assert await AuditEntry.filter(action="voided").count() == 1


async def test_void_is_written_like_the_other_commands(service):
    _, person = await a_unit_with_admin_and_person()
    admin = service.user("o_admin")
    ids = [(await hours_of(person, 2025, Category.PROFESSIONAL, "2")).id for _ in range(3)]
    wide = str(ids[2]).translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    for text in (f"作废{ids[0]}重复录入", f"作废　{ids[1]}　重复录入", f"作废{wide}重复录入"):
        assert "已作废" in await admin.says(text), text
    reasons = await AuditEntry.filter(action="voided").values_list("after", flat=True)
    assert [after["reason"] for after in reasons] == ["重复录入"] * 3


# --- on the console ----------------------------------------------------------------------------------------------


async def test_correcting_hours_on_the_console_needs_a_reason_and_is_audited_and_told(console_service, world):
    record = await hours_of(world["person"], 2025, Category.PROFESSIONAL, "24")
    page = f"/admin/people/{world['person'].id}"
    browser = await sign_in(console_service, "o_home")
    status, html = await browser.get(page)
    assert f"作废或更正 #{record.id}" in html

    correct = f"{page}/records/{record.id}/correct"
    status, html = await browser.post(correct, {"hours": "12", "course": "继续教育课程", "reason": ""})
    assert status == 200 and "需要填写理由" in html
    status, html = await browser.post(correct, {"hours": "0", "course": "继续教育课程", "reason": "笔误"})
    assert "未更正" in html and "学时应为" in html
    assert (await HourRecord.get(id=record.id)).hours == Decimal("24")

    status, html = await browser.post(
        correct, {"hours": "12", "course": "继续教育课程", "reason": "纸质证书为 12 学时"}
    )
    assert status == 200 and f"#{record.id} 已更正为《继续教育课程》12 学时" in html
    assert (await HourRecord.get(id=record.id)).hours == Decimal("12")
    entry = await AuditEntry.get(action="corrected", target=f"hour_record:{record.id}")
    assert entry.before["hours"] == "24" and entry.after["hours"] == "12"
    assert entry.after["reason"] == "纸质证书为 12 学时"

    await console_service.deliver()
    told = [t for t in await console_service.pushed_texts("o_person") if "更正" in t]
    assert len(told) == 1 and "24 学时" in told[0] and "12 学时" in told[0] and "纸质证书为 12 学时" in told[0]
    await browser.close()


async def test_voiding_on_the_console_needs_a_reason_and_stays_within_scope(console_service, world):
    record = await hours_of(world["person"], 2025, Category.PROFESSIONAL, "24")
    void = f"/admin/people/{world['person'].id}/records/{record.id}/void"

    far = await sign_in(console_service, "o_luoyang")
    status, _ = await far.post(void, {"reason": "重复"})
    assert status == 403
    await far.close()

    home = await sign_in(console_service, "o_home")
    status, html = await home.post(void, {"reason": "  "})
    assert "需要填写理由" in html
    assert (await HourRecord.get(id=record.id)).status == RecordStatus.APPROVED

    status, html = await home.post(void, {"reason": "重复录入"})
    assert status == 200 and f"#{record.id} 已作废" in html
    assert (await HourRecord.get(id=record.id)).status == RecordStatus.VOIDED
    assert await AuditEntry.filter(action="voided", actor__startswith="admin:").count() == 1
    assert await Outbox.filter(kind="record_voided", openid="o_person").count() == 1
    await home.close()
