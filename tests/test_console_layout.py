"""Every console page, for each level of admin, on a phone (390 px) and at two desks (1366 and 1920 px), with the
data a province really has: long unit and course names, more people and records than fit on a screen.

At a desk the page uses the width: a table shows every column, nothing needs scrolling sideways. On a phone each
table row is a card. Nowhere may a table or a line of text overflow its box, and no line may hold one character
that wrapped away from the rest of its word (学时 split as 学 / 时, 分院 as …分 / 院).

The pages are found by following the console's own navigation and the links on each page, so a page added later
is checked without touching this file.
"""

import re
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.async_api import Page

from storage.models import Category, HourRecord, RecordSource, RecordStatus
from tests.browser import ARTIFACTS, console_page
from tests.console import sign_in
from tests.domain import a_declaration, a_registered_person, a_unit, an_admin, an_id_number

WIDTHS = (390, 1366, 1920)
DESK = 1024  # from this width on, tables show every column
HEIGHT = 900

LONG_UNIT = "河南省郑州市高新技术产业开发区管理委员会社会事业局第一人民医院分院"
UNITS = (
    (LONG_UNIT, "410100"),
    ("郑州大学第一附属医院河医院区心血管内科与介入治疗中心", "410100"),
    ("郑州市二七区人民政府长江路街道办事处社区卫生服务中心", "410100"),
    ("郑州市中心医院", "410100"),
    ("洛阳市涧西区工业和信息化局直属机械装备制造技术研究所", "410300"),
    ("开封市", "410200"),
)
COURSES = (
    "新时代背景下基层医疗卫生机构公共卫生服务能力提升与突发公共卫生事件应急处置专题培训班",
    "急诊医学进展",
    "《中华人民共和国民法典》人格权编与医疗损害责任纠纷案例解读（第二期）",
    "心血管疾病介入诊疗技术规范化培训",
)
PROVIDERS = ("河南省卫生健康委员会继续医学教育中心", "郑州大学继续教育学院", "河南省人民医院")
NAMES = "王芳 李娜 张伟 刘洋 陈静 杨帆 赵敏 黄磊 周杰 吴婷 徐强 孙丽 马超 朱红 胡军 郭鹏 何欣 高翔 林峰 罗琳".split()
NOT_A_PAGE = re.compile(r"\.(xlsx|png|pdf)$|/file$|/evidence$|/login/|/logout$")

CHECK = (Path(__file__).parent / "console_layout.js").read_text()  # (desk: bool) => [problem, …]


async def a_busy_province(service):
    """Six units (most with long names) in three regions, 64 people in the long-named one, one of them with 56
    hour records of every kind, pending declarations, a filed training plan and a seal application."""
    units = [await a_unit(name, region) for name, region in UNITS]
    home = units[0]
    await an_admin("o_unit", "unit", unit=home, name="欧阳晓明")
    await an_admin("o_region", "region", region="410100", name="郑州市人社局管理员")
    await an_admin("o_province", "province", name="省人社厅管理员")
    people = []
    for n in range(64):
        unit = home if n < 56 else units[1 + n % 5]
        name = NAMES[n % len(NAMES)] + ("" if n < len(NAMES) else "欧阳司马"[: 1 + n % 3])
        people.append(await a_registered_person(f"o_p{n}", name=name, unit=unit, id_number=an_id_number(sequence=n)))
    busy = people[0]
    statuses = (RecordStatus.APPROVED, RecordStatus.APPROVED, RecordStatus.REJECTED, RecordStatus.PENDING)
    for n in range(56):
        status = statuses[n % 4]
        await HourRecord.create(
            person=busy,
            year=2026 - n % 5,
            category=(Category.PROFESSIONAL, Category.PUBLIC)[n % 2],
            course=COURSES[n % len(COURSES)],
            provider=PROVIDERS[n % len(PROVIDERS)],
            studied_on=date(2026 - n % 5, 1, 5) + timedelta(days=n * 5),
            hours=Decimal(("8", "1.5", "24", "90")[n % 4]),
            status=status,
            source=(RecordSource.DECLARED, RecordSource.IMPORTED)[n % 2]
            if status != RecordStatus.PENDING
            else RecordSource.DECLARED,
            reject_reason="证明材料不清晰，无法辨认培训机构的印章和学时，请重新拍照上传"
            if status == RecordStatus.REJECTED
            else "",
        )
    for person in people[1:12]:
        await a_declaration(person, hours="12", course=COURSES[0])

    unit_admin = await sign_in_and_post(
        service, "o_unit", "/admin/plans", {"year": "2026", "text": "一、培训目标\n" + COURSES[0] * 3}
    )
    region_admin = await sign_in_and_post(
        service,
        "o_region",
        "/admin/seal",
        {
            "applicant": "郑州市人力资源和社会保障局专业技术人员管理处",
            "issuer": "郑州市人力资源和社会保障局",
            "applied_on": "2026-03-01",
        },
    )
    return {"people": people, "busy": busy, "unit_admin": unit_admin, "region_admin": region_admin}


