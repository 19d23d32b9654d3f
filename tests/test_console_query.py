"""Certificate query on the console: one number or thousands, pasted or uploaded, shown and exported, full
within the admin's scope and only 有效 outside it; within a daily budget of rows, every batch audited with its size."""

import asyncio
import io
import logging
import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import aiohttp
import pytest
from openpyxl import load_workbook

from storage.ids import id_check_character, mask_id_number
from storage.models import AuditEntry, Category, HourRecord, Person, RecordStatus
from storage.summary_store import rebuild_person_years
from tests.browser import ARTIFACTS
from tests.conftest import make_settings, running_service
from tests.console import anonymous, sign_in
from tests.domain import a_registered_person, a_unit, an_admin, an_id_number, hours_of, with_wrong_check_character
from tests.test_console import INSIDERS, OUTSIDERS
from tests.test_console_browser import open_console
from tests.uploads import an_xlsx

# Fixtures shared with the other console tests; pytest finds them by their names in this module.

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def part(html: str, name: str) -> str:
    """The text of one card of the result (found, missed, malformed), tags dropped."""
    start = html.index(f'id="{name}"')
    ends = [i for i in (html.find('<div class="card"', start), html.find("</section>", start)) if i > 0]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html[start : min(ends)]))


def result_of(html: str) -> str:
    """The result section only: the form above it echoes what the admin typed, which is theirs to see."""
    start = html.index('<section id="result">')
    return html[start : html.index("</section>", start)]


async def export(browser, data: dict, files: dict | None = None) -> list[tuple]:
    """Press 导出 Excel: the same form posted to the export route; the workbook's rows come back."""
    form = aiohttp.FormData()
    form.add_field("csrf", browser.csrf)
    for key, value in data.items():
        form.add_field(key, str(value))
    for key, (filename, content) in (files or {}).items():
        form.add_field(key, content, filename=filename)
    async with browser.session.post(browser.url("/admin/query/export.xlsx"), data=form) as response:
        assert response.status == 200 and response.content_type == XLSX, await response.text()
        assert "attachment" in response.headers["Content-Disposition"]
        body = await response.read()
    return list(load_workbook(io.BytesIO(body)).worksheets[0].iter_rows(values_only=True))


async def hours_met(person: Person, year: int = 2026) -> None:
    await hours_of(person, year, Category.PROFESSIONAL, "60")
    await hours_of(person, year, Category.PUBLIC, "30")


async def test_a_pasted_batch_is_sorted_into_found_missed_and_malformed(console_service, world):
    person = world["person"]
    await hours_met(person)
    other = await a_registered_person("o_other", name="王强", unit=world["home"])
    await hours_of(other, 2026, Category.PROFESSIONAL, "50")
    await hours_of(other, 2026, Category.PUBLIC, "40")  # 90 in all, but 专业 short of 60: not met
    unknown = an_id_number(born="19900101")
    wrong_check = with_wrong_check_character(an_id_number())
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in other.id_number)  # typed on a Chinese keyboard
    pasted = f"{person.cert_number}\n {full_width}，{unknown}；4101002026999999 {wrong_check}\n12345\n"
    pasted += person.cert_number  # twice: answered once

    browser = await sign_in(console_service, "o_home")
    status, html = await browser.post("/admin/query", {"numbers": pasted})
    assert status == 200
    found, missed, malformed = part(html, "found"), part(html, "missed"), part(html, "malformed")
    assert "已注册（2）" in found and "未找到（2）" in missed and "号码有误（2）" in malformed
    assert "孙丽 达标 90/90 专业 60 · 公需 30" in found and f"{person.cert_number} {person.id_number}" in found
    assert "王强 未达标 80/90 专业 50 · 公需 40" in found and f"{other.cert_number} {other.id_number}" in found
    assert unknown in missed and "4101002026999999" in missed
    assert f"{wrong_check} 身份证号校验位不符" in malformed and "12345 位数不对" in malformed
    assert "另有 1 个重复号码已合并" in html

    entry = await AuditEntry.get(action="read:query")
    assert entry.actor.startswith("admin:") and entry.target == "numbers:6 found:2"
    assert entry.after["people_in_scope"] == [person.id, other.id]
    assert person.id_number not in str(entry.after) + entry.target and unknown not in str(entry.after)
    await browser.close()


