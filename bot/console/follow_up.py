"""未达标人员 (HR follow-up): for a year, the people in a unit or region who have not met the requirement, what each
still needs, an XLSX export, and a reminder to them in WeChat (the count shown and confirmed before sending).
storage/follow_up.py decides who is behind and who may be reminded."""

import asyncio
from datetime import UTC, datetime

import aiohttp_jinja2
from aiohttp import web

from bot.console.auth import current_admin
from bot.console.paging import page_asked, page_count
from bot.console.query import xlsx_response
from bot.console.stats import year_asked
from handlers.chat import CHINA
from handlers.reminders import missing_words
from render.spreadsheet import Export
from storage.audit import audit, console_read
from storage.follow_up import Behind, Where, checked_where, people_behind, send_reminders
from storage.ids import as_number
from storage.models import AdminRole
from storage.regions import PROVINCE_CODE, all_regions
from storage.scope import units_in_scope
from storage.summary import cap_notes
from storage.vocabulary import scope_name

routes = web.RouteTableDef()
PATH = "/admin/follow-up"
PAGE_SIZE = 50
SENT = "已向 {count} 人发送学时提醒。"
NOTHING_TO_SEND = "没有可提醒的人员：名单中的人员均未绑定微信，或 7 天内已提醒过。"
CHOOSE = "请先选择地区或单位。"


async def _where(request: web.Request, values) -> Where:
    unit = as_number(str(values.get("unit", "")), 9)
    return await checked_where(current_admin(request), str(values.get("region", ""))[:6], unit)


def _query(year: int, where: Where) -> str:
    parts = [f"year={year}"]
    if where.unit_id:
        parts.append(f"unit={where.unit_id}")
    elif where.region_code:
        parts.append(f"region={where.region_code}")
    return "&".join(parts)


async def _page(request: web.Request, values, flash: list[str], confirm: bool = False) -> web.Response:
    admin = current_admin(request)
    year, where = year_asked(values.get("year")), await _where(request, values)
    behind = await people_behind(admin, year, where, datetime.now(UTC))
    if where.chosen:
        await console_read(admin, "follow_up", _query(year, where))
    pages = page_count(len(behind), PAGE_SIZE)
    page = page_asked(values.get("page"), pages)
    regions = []
    if admin.role == AdminRole.PROVINCE:
        regions = sorted((r.code, "省直单位" if r.code == PROVINCE_CODE else r.name) for r in await all_regions())
    units = []
    if admin.role != AdminRole.UNIT and where.region_code:
        units = await units_in_scope(admin, where.region_code)
    this_year = datetime.now(CHINA).year
    context = {
        "year": year,
        "years": range(this_year, this_year - 8, -1),
        "where": where,
        "query": _query(year, where),
        "regions": regions,
        "units": units,
        "rows": behind[(page - 1) * PAGE_SIZE : page * PAGE_SIZE],
        "cap_note": cap_notes(b.hours for b in behind),
        "total": len(behind),
        "reachable": sum(1 for b in behind if b.can_be_reminded),
        "page": page,
        "pages": pages,
        "flash": flash,
        "confirm": confirm,
        "missing": lambda b: missing_words(b.hours.missing_total, b.hours.missing_professional),
        "choose": CHOOSE if not where.chosen else "",
        "china": CHINA,
    }
    return aiohttp_jinja2.render_template("admin/follow_up.html", request, context)


@routes.get(PATH)
async def follow_up_page(request: web.Request) -> web.Response:
    return await _page(request, request.query, [])


@routes.post(PATH + "/remind")
async def remind(request: web.Request) -> web.Response:
    """First press: the page again, asking to confirm with the count; with confirm=1, the reminders go."""
    form = await request.post()
    if form.get("confirm") != "1":
        return await _page(request, form, [], confirm=True)
    admin = current_admin(request)
    year, where = year_asked(form.get("year")), await _where(request, form)
    if not where.chosen:
        return await _page(request, form, [CHOOSE])
    count = await send_reminders(admin, year, where, datetime.now(UTC))
    return await _page(request, form, [SENT.format(count=count) if count else NOTHING_TO_SEND])


@routes.get(PATH + "/export.xlsx")
async def export(request: web.Request) -> web.Response:
    admin = current_admin(request)
    year, where = year_asked(request.query.get("year")), await _where(request, request.query)
    behind = await people_behind(admin, year, where, datetime.now(UTC))
    await audit(f"admin:{admin.id}", "export:follow_up", _query(year, where), after={"rows": len(behind)})
    data = await asyncio.to_thread(follow_up_workbook, year, behind, scope_name(admin))
    return xlsx_response(data, f"未达标人员-{year}.xlsx")


def follow_up_workbook(year: int, behind: list[Behind], scope: str) -> bytes:
    export = Export()
    sheet = export.sheet(f"{year}年度未达标", widths=(12, 20, 30, 12, 12, 12, 12, 12, 40, 18), freeze="A2")
    sheet.header(
        ["姓名", "证书管理号", "单位", "公需科目", "专业科目", "合计学时", "计入学时", "年度要求", "尚需", "最近提醒"]
    )
    for b in behind:
        reminded = f"{b.reminded_at.astimezone(CHINA):%Y-%m-%d %H:%M}" if b.reminded_at else ""
        sheet.append(
            [
                b.name,
                b.cert_number,
                b.unit,
                b.hours.public,
                b.hours.professional,
                b.hours.total,
                b.hours.counted,
                b.hours.policy.total_hours,
                missing_words(b.hours.missing_total, b.hours.missing_professional),
                reminded,
            ]
        )
    about = export.sheet("说明")
    about.append(["年度", year])
    about.append(["范围", scope])
    about.append(["导出时间", f"{datetime.now(CHINA):%Y-%m-%d %H:%M}"])
    if note := cap_notes(b.hours for b in behind):
        about.append([f"计入学时：{note}。"])
    return export.bytes()
