"""我的申报, and what the person is told: pending declarations, the last 12 months' decisions with their
reasons, transfers and imports marked as such; a notice for each transfer and one per person per import;
hours read 12 or 12.5, never 12.0."""

import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from handlers.declare import REPLY_BYTES
from storage.corrections import correct_record
from storage.models import Category, HourRecord, Outbox, RecordSource, RecordStatus
from tests.conftest import make_settings, running_service
from tests.domain import a_registered_person, a_unit, an_admin
from tests.test_cli import jxjy
from tests.test_declaration import _declare, this_year
from tests.test_import import _csv
from tests.test_transfer import _transfer

# "12.0 学时", "24.0", "共 40.0 学时": a figure with a needless .0 anywhere a person reads it.
POINT_ZERO = re.compile(r"\d\.0(?!\d)")


async def _a_record(person, *, days_ago: float, status=RecordStatus.APPROVED, source=RecordSource.DECLARED, **facts):
    values = {
        "course": "继续教育课程",
        "provider": "河南省继续教育中心",
        "hours": Decimal("8.0"),
        "reject_reason": "",
        "paper_cert_number": "",
    } | facts
    return await HourRecord.create(
        person=person,
        year=2025,
        category=Category.PROFESSIONAL,
        studied_on=date(2025, 5, 1),
        status=status,
        source=source,
        decided_at=datetime.now(UTC) - timedelta(days=days_ago),
        **values,
    )


async def test_my_declarations_lists_pending_then_decisions_newest_first_with_the_reason(service):
    unit = await a_unit()
    await an_admin("o_admin", "unit", unit=unit)
    await a_registered_person("o_p", unit=unit)
    user, admin = service.user("o_p"), service.user("o_admin")
    await _declare(user, course="医学影像新进展", hours="12")
    await _declare(user, course="急诊医学进展", hours="12.5")
    await _declare(user, course="数字经济概论", hours="8")
    approved, rejected, waiting = await HourRecord.all().order_by("id")
    await admin.says(f"通过 {approved.id}")
    await admin.says(f"驳回 {rejected.id} 证明材料不清晰")

    listing = await user.says("我的申报")
    pending_part, decided_part = listing.split("近 12 个月的审核结果")
    assert f"编号 {waiting.id}：{this_year()} 年 专业科目 8 学时，数字经济概论" in pending_part
    assert f"撤回 {waiting.id}" in pending_part
    assert decided_part.index(f"编号 {rejected.id}") < decided_part.index(f"编号 {approved.id}")  # newest first
    assert f"编号 {approved.id}：{this_year()} 年 专业科目 12 学时，医学影像新进展" in decided_part
    assert "12.5 学时，急诊医学进展" in decided_part
    assert "未通过，理由：证明材料不清晰" in decided_part and "已通过" in decided_part
    assert not POINT_ZERO.search(listing)


async def test_the_menu_key_gives_the_same_list(service):
    await a_registered_person("o_p")
    await _declare(service.user("o_p"), course="医学影像新进展")
    assert "医学影像新进展" in await service.user("o_p").clicks("MY_DECLARATIONS")


async def test_the_decided_date_is_beijing_time(service):
    person = await a_registered_person("o_p")
    record = await _a_record(person, days_ago=10)
    late_evening_utc = record.decided_at.replace(hour=17, minute=30)  # 01:30 the next day in Beijing
    await HourRecord.filter(id=record.id).update(decided_at=late_evening_utc)
    beijing_day = (late_evening_utc + timedelta(days=1)).date().isoformat()
    listing = await service.user("o_p").says("我的申报")
    assert f"{beijing_day} 已通过" in listing and "您目前没有待审核的申报" in listing


async def test_decisions_older_than_twelve_months_are_left_out(service):
    person = await a_registered_person("o_p")
    await _a_record(person, days_ago=400, status=RecordStatus.REJECTED, reject_reason="太久以前")
    await _a_record(person, days_ago=30, course="去年秋天的课程")
    listing = await service.user("o_p").says("我的申报")
    assert "去年秋天的课程" in listing and "太久以前" not in listing


async def test_with_nothing_to_show_the_person_is_told_how_to_declare(service):
    person = await a_registered_person("o_p")
    await _a_record(person, days_ago=400)
    reply = await service.user("o_p").says("我的申报")
    assert "没有待审核" in reply and "近 12 个月也没有" in reply and "申报" in reply


async def test_withdrawn_declarations_are_not_listed_as_decisions(service):
    await a_registered_person("o_p")
    user = service.user("o_p")
    await _declare(user, course="撤回的课程")
    record = await HourRecord.get()
    await user.says(f"撤回 {record.id}")
    reply = await user.says("我的申报")
    assert "撤回的课程" not in reply and "没有待审核" in reply


async def test_transferred_and_imported_records_are_marked_as_such(service):
    person = await a_registered_person("o_p")
    await _a_record(person, days_ago=2, source=RecordSource.PAPER, paper_cert_number="豫继教(2018)第0012345号")
    await _a_record(person, days_ago=1, source=RecordSource.IMPORTED, course="户籍管理实务")
    listing = await service.user("o_p").says("我的申报")
    assert "纸质证书转登（豫继教(2018)第0012345号）" in listing
    assert "户籍管理实务" in listing and "批量导入" in listing