async def test_a_csv_upload_from_chinese_excel_skips_its_header_row(console_service, world):
    person = world["person"]
    table = f"证书管理号或身份证号,备注\r\n{person.cert_number},本院\r\n{person.id_number},同一人\r\n410100201\r\n"
    browser = await sign_in(console_service, "o_home")
    status, html = await browser.post("/admin/query", {}, files={"file": ("名单.csv", table.encode("gbk"))})
    assert status == 200
    assert "已注册（2）" in part(html, "found") and "号码有误（1）" in part(html, "malformed")
    assert "证书管理号或身份证号" not in part(html, "malformed")  # the header is not a number
    await browser.close()


async def test_an_xlsx_upload_is_queried_and_its_export_opens_with_every_number_in_order(console_service, world):
    person = world["person"]
    await hours_met(person, 2025)
    await hours_of(person, 2026, Category.PROFESSIONAL, "12.5")
    await hours_of(person, 2026, Category.PUBLIC, "8", status=RecordStatus.PENDING)  # pending: not counted
    unknown = an_id_number(born="19700505")
    upload = an_xlsx([["号码"], [int(person.cert_number)], [unknown], ["not-a-number"]])
    files = {"file": ("名单.xlsx", upload)}

    browser = await sign_in(console_service, "o_home")
    status, html = await browser.post("/admin/query", {}, files=files)
    assert status == 200 and "孙丽" in part(html, "found") and unknown in part(html, "missed")

    rows = await export(browser, {}, files)
    header, *lines = rows
    assert header[:8] == ("序号", "查询号码", "查询结果", "姓名", "身份证号", "证书管理号", "单位", "地区")
    assert header[8:14] == (
        "2026公需学时",
        "2026专业学时",
        "2026合计学时",
        "2026计入学时",
        "2026要求学时",
        "2026是否达标",
    )
    assert [line[:3] for line in lines] == [
        (1, person.cert_number, "已注册"),
        (2, unknown, "未找到"),
        (3, "NOT-A-NUMBER", "号码有误"),
    ]
    found = dict(zip(header, lines[0], strict=True))
    assert found["姓名"] == "孙丽" and found["身份证号"] == person.id_number and found["地区"] == "郑州市"
    assert (found["2026专业学时"], found["2026公需学时"], found["2026是否达标"]) == (12.5, 0, "未达标")
    assert (found["2025计入学时"], found["2025要求学时"], found["2025是否达标"]) == (90, 90, "达标")
    assert "位数不对" in lines[2][-1]
    assert await AuditEntry.filter(action="export:query", target="numbers:3 found:1").exists()
    await browser.close()


async def test_a_single_number_shows_the_person_and_the_policy_cap_on_public_hours(console_service, world):
    person = world["person"]
    await hours_of(person, 2025, Category.PROFESSIONAL, "60")
    await hours_of(person, 2025, Category.PUBLIC, "45")  # only 30 公需 hours count towards the 90
    browser = await sign_in(console_service, "o_zhengzhou")
    _, html = await browser.post("/admin/query", {"numbers": person.id_number.lower(), "year": "2025"})
    card = part(html, "found")
    assert f"姓名 孙丽 证书管理号 {person.cert_number} 身份证号 {person.id_number}" in card
    # 公需, 专业, 合计, 计入/要求: the raw total beside what counts, and why they differ
    assert "2025 45 60 105 90/90 达标" in card and "2024 0 0 0 0/90 未达标" in card and "2023 0 0 0 0/90" in card
    assert "注：公需科目超过 30 学时的部分不计入年度要求。" in card
    assert f'href="/admin/people/{person.id}"' in html
    await browser.close()


def reveals_only_validity(text: str, person: Person) -> None:
    """No name, masked or not, no ID number, unit, region or hours."""
    for secret in (
        "孙*",
        "孙丽",
        person.id_number[-4:],
        "郑州市第一人民医院",
        "郑州市",
        "达标",
        "90/90",
        "专业",
        "公需",
    ):
        assert secret not in text, secret


