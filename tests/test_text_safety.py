"""Text in, text out, safely: control characters are refused with a clear sentence wherever text is typed,
and nothing is stored or changed."""

import io

import pytest
from openpyxl import load_workbook

from handlers.hours_import import HEADER
from render.spreadsheet import Export
from storage.models import Admin, Category, HourRecord, RecordStatus, TrainingPlan
from storage.text import UNSAFE_TEXT, is_safe_text
from tests.console import sign_in
from tests.domain import a_registered_person, a_unit, hours_of
from tests.test_cli import jxjy
from tests.test_console_filings import GOOD
from tests.test_console_query import export


@pytest.mark.parametrize("text", ["a\x00b", "\x07", "姓名\x1b[31m", "\u202e3202", "a\x7fb", "\ud800"])
def test_control_characters_are_unsafe(text):
    assert not is_safe_text(text)


@pytest.mark.parametrize("text", ["郑州市第一人民医院", "第一行\n第二行\r\n\t缩进", "O'Brien & 李 <b>", "刘䶮·阿依"])
def test_ordinary_text_and_line_breaks_are_safe(text):
    assert is_safe_text(text)


async def test_a_nul_in_a_console_search_is_refused_not_a_server_error(console_service, world):
    browser = await sign_in(console_service, "o_province")
    status, html = await browser.post("/admin/people", {"q": "孙\x00丽"})
    assert status == 400 and UNSAFE_TEXT in html
    await browser.close()


async def test_a_filing_field_with_a_control_character_is_refused_and_nothing_is_stored(console_service, world):
    browser = await sign_in(console_service, "o_home")
    before = await Admin.get(openid="o_home")
    status, html = await browser.post("/admin/filings", GOOD | {"department": "科教\x00科"})
    assert status == 400 and UNSAFE_TEXT in html
    after = await Admin.get(openid="o_home")
    assert after.department == before.department
    await browser.close()
    province = await sign_in(console_service, "o_province")
    status, _, _ = await province.get_bytes("/admin/filings/export.xlsx")
    assert status == 200  # the export for everyone above still opens
    await province.close()


async def test_a_rejection_reason_with_a_control_character_is_refused_and_the_record_stays_pending(
    console_service, world
):
    browser = await sign_in(console_service, "o_home")
    status, html = await browser.post(
        "/admin/review", [("ids", world["record"].id), ("action", "reject"), ("reason", "证明\u202e不清")]
    )
    assert status == 400 and UNSAFE_TEXT in html
    assert (await HourRecord.get(id=world["record"].id)).status == RecordStatus.PENDING
    await browser.close()


@pytest.mark.parametrize("typed", ['=HYPERLINK("http://x","点我")', "+1", "-2+3", "@SUM(A1)", "\tx", "\rx"])
def test_text_that_a_spreadsheet_would_run_is_written_inert(typed):
    export = Export()
    export.sheet("s").append([typed, 12, None])
    sheet = load_workbook(io.BytesIO(export.bytes())).active
    cell = sheet.cell(row=1, column=1)
    assert cell.data_type == "s" and cell.value.startswith("'") and cell.value[2:] == typed[1:]
    assert sheet.cell(row=1, column=2).value == 12  # numbers stay numbers


async def test_the_batch_query_and_statistics_exports_carry_no_live_formula(console_service, world):
    unit = await a_unit('=HYPERLINK("http://evil.example","查看")', "410100")
    person = await a_registered_person("o_formula", name="王芳", unit=unit)
    await hours_of(person, 2026, Category.PUBLIC, "30")
    browser = await sign_in(console_service, "o_province")
    await browser.get("/admin/query")  # the form, with its CSRF token
    rows = await export(browser, {"numbers": person.cert_number, "year": "2026"})
    assert '\'=HYPERLINK("http://evil.example","查看")' in rows[1]
    status, data, _ = await browser.get_bytes("/admin/stats/export.xlsx", year="2026", region="410100")
    assert status == 200
    cells = [cell for row in load_workbook(io.BytesIO(data)).worksheets[0].iter_rows() for cell in row]
    assert not [cell for cell in cells if cell.data_type == "f"]
    assert '\'=HYPERLINK("http://evil.example","查看")' in [cell.value for cell in cells]
    await browser.close()


# NUL and most C0 controls cannot even be written in XML (the endpoint answers 400); these can.
@pytest.mark.parametrize("typed", ["课\x85程", "课\x9b程", "课程\u202e名"])
async def test_a_control_character_in_the_chat_is_refused_and_nothing_changes(service, typed):
    await a_registered_person("o_person")
    user = service.user("o_person")
    await user.says("申报")
    await user.says("今年")
    await user.says("1")
    assert UNSAFE_TEXT in await user.says(typed)
    assert "第 4 步" in await user.says("课程名称")  # the step still waits for its answer
    assert not await HourRecord.exists()


async def test_a_control_character_in_an_import_row_is_named_with_its_line(service, tmp_path):
    person = await a_registered_person("o_person")
    path = tmp_path / "hours.csv"
    rows = [",".join(HEADER), f"{person.cert_number},2025,公需科目,课程\x07,机构名称,2025-05-10,8"]
    path.write_text("\n".join(rows), encoding="utf-8")
    status, output = await jxjy(service.settings.database_url, "hours", "import", str(path), cwd=tmp_path)
    assert status != 0 and "第 2 行" in output and "控制字符" in output
    assert not await HourRecord.exists()


@pytest.mark.parametrize("name", ["计划\u202efdp.exe.pdf", "计划\u2067.pdf"])
async def test_a_plan_files_name_with_a_control_character_is_refused_and_nothing_is_filed(console_service, world, name):
    """A file's name is typed too: an override would show it as something else on every page that lists it."""
    browser = await sign_in(console_service, "o_home")
    status, html = await browser.post(
        "/admin/plans", {"year": "2026", "text": "本单位年度培训计划"}, files={"file": (name, b"%PDF-1.4 plan")}
    )
    assert status == 200 and UNSAFE_TEXT in html
    assert not await TrainingPlan.exists()
    await browser.close()


async def test_a_control_character_on_the_public_verification_page_is_refused_and_counts_nothing(service):
    for form in ({"id_number": "41010519850312101X", "name": "张\x00三"}, {"cert_number": "4101002026\x07000001"}):
        response = await service.client.post("/", data=form)
        assert response.status == 400 and UNSAFE_TEXT in await response.text()