async def test_a_long_history_is_cut_within_wechats_limit_and_says_so(service):
    person = await a_registered_person("o_p")
    for n in range(15):
        await _a_record(
            person,
            days_ago=100 - n,
            status=RecordStatus.REJECTED,
            course=f"第{n:02d}期" + "很长的课程名称" * 13,
            reject_reason="证明材料不清晰，" * 20,
        )
    for _ in range(12):
        await HourRecord.create(
            person=person,
            year=2026,
            category=Category.PUBLIC,
            course="待审核" + "很长的课程名称" * 13,
            provider="机构",
            studied_on=date(2026, 1, 2),
            hours=Decimal("1.5"),
        )
    listing = await service.user("o_p").says("我的申报")
    assert len(listing.encode()) <= REPLY_BYTES
    assert "仅显示最近" in listing and "共 15 条" in listing
    assert "仅显示最早的" in listing and "共 12 条" in listing
    assert "第14期" in listing and "第00期" not in listing  # the newest are the ones shown


async def test_the_person_is_told_when_an_admin_transfers_paper_hours(service):
    unit = await a_unit()
    await an_admin("o_admin", "unit", unit=unit)
    person = await a_registered_person("o_p", unit=unit)
    admin = service.user("o_admin")
    await _transfer(admin, person.cert_number, hours="24")
    await admin.says("确认")
    record = await HourRecord.get(person_id=person.id)
    assert await Outbox.filter(kind="hours_transferred", openid="o_p").count() == 1  # with the record itself

    await service.deliver()
    [told] = await service.pushed_texts("o_p")
    assert "已为您转登 2018 年 专业科目 24 学时（纸质证书 豫继教(2018)第0012345号" in told
    assert f"记录编号 {record.id}" in told and "24.0" not in told
    assert "纸质证书转登（豫继教(2018)第0012345号）" in await service.user("o_p").says("我的申报")


async def test_an_import_tells_each_person_once_with_a_summary(service, tmp_path):
    zhang = await a_registered_person("o_zhang")
    li = await a_registered_person("o_li")
    path = _csv(
        tmp_path,
        [
            [zhang.cert_number, "2025", "专业科目", "户籍管理实务", "河南省人社厅培训中心", "2025-05-10", "16"],
            [li.id_number, "2025", "公需科目", "数字经济概论", "河南省人社厅培训中心", "2025-06-01", "8"],
            [zhang.id_number, "2025", "公需科目", "数字经济概论", "河南省人社厅培训中心", "2025-06-01", "8.5"],
        ],
    )
    status, _ = await jxjy(service.settings.database_url, "hours", "import", str(path), cwd=tmp_path)
    assert status == 0
    assert await Outbox.filter(kind="hours_imported").count() == 2

    await service.deliver()
    [to_zhang] = await service.pushed_texts("o_zhang")
    assert "已为您导入 2 条学时记录，共 24.5 学时" in to_zhang
    assert "2025 年 专业科目 16 学时，户籍管理实务" in to_zhang and "8.5 学时，数字经济概论" in to_zhang
    [to_li] = await service.pushed_texts("o_li")
    assert "已为您导入 1 条学时记录，共 8 学时" in to_li
    assert "批量导入" in await service.user("o_zhang").says("我的申报")


async def test_a_large_import_names_a_few_records_and_counts_the_rest(service, tmp_path):
    zhang = await a_registered_person("o_zhang")
    rows = [[zhang.cert_number, "2025", "专业科目", f"课程{n}", "培训中心", "2025-05-10", "2"] for n in range(8)]
    status, _ = await jxjy(service.settings.database_url, "hours", "import", str(_csv(tmp_path, rows)), cwd=tmp_path)
    assert status == 0
    await service.deliver()
    [told] = await service.pushed_texts("o_zhang")
    assert "已为您导入 8 条学时记录，共 16 学时" in told and "课程4" in told and "课程5" not in told
    assert "等 8 条" in told


@pytest.mark.parametrize("templates", [False, True], ids=["texts", "templates"])
async def test_no_notification_says_twelve_point_zero(database_url, tmp_path, templates):
    """Hours typed as 12 are stored as 12.0; every notice, as text or template, must read 12."""
    template_ids = (
        {
            "template_declaration_submitted": "TPL_SUBMITTED",
            "template_declaration_decided": "TPL_DECIDED",
            "template_hours_recorded": "TPL_RECORDED",
        }
        if templates
        else {}
    )
    async with running_service(make_settings(database_url, **template_ids)) as service:
        unit = await a_unit()
        unit_admin = await an_admin("o_admin", "unit", unit=unit)
        person = await a_registered_person("o_p", unit=unit)
        admin = service.user("o_admin")
        await _declare(service.user("o_p"), hours="12")
        declared = await HourRecord.get()
        await admin.says(f"通过 {declared.id}")
        await _transfer(admin, person.cert_number, hours="24")
        await admin.says("确认")
        path = _csv(tmp_path, [[person.cert_number, "2025", "专业科目", "课程", "培训中心", "2025-05-10", "16"]])
        assert (await jxjy(service.settings.database_url, "hours", "import", str(path), cwd=tmp_path))[0] == 0
        await admin.says(f"作废 {declared.id} 重复申报")
        transferred = await HourRecord.get(source=RecordSource.PAPER)
        await correct_record(unit_admin, transferred.id, Decimal("20.0"), transferred.course, "笔误", datetime.now(UTC))

        await service.deliver()
        told = await service.pushed_texts("o_p") + await service.pushed_texts("o_admin")
        assert len(told) == 6  # submitted, decided, transferred, imported, voided, corrected
        kinds = {message["kind"] for message in await service.pushed("o_p")}
        assert kinds == ({"template"} if templates else {"text"})
        for notice in told:
            assert not POINT_ZERO.search(notice), notice
        assert any("12 学时" in notice for notice in told) and any("24 学时" in notice for notice in told)
