"""`jxjy hours import FILE`: CSV or XLSX, checked whole first, imported all or nothing."""

from openpyxl import Workbook

from handlers.hours_import import HEADER
from storage.models import AuditEntry, HourRecord, RecordSource, RecordStatus
from tests.domain import a_registered_person
from tests.test_cli import jxjy


def _csv(tmp_path, rows: list[list[str]], header=HEADER):
    path = tmp_path / "hours.csv"
    lines = [",".join(header)] + [",".join(row) for row in rows]
    path.write_text("\n".join(lines), encoding="utf-8-sig")
    return path


async def test_a_clean_file_is_imported_as_approved_records(service, tmp_path):
    zhang = await a_registered_person("o_zhang")
    li = await a_registered_person("o_li")
    path = _csv(
        tmp_path,
        [
            [zhang.cert_number, "2025", "专业科目", "户籍管理实务", "河南省人社厅培训中心", "2025-05-10", "16"],
            [li.id_number, "2025", "公需科目", "数字经济概论", "河南省人社厅培训中心", "2025/06/01", "8.5"],
        ],
    )
    status, output = await jxjy(service.settings.database_url, "hours", "import", str(path), cwd=tmp_path)
    assert status == 0 and "已导入 2 条" in output
    records = await HourRecord.all().order_by("id")
    assert [(r.person_id, str(r.hours), r.status, r.source) for r in records] == [
        (zhang.id, "16.0", RecordStatus.APPROVED, RecordSource.IMPORTED),
        (li.id, "8.5", RecordStatus.APPROVED, RecordSource.IMPORTED),
    ]
    assert await AuditEntry.filter(action="imported").count() == 2
    assert li.id_number not in str(await AuditEntry.all().values_list("after", flat=True))


async def test_one_bad_row_and_nothing_is_imported_with_each_bad_row_reported(service, tmp_path):
    zhang = await a_registered_person("o_zhang")
    path = _csv(
        tmp_path,
        [
            [zhang.cert_number, "2025", "专业科目", "户籍管理实务", "培训中心", "2025-05-10", "16"],
            ["4101002026999999", "2025", "专业科目", "课程", "培训中心", "2025-05-10", "16"],
            [zhang.cert_number, "2025", "选修", "课程", "培训中心", "2025-05-10", "16"],
            [zhang.cert_number, "2025", "公需科目", "课程", "培训中心", "2024-05-10", "16"],
            [],
            [zhang.cert_number, "2025", "公需科目", "课程", "培训中心", "2025-05-10", "-3"],
        ],
    )
    status, output = await jxjy(service.settings.database_url, "hours", "import", str(path), cwd=tmp_path)
    assert status == 2 and "4 行有误" in output
    assert "第 3 行：找不到" in output
    assert "第 4 行：科目类别" in output
    assert "第 5 行：学习日期应在所申报的年度之内" in output
    assert "第 7 行：学时应为" in output
    assert "第 2 行" not in output
    assert not await HourRecord.exists()


async def test_a_wrong_header_is_refused(service, tmp_path):
    path = _csv(tmp_path, [["x"]], header=("身份证", "学时"))
    status, output = await jxjy(service.settings.database_url, "hours", "import", str(path), cwd=tmp_path)
    assert status == 2 and "表头应为" in output


async def test_an_xlsx_file_with_real_date_cells_imports(service, tmp_path):
    from datetime import datetime

    zhang = await a_registered_person("o_zhang")
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(list(HEADER))
    sheet.append([zhang.cert_number, 2025, "专业", "地方立法研讨", "河南大学", datetime(2025, 9, 1), 6])
    path = tmp_path / "hours.xlsx"
    workbook.save(path)
    status, output = await jxjy(service.settings.database_url, "hours", "import", str(path), cwd=tmp_path)
    assert status == 0, output
    record = await HourRecord.get()
    assert record.course == "地方立法研讨" and record.studied_on.isoformat() == "2025-09-01"


async def test_admin_invite_prints_a_code_and_a_qr_from_the_api(service, tmp_path):
    status, output = await jxjy(
        service.settings.database_url,
        "admin",
        "invite",
        "--role",
        "region",
        "--region",
        "410300",
        cwd=tmp_path,
        extra_env={
            "WECHAT_API_URL": service.settings.wechat_api_url,
            "WECHAT_APP_ID": service.settings.wechat_app_id,
            "WECHAT_APP_SECRET": service.settings.wechat_app_secret,
        },
    )
    assert status == 0, output
    code = output.split("邀请码：")[1][:8]
    assert "扫描二维码" in output
    assert "地区管理员（洛阳市）" in await service.user("o_new").says(f"绑定管理员 {code}")
    status, output = await jxjy(
        service.settings.database_url, "admin", "invite", "--role", "region", "--region", "410000", cwd=tmp_path
    )
    assert status == 2 and "省辖市" in output