@pytest.mark.parametrize("outsider", OUTSIDERS)
async def test_admins_outside_the_scope_see_only_whether_the_number_is_valid(console_service, world, outsider):
    person = world["person"]
    await hours_met(person)
    browser = await sign_in(console_service, outsider)
    numbers = f"{person.id_number}\n{person.cert_number}"
    status, html = await browser.post("/admin/query", {"numbers": numbers})
    assert status == 200
    shown = result_of(html)
    assert "/admin/people/" not in shown
    found = part(html, "found")
    masked = mask_id_number(person.id_number)
    assert f"1 有效 范围外 {masked}" in found and f"2 有效 范围外 {person.cert_number}" in found  # what they typed
    reveals_only_validity(found.replace(masked, ""), person)  # the numbers typed aside, nothing of the person

    _, html = await browser.post("/admin/query", {"numbers": person.id_number})  # one number: the card
    assert f"查询号码 {masked} 结果 有效 范围外" in part(html, "found")
    reveals_only_validity(part(html, "found").replace(masked, ""), person)
    assert person.cert_number not in result_of(html)  # they typed the ID number only

    header, *lines = await export(browser, {"numbers": numbers})
    assert [line[:3] for line in lines] == [(1, masked, "有效"), (2, person.cert_number, "有效")]
    for line in lines:
        row = dict(zip(header, line, strict=True))
        assert set(line[3:-1]) == {None} and row["说明"] == "管理范围外，仅显示是否有效"
    entry = await AuditEntry.get(action="export:query")
    assert entry.after["people_in_scope"] == [] and entry.after["people_outside_scope"] == 2
    await browser.close()


@pytest.mark.parametrize("insider", INSIDERS)
async def test_admins_within_the_scope_see_the_person_in_full(console_service, world, insider):
    person = world["person"]
    browser = await sign_in(console_service, insider)
    numbers = f"{person.id_number}\n{person.cert_number}"
    _, html = await browser.post("/admin/query", {"numbers": numbers})
    assert "孙丽" in part(html, "found") and person.id_number in result_of(html) and "范围外" not in result_of(html)
    header, *lines = await export(browser, {"numbers": numbers})
    assert [line[1] for line in lines] == [person.id_number, person.cert_number]
    assert {dict(zip(header, line, strict=True))["身份证号"] for line in lines} == {person.id_number}
    await browser.close()


async def test_an_empty_query_and_an_unreadable_file_are_answered_with_a_sentence(console_service, world):
    browser = await sign_in(console_service, "o_home")
    status, html = await browser.post("/admin/query", {"numbers": " \n , "})
    assert status == 400 and "请输入或上传" in html
    status, html = await browser.post("/admin/query", {}, files={"file": ("名单.xlsx", b"not a zip")})
    assert status == 400 and "文件无法读取" in html
    status, html = await browser.post("/admin/query", {}, files={"file": ("名单.xls", b"\xd0\xcf\x11\xe0")})
    assert status == 400 and "另存为 .xlsx" in html
    await browser.close()


async def test_more_than_five_thousand_numbers_are_refused_whole(console_service, world):
    browser = await sign_in(console_service, "o_home")
    status, html = await browser.post("/admin/query", {"numbers": ",".join(str(10**7 + i) for i in range(5001))})
    assert status == 400 and "一次最多查询 5000 个号码" in html
    assert not await AuditEntry.filter(action="read:query").exists()
    await browser.close()


def id_numbers(count: int, region: str) -> list[str]:
    """Distinct valid ID numbers: one a birthday."""
    first = [f"{region}{date(1960, 1, 1) + timedelta(days=i):%Y%m%d}{i % 1000:03d}" for i in range(count)]
    return [f + id_check_character(f) for f in first]