async def sign_in_and_post(service, openid: str, path: str, data: dict) -> str:
    browser = await sign_in(service, openid)
    status, html = await browser.post(path, data)
    await browser.close()
    assert status == 200, html
    return openid


def shape(path: str) -> str:
    """Pages alike but for an id or a query value are one page to check: /admin/people/7 → /admin/people/#."""
    base, _, query = path.partition("?")
    keys = sorted(part.partition("=")[0] for part in query.split("&") if part)
    return re.sub(r"\d+", "#", base) + ("?" + "&".join(keys) if keys else "")


async def links(page: Page, selector: str) -> list[str]:
    hrefs = await page.eval_on_selector_all(selector, "links => links.map(a => a.getAttribute('href'))")
    return [h for h in hrefs if h and h.startswith("/admin") and not NOT_A_PAGE.search(h.partition("?")[0])]


async def check(page: Page, label: str) -> list[str]:
    found = []
    for width in WIDTHS:
        await page.set_viewport_size({"width": width, "height": HEIGHT})
        await page.evaluate("document.fonts.ready.then(() => new Promise(requestAnimationFrame))")
        found += [f"{label} at {width} px: {p}" for p in await page.evaluate(CHECK, width >= DESK)]
    return found


async def every_page(service, page: Page, label: str) -> tuple[list[str], set[str]]:
    """Visit the console's navigation, then every kind of page linked from those pages; check each."""
    url = service.client.make_url
    problems, seen, queue = [], set(), ["/admin/"]
    queue += await links(page, "nav.console a")
    nav_pages = len(queue)
    visited = 0
    while queue:
        path = queue.pop(0)
        if shape(path) in seen:
            continue
        seen.add(shape(path))
        response = await page.goto(str(url(path)))
        assert response.status == 200, f"{label} {path}: {response.status}"
        problems += await check(page, f"{label} {path}")
        visited += 1
        if visited <= nav_pages:  # one level below the navigation: detail and print pages, other years and regions
            queue += await links(page, "main a[href]")
    return problems, seen


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # the layout does not depend on the database
async def test_every_console_page_fits_a_phone_and_uses_a_desks_width(console_service, chromium):
    data = await a_busy_province(console_service)
    url = console_service.client.make_url
    problems, kinds = [], set()

    for openid in ("o_unit", "o_region", "o_province"):
        page = await console_page(console_service, chromium, openid, phone=False)
        found, seen = await every_page(console_service, page, openid)
        problems += found
        kinds |= seen
        # A batch query: the results' table, with every column at a desk.
        await page.set_viewport_size({"width": 1366, "height": HEIGHT})
        await page.goto(str(url("/admin/query")))
        numbers = "\n".join(p.cert_number for p in data["people"]) + "\n410105198503120000\n12345"
        await page.locator("textarea[name=numbers]").fill(numbers)
        await page.get_by_role("button", name="查询").click()
        await page.wait_for_selector("#result")
        problems += await check(page, f"{openid} 证书查询 (64 numbers)")
        # A search that finds more than a page.
        await page.goto(str(url("/admin/people")))
        await page.locator("input[name=q]").fill(NAMES[0][0])
        await page.get_by_role("button", name="查找").click()
        problems += await check(page, f"{openid} 人员 search")
        await page.context.close()

    for kind in (
        "/admin/people/#",
        "/admin/people?page",
        "/admin/plans/#",
        "/admin/seal/#/print",
        "/admin/filings/#/print",
        "/admin/stats?region&year",
        "/admin/review",
        "/admin/audit",
    ):
        assert kind in kinds, sorted(kinds)  # the crawl reached the pages it should
    assert problems == [], "\n".join(problems)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_at_a_desk_the_person_page_shows_every_column_and_sorts_by_any(console_service, chromium):
    data = await a_busy_province(console_service)
    page = await console_page(console_service, chromium, "o_unit", phone=False)
    url = console_service.client.make_url
    ARTIFACTS.mkdir(exist_ok=True)

    await page.set_viewport_size({"width": 1366, "height": 768})
    await page.goto(str(url(f"/admin/people/{data['busy'].id}")))
    table = page.locator("table.data")
    for header in ("编号", "课程/活动", "培训机构", "学时", "来源", "状态"):
        cell = table.locator("th", has_text=header)
        assert await cell.is_visible(), header
        box, frame = await cell.bounding_box(), await table.bounding_box()
        assert box["x"] + box["width"] <= frame["x"] + frame["width"] + 1, header
    await page.screenshot(path=str(ARTIFACTS / "console-person-desk.png"))
    await page.evaluate("window.scrollTo(0, 2000)")
    assert abs((await table.locator("th", has_text="学时").bounding_box())["y"]) <= 1  # the headers stay in view
    await page.evaluate("window.scrollTo(0, 0)")

    hours = table.locator("tbody td:nth-child(7)")
    await table.get_by_role("button", name="学时").click()
    assert await table.locator("th", has_text="学时").get_attribute("aria-sort") == "ascending"
    figures = [float(t) for t in await hours.all_inner_texts()]
    assert figures == sorted(figures) and figures[0] == 1.5 and figures[-1] == 90  # as numbers: 1.5 < 8 < 24 < 90
    await table.get_by_role("button", name="学时").click()
    assert await table.locator("th", has_text="学时").get_attribute("aria-sort") == "descending"
    assert [float(t) for t in await hours.all_inner_texts()] == sorted(figures, reverse=True)
    await table.get_by_role("button", name="来源").click()  # text in Chinese order: 本 (běn) before 批 (pī)
    sources = await table.locator("tbody td:nth-child(8)").all_inner_texts()
    assert sources == sorted(sources, key=lambda s: s != "本人申报") and sources[0] == "本人申报" != sources[-1]

    await page.set_viewport_size({"width": 390, "height": 844})
    assert not await table.locator("thead").is_visible()  # a phone: one card per record, each field labelled
    first = table.locator("tbody tr").first.locator("td[data-label=学时]")
    assert await first.is_visible()
    await page.screenshot(path=str(ARTIFACTS / "console-person-phone.png"))

    await page.goto(str(url("/admin/people")))
    await page.screenshot(path=str(ARTIFACTS / "console-people-phone.png"))
    await page.set_viewport_size({"width": 1366, "height": 768})
    await page.screenshot(path=str(ARTIFACTS / "console-people-desk.png"))
    assert await page.locator("th", has_text="微信").is_visible()
    assert "共 56 人，第 1/2 页" in await page.locator(".pages").inner_text()
    assert await page.locator("table.data tbody tr").count() == 50
    await page.get_by_role("link", name="下一页").click()
    assert await page.locator("table.data tbody tr").count() == 6
    await page.context.close()
