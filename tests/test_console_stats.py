"""Statistics on the console: a year's completion rate and hours by category, per region or unit, within the
admin's scope, drawn as SVG and exported as XLSX."""

import io
import re

import pytest
from openpyxl import load_workbook

from storage.models import AuditEntry, Category, Person, RecordSource
from tests.browser import ARTIFACTS
from tests.console import anonymous, sign_in
from tests.domain import a_registered_person, a_unit, hours_of
from tests.test_console import OUTSIDERS
from tests.test_console_browser import open_console

# Fixtures shared with the other console tests; pytest finds them by their names in this module.

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def table(html: str) -> dict[str, list[str]]:
    """The breakdown table, as its first column (a region or unit) to the other cells."""
    body = html[html.index('<table class="data">') : html.index("</table>")]
    rows = {}
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)[1:]:
        cells = [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        rows[cells[0]] = cells[1:]
    return rows


async def hours(person: Person, professional: str, public: str, year: int = 2026, **kwargs) -> None:
    await hours_of(person, year, Category.PROFESSIONAL, professional, **kwargs)
    await hours_of(person, year, Category.PUBLIC, public, **kwargs)


@pytest.fixture
async def year_of_hours(world):
    """2026 in the world of test_console: the home unit has three people and two met the policy; the
    neighbour one person who met it; Luoyang one person with no hours."""
    home = world["home"]
    await hours(world["person"], "60", "30")
    await hours(await a_registered_person("o_wang", name="王强", unit=home), "70", "20")
    await hours(await a_registered_person("o_li", name="李娜", unit=home), "50", "40")  # 专业 short: not met
    await hours(await a_registered_person("o_zhao", name="赵敏", unit=world["neighbour"]), "60", "30.5")
    await a_registered_person("o_qian", name="钱伟", unit=world["far"])
    return world


async def test_a_unit_admin_sees_how_many_of_their_people_met_the_policy(console_service, year_of_hours):
    browser = await sign_in(console_service, "o_home")
    status, html = await browser.get("/admin/stats", year="2026")
    assert status == 200
    # unit: people, met, rate, 专业, 公需, 合计, 计入 (李娜's 40 公需 count as 30), average 专业, average 公需
    assert table(html) == {
        "郑州市第一人民医院": ["3", "2", "66.7%", "180", "90", "270", "260", "60", "30"],
        "合计": ["3", "2", "66.7%", "180", "90", "270", "260", "60", "30"],
    }
    assert "注：公需科目超过 30 学时的部分不计入年度要求。" in html
    assert html.count('<svg class="chart"') == 2 and "<title>郑州市第一人民医院：66.7%</title>" in html
    assert "郑州市中心医院" not in html and "洛阳" not in table(html)
    await browser.close()


async def test_a_region_admin_sees_each_unit_of_the_region(console_service, year_of_hours):
    browser = await sign_in(console_service, "o_zhengzhou")
    _, html = await browser.get("/admin/stats", year="2026")
    rows = table(html)
    assert rows["郑州市第一人民医院"][:3] == ["3", "2", "66.7%"]
    assert rows["郑州市中心医院"] == ["1", "1", "100.0%", "60", "30.5", "90.5", "90", "60", "30.5"]
    assert rows["合计"][:5] == ["4", "3", "75.0%", "240", "120.5"]
    assert "洛阳市中心医院" not in html
    await browser.close()


async def test_the_province_sees_each_region_and_can_open_one(console_service, year_of_hours):
    provincial = await a_unit("河南省人民医院", "410000")  # a unit the province oversees directly (省直)
    await hours(await a_registered_person("o_zhou", name="周杰", unit=provincial), "60", "30")
    browser = await sign_in(console_service, "o_province")
    _, html = await browser.get("/admin/stats", year="2026")
    rows = table(html)
    assert rows["郑州市"][:3] == ["4", "3", "75.0%"] and rows["洛阳市"][:3] == ["1", "0", "0.0%"]
    assert rows["省直单位"][:3] == ["1", "1", "100.0%"]
    assert rows["开封市"][:3] == ["0", "0", "—"]  # every region is listed, with or without people
    assert rows["合计"][:3] == ["6", "4", "66.7%"]
    assert 'href="/admin/stats?year=2026&amp;region=410100"' in html

    _, html = await browser.get("/admin/stats", year="2026", region="410100")
    assert set(table(html)) == {"郑州市第一人民医院", "郑州市中心医院", "合计"} and "返回全省" in html
    await browser.close()


async def test_people_who_registered_after_a_year_are_not_counted_as_failing_it(console_service, world):
    # Everyone in this world registered in 2026; 孙丽 transferred 2025's paper certificate hours in.
    await hours(world["person"], "64", "30", year=2025, source=RecordSource.PAPER)
    browser = await sign_in(console_service, "o_home")
    _, html = await browser.get("/admin/stats", year="2025")
    assert table(html)["合计"][:3] == ["1", "1", "100.0%"]
    _, html = await browser.get("/admin/stats", year="2024")
    assert table(html)["合计"][:3] == ["0", "0", "—"] and '<svg class="chart"' not in html
    await browser.close()


async def test_the_statistics_export_opens_in_excel_and_is_audited(console_service, year_of_hours):
    browser = await sign_in(console_service, "o_zhengzhou")
    status, body, kind = await browser.get_bytes("/admin/stats/export.xlsx", year="2026")
    assert status == 200 and kind == XLSX
    book = load_workbook(io.BytesIO(body))
    header, *lines = book.worksheets[0].iter_rows(values_only=True)
    assert header[:4] == ("单位", "注册人数", "达标人数", "达标率")
    assert header[4:] == ("公需科目学时", "专业科目学时", "合计学时", "计入学时", "人均公需学时", "人均专业学时")
    by_unit = {line[0]: line[1:] for line in lines}
    assert by_unit["郑州市第一人民医院"] == (3, 2, 0.6667, 90, 180, 270, 260, 30, 60)
    assert by_unit["合计"][:3] == (4, 3, 0.75)
    assert book.worksheets[0]["D2"].number_format == "0.0%"
    assert ("年度", 2026) in set(book["说明"].iter_rows(values_only=True))
    assert ("注：公需科目超过 30 学时的部分不计入年度要求。", None) in set(book["说明"].iter_rows(values_only=True))
    entry = await AuditEntry.get(action="export:stats")
    assert entry.actor.startswith("admin:") and entry.target == "year:2026 region:410100"
    await browser.close()


@pytest.mark.parametrize("outsider", OUTSIDERS)
async def test_admins_outside_the_scope_see_nothing_of_the_home_unit(console_service, year_of_hours, outsider):
    browser = await sign_in(console_service, outsider)
    _, html = await browser.get("/admin/stats", year="2026")
    assert "郑州市第一人民医院" not in html and "郑州市第一人民医院" not in table(html)
    assert table(html)["合计"][0] == "1"  # their own one person: 赵敏 next door, 钱伟 in Luoyang
    _, body, _ = await browser.get_bytes("/admin/stats/export.xlsx", year="2026")
    names = [row[0] for row in load_workbook(io.BytesIO(body)).worksheets[0].iter_rows(values_only=True)]
    assert "郑州市第一人民医院" not in names
    status, html = await browser.get("/admin/stats", year="2026", region="410100")
    if outsider == "o_luoyang":  # another region's breakdown is refused, not quietly replaced
        assert status == 403 and "郑州市第一人民医院" not in html
        assert (await browser.get_bytes("/admin/stats/export.xlsx", year="2026", region="410100"))[0] == 403
    await browser.close()


async def test_a_person_without_a_session_gets_401_on_every_statistics_route(console_service, year_of_hours):
    stranger = anonymous(console_service)
    for path in ("/admin/stats", "/admin/stats/export.xlsx"):
        status, body, _ = await stranger.get_bytes(path, year="2026")
        assert status == 401 and "郑州市第一人民医院".encode() not in body
    await stranger.close()


async def test_the_statistics_page_on_a_phone_draws_its_charts(console_service, year_of_hours, phone):
    await open_console(console_service, phone, "o_province")
    await phone.get_by_role("link", name="统计").click()
    await phone.wait_for_selector("svg.chart")
    assert await phone.locator("svg.chart").count() == 2
    box = await phone.locator("svg.chart").first.bounding_box()
    assert box is not None and 300 < box["width"] <= 390
    assert await phone.evaluate("document.documentElement.scrollWidth") <= 390
    ARTIFACTS.mkdir(exist_ok=True)
    await phone.screenshot(path=str(ARTIFACTS / "console-stats-phone.png"), full_page=True)
    await phone.get_by_role("link", name="郑州市", exact=True).click()
    await phone.wait_for_selector("text=返回全省")
    await phone.screenshot(path=str(ARTIFACTS / "console-stats-region-phone.png"), full_page=True)