async def test_a_batch_of_five_thousand_numbers_is_answered_number_by_number(console_service, caplog):
    unit = await a_unit("郑州大学第一附属医院", "410100")
    await an_admin("o_unit", "unit", unit=unit, name="一附院管理员")
    registered = id_numbers(1000, "410105")
    await Person.bulk_create(
        [
            Person(name=f"人员{i}", id_number=number, cert_number=f"410100202{i:07d}", unit=unit)
            for i, number in enumerate(registered)
        ]
    )
    people = await Person.filter(unit=unit).order_by("id")
    await HourRecord.bulk_create(
        [
            HourRecord(
                person=p,
                year=2026,
                category=category,
                course="继续教育课程",
                provider="河南省继续教育中心",
                studied_on=date(2026, 5, 1),
                hours=Decimal(hours),
                status=RecordStatus.APPROVED,
            )
            for p in people[::2]  # every other person met the policy
            for category, hours in ((Category.PROFESSIONAL, "60"), (Category.PUBLIC, "30"))
        ]
    )
    await rebuild_person_years()  # records made in bulk, beside the storage functions that keep person_year
    numbers = (
        [p.cert_number if p.id % 2 else p.id_number for p in people]
        + id_numbers(3000, "410222")
        + [f"410300202{i:07d}" for i in range(500)]
        + [with_wrong_check_character(n) for n in id_numbers(500, "410311")]
    )
    assert len(numbers) == 5000

    browser = await sign_in(console_service, "o_unit")
    with caplog.at_level(logging.DEBUG, logger="tortoise.db_client"):
        status, html = await browser.post("/admin/query", {"numbers": "\n".join(numbers)})
    assert status == 200
    statements = [r for r in caplog.records if r.name == "tortoise.db_client"]
    assert len(statements) < 40  # a few per 500 numbers, not one per number
    assert "已注册（1000）" in part(html, "found") and "未找到（3500）" in part(html, "missed")
    assert "号码有误（500）" in part(html, "malformed") and "页面仅显示前 500 人" in html

    header, *lines = await export(browser, {"numbers": "\n".join(numbers)})
    assert len(lines) == 5000 and [line[1] for line in lines] == numbers
    outcomes = [line[2] for line in lines]
    assert outcomes == ["已注册"] * 1000 + ["未找到"] * 3500 + ["号码有误"] * 500
    met = header.index("2026是否达标")
    by_person = {line[4]: line[met] for line in lines[:1000]}
    assert by_person == {p.id_number: ("达标" if i % 2 == 0 else "未达标") for i, p in enumerate(people)}
    await browser.close()


async def test_a_person_without_a_session_gets_401_on_every_query_route(console_service, world):
    stranger = anonymous(console_service)
    assert (await stranger.get("/admin/query"))[0] == 401
    for path in ("/admin/query", "/admin/query/export.xlsx"):
        status, html = await stranger.post(path, {"numbers": world["person"].cert_number})
        assert status == 401 and "孙丽" not in html
    await stranger.close()


async def test_a_batch_query_by_upload_on_a_phone(console_service, world, phone):
    person = world["person"]
    await hours_met(person)
    await hours_met(await a_registered_person("o_far", name="欧阳晓明", unit=world["far"]))
    far = await Person.get(name="欧阳晓明")
    upload = an_xlsx(
        [["证书管理号或身份证号"], [person.cert_number], [far.id_number], [an_id_number(born="19920202")], ["41010"]]
    )
    await open_console(console_service, phone, "o_zhengzhou")
    await phone.get_by_role("link", name="证书查询").click()
    await phone.set_input_files("input[type=file]", files=[{"name": "名单.xlsx", "mimeType": XLSX, "buffer": upload}])
    await phone.get_by_role("button", name="查询").click()
    await phone.wait_for_selector("#result")
    text = await phone.locator("#result").inner_text()
    assert "孙丽" in text and "有效" in text and "欧" not in text and far.id_number not in text
    assert await phone.evaluate("document.documentElement.scrollWidth") <= 390  # wide tables scroll inside
    ARTIFACTS.mkdir(exist_ok=True)
    await phone.screenshot(path=str(ARTIFACTS / "console-query-phone.png"), full_page=True)

    async with phone.expect_download() as download:
        await phone.get_by_role("button", name="导出 Excel").click()
    saved = await download.value
    assert saved.suggested_filename.endswith(".xlsx")
    workbook = load_workbook(io.BytesIO((await saved.path()).read_bytes()))
    rows = list(workbook.worksheets[0].iter_rows(values_only=True))
    assert [row[2:4] for row in rows[1:]] == [("已注册", "孙丽"), ("有效", None), ("未找到", None), ("号码有误", None)]

    await phone.fill("textarea[name=numbers]", person.id_number)
    await phone.get_by_role("button", name="查询").click()
    await phone.wait_for_selector("#found dl")
    assert "孙丽" in await phone.locator("#found").inner_text()
    await phone.screenshot(path=str(ARTIFACTS / "console-query-single-phone.png"), full_page=True)


async def test_every_batch_is_audited_with_its_size(console_service, world):
    person = world["person"]
    browser = await sign_in(console_service, "o_home")
    numbers = f"{person.cert_number}\n{person.id_number}\n4101002026999999\n12345\n{person.cert_number}"
    await browser.post("/admin/query", {"numbers": numbers})
    await export(browser, {"numbers": numbers})
    page, exported = await AuditEntry.filter(action__in=("read:query", "export:query")).order_by("id")
    assert (page.action, page.after["rows"]) == ("read:query", 4)  # the twin is one row
    assert (exported.action, exported.after["rows"]) == ("export:query", 4)
    await browser.close()


async def test_a_batch_over_the_days_budget_is_refused_saying_what_remains(database_url):
    async with running_service(
        make_settings(database_url, public_url="http://127.0.0.1", query_rows_per_day=10)
    ) as service:
        unit = await a_unit("郑州市第一人民医院", "410100")
        await an_admin("o_home", "unit", unit=unit, name="一院管理员")
        numbers = [f"410100202699{i:04d}" for i in range(6)]
        browser = await sign_in(service, "o_home")
        status, _ = await browser.post("/admin/query", {"numbers": "\n".join(numbers)})
        assert status == 200  # 6 of 10
        status, html = await browser.post("/admin/query", {"numbers": "\n".join(numbers)})
        assert status == 400
        assert (
            "超出今日查询额度：本次 6 个号码，今日还可查询 4 个（每人每日 10 个" in html and 'id="result"' not in html
        )
        assert await AuditEntry.filter(action="read:query").count() == 1  # the refused batch read nothing
        await export(browser, {"numbers": "\n".join(numbers[:4])})  # exactly what remains
        status, html = await browser.post("/admin/query", {"numbers": numbers[0]})
        assert status == 400 and "今日还可查询 0 个" in html

        # Another admin has a budget of their own; yesterday's batches do not count today.
        await an_admin("o_other", "unit", unit=unit, name="另一位管理员")
        other = await sign_in(service, "o_other")
        assert (await other.post("/admin/query", {"numbers": numbers[0]}))[0] == 200
        await AuditEntry.filter(action__in=("read:query", "export:query")).update(
            at=datetime.now(UTC) - timedelta(days=1)
        )
        assert (await browser.post("/admin/query", {"numbers": "\n".join(numbers)}))[0] == 200
        await browser.close()
        await other.close()


async def test_batches_sent_at_the_same_moment_cannot_each_spend_what_remains(database_url):
    """Each checked against what was spent before any of them, ten batches of 6 would all pass a budget of 10."""
    async with running_service(
        make_settings(database_url, public_url="http://127.0.0.1", query_rows_per_day=10)
    ) as service:
        unit = await a_unit("郑州市第一人民医院", "410100")
        await an_admin("o_home", "unit", unit=unit, name="一院管理员")
        numbers = "\n".join(f"410100202699{i:04d}" for i in range(6))
        browser = await sign_in(service, "o_home")
        await browser.get("/admin/query")
        statuses = await asyncio.gather(*(browser.post("/admin/query", {"numbers": numbers}) for _ in range(10)))
        assert sorted(status for status, _ in statuses) == [200] + [400] * 9
        assert await AuditEntry.filter(action="read:query").count() == 1
        await browser.close()
