"""单位与管理员: region and province admins manage their own tree — add units one at a time or from a table, correct
a unit's name or region, invite admins (a code and a QR code to scan in WeChat) and remove them. storage/tree.py
keeps every step within the admin's scope and audits it."""

import asyncio
import base64
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp_jinja2
from aiohttp import web

from bot.console.auth import current_admin, path_id
from bot.console.paging import page_count
from bot.settings import SETTINGS
from bot.wechat.api import MAX_QRCODE_SECONDS, WECHAT_API, WeChatApiError, WeChatApiUnavailable
from handlers.admin_bind import SCENE_PREFIX
from handlers.spreadsheets import TableLimits, TableRefused, UnreadableTable, read_table
from render.qr import qr_png
from storage.ids import as_number
from storage.models import AdminInvite, AdminRole
from storage.regions import PROVINCE_CODE, all_regions
from storage.tree import (
    LISTED_AT_MOST,
    AdminRemovalRefused,
    ImportRefused,
    UnitLine,
    UnitRefused,
    add_unit_managed,
    admin_managed,
    admins_managed,
    correct_unit,
    import_units,
    invite_managed,
    regions_for_units,
    remove_admin,
    unit_managed,
    units_listed,
)

routes = web.RouteTableDef()
UNITS_PATH = "/admin/units"
IMPORT_PATH = "/admin/units/import"
ADMINS_PATH = "/admin/admins"
IMPORT_LIMITS = TableLimits(rows=5_001, columns=10, cell_chars=200)
UPLOAD_SUFFIXES = (".xlsx", ".csv")
IMPORT_HEADER = ("单位名称", "统一社会信用代码", "地区", "行业类别")

UNIT_PROBLEMS = {
    "name": "单位名称应为 2–100 个字，且不含控制字符。",
    "code": "统一社会信用代码不正确：应为 18 位，且校验位正确。",
    "region": "请选择单位所在的地区（地区代码或名称）。",
    "region_scope": "该地区不在您的管理范围内。",
    "industry": "行业类别最多 50 个字。",
    "duplicate": "该统一社会信用代码已登记为“{name}”。",
    "repeated": "统一社会信用代码与{name}重复。",
}
ADDED = "已添加单位：{name}。"
IMPORTED = "已导入 {count} 个单位。"
IMPORT_NOTHING = "表格中没有单位。请按表头填写：" + "、".join(IMPORT_HEADER) + "（行业类别可空）。"
IMPORT_BAD_FILE = "只能上传 XLSX 或 CSV 表格文件。"
IMPORT_REFUSED = "没有导入任何单位：以下 {count} 行需要修改后重新上传。"
CORRECTED = "单位信息已保存。"
UNCHANGED = "单位信息没有变化。"
INVITED = (
    "邀请码已生成：{code}（{hours} 小时内有效，仅可使用一次）。"
    "请被邀请人用微信扫描下方二维码，或向服务号发送“绑定管理员 {code}”。"
)
NO_QR = "（暂时无法生成二维码：{error}。可使用邀请码。）"
REMOVED = "已解除 {name} 的管理员身份，其管理后台登录已全部失效。"
REMOVAL_PROBLEMS = {"self": "不能解除自己的管理员身份。", "removed": "该管理员已被解除。"}
INVITE_PROBLEM = "请选择被邀请管理员的单位或地区。"


async def _region_choices(request: web.Request) -> list[tuple[str, str]]:
    admin = current_admin(request)
    return [(r.code, "省直单位" if r.code == PROVINCE_CODE else r.name) for r in await regions_for_units(admin)]


# --- units ------------------------------------------------------------------------------------------------------


async def _units_page(
    request: web.Request, flash: list[str], errors: list[str] | None = None, form: dict | None = None, status=200
) -> web.Response:
    admin = current_admin(request)
    text = request.query.get("q", "")[:100]
    page = max(as_number(request.query.get("page", ""), 6) or 1, 1)
    units, total = await units_listed(admin, text, (page - 1) * LISTED_AT_MOST)
    context = {
        "units": units,
        "total": total,
        "q": text,
        "page": page,
        "pages": page_count(total, LISTED_AT_MOST),
        "regions": await _region_choices(request),
        "flash": flash,
        "errors": errors or [],
        "form": form or {},
        "header": IMPORT_HEADER,
    }
    return aiohttp_jinja2.render_template("admin/units.html", request, context, status=status)


@routes.get(UNITS_PATH)
async def units_page(request: web.Request) -> web.Response:
    return await _units_page(request, [])


def _problem(refused: UnitRefused) -> str:
    return UNIT_PROBLEMS[refused.why].format(name=refused.name)


@routes.post(UNITS_PATH)
async def add_unit(request: web.Request) -> web.Response:
    form = await request.post()
    name, code, region, industry = (str(form.get(k, "")) for k in ("name", "code", "region", "industry"))
    line = UnitLine(0, name, code, region, industry)
    try:
        unit = await add_unit_managed(current_admin(request), line)
    except UnitRefused as refused:
        shown = {k: str(form.get(k, "")) for k in ("name", "code", "region", "industry")}
        return await _units_page(request, [], [_problem(refused)], shown, status=400)
    return await _units_page(request, [ADDED.format(name=unit.name)])


def unit_lines(rows: list[list[str]], region_codes: dict[str, str]) -> list[UnitLine]:
    """The table's lines after its header (a first row naming the columns is skipped); a region may be given by
    its code or its name."""
    lines = []
    for number, row in enumerate(rows, 1):
        cells = [*row, "", "", "", ""][:4]
        if number == 1 and cells[0].strip() == IMPORT_HEADER[0]:
            continue
        if not any(cell.strip() for cell in cells):
            continue
        region = cells[2].strip()
        lines.append(UnitLine(number, cells[0], cells[1], region_codes.get(region, region), cells[3]))
    return lines


@routes.post(IMPORT_PATH)
async def import_table(request: web.Request) -> web.Response:
    form = await request.post()
    upload = form.get("file")
    if not isinstance(upload, web.FileField) or Path(upload.filename or "").suffix.lower() not in UPLOAD_SUFFIXES:
        return await _units_page(request, [], [IMPORT_BAD_FILE], status=400)
    suffix = Path(upload.filename).suffix.lower()
    try:
        rows = await asyncio.to_thread(read_table, upload.file.read(), suffix, IMPORT_LIMITS)
    except UnreadableTable:
        return await _units_page(request, [], [IMPORT_BAD_FILE], status=400)
    except TableRefused as refused:
        return await _units_page(request, [], [str(refused)], status=400)
    names = {r.name: r.code for r in await all_regions()}
    lines = unit_lines(rows, names)
    if not lines:
        return await _units_page(request, [], [IMPORT_NOTHING], status=400)
    try:
        count = await import_units(current_admin(request), lines)
    except ImportRefused as refused:
        errors = [IMPORT_REFUSED.format(count=len(refused.problems))]
        errors += [f"第 {line} 行：{_problem(problem)}" for line, problem in refused.problems]
        return await _units_page(request, [], errors, status=400)
    return await _units_page(request, [IMPORTED.format(count=count)])


@routes.get(UNITS_PATH + "/{id}")
async def unit_page(request: web.Request) -> web.Response:
    unit = await unit_managed(current_admin(request), path_id(request))
    return await _unit_page(request, unit, [])


async def _unit_page(request, unit, flash: list[str], errors: list[str] | None = None, status=200) -> web.Response:
    context = {"unit": unit, "regions": await _region_choices(request), "flash": flash, "errors": errors or []}
    return aiohttp_jinja2.render_template("admin/unit.html", request, context, status=status)


@routes.post(UNITS_PATH + "/{id}")
async def correct(request: web.Request) -> web.Response:
    admin = current_admin(request)
    unit = await unit_managed(admin, path_id(request))
    form = await request.post()
    try:
        corrected = await correct_unit(admin, unit.id, str(form.get("name", "")), str(form.get("region", "")))
    except UnitRefused as refused:
        return await _unit_page(request, unit, [], [_problem(refused)], status=400)
    changed = corrected.name != unit.name or corrected.region_id != unit.region_id
    return await _unit_page(request, corrected, [CORRECTED if changed else UNCHANGED])


# --- admins -----------------------------------------------------------------------------------------------------


async def _admins_page(
    request: web.Request, flash: list[str], errors: list[str] | None = None, invite: dict | None = None, status=200
) -> web.Response:
    admin = current_admin(request)
    units, _ = await units_listed(admin)  # the first page by name: more are reached by the unit's own page
    context = {
        "admins": await admins_managed(admin),
        "regions": [(code, name) for code, name in await _region_choices(request) if code != PROVINCE_CODE],
        "units": units,
        "chosen_unit": as_number(request.query.get("unit", ""), 9),
        "flash": flash,
        "errors": errors or [],
        "invite": invite,
    }
    return aiohttp_jinja2.render_template("admin/admins.html", request, context, status=status)


@routes.get(ADMINS_PATH)
async def admins_page(request: web.Request) -> web.Response:
    return await _admins_page(request, [])


@routes.post(ADMINS_PATH + "/invite")
async def invite(request: web.Request) -> web.Response:
    admin, settings = current_admin(request), request.app[SETTINGS]
    form = await request.post()
    role_text = str(form.get("role", ""))
    if role_text not in {r.value for r in AdminRole}:
        return await _admins_page(request, [], [INVITE_PROBLEM], status=400)
    role = AdminRole(role_text)
    unit_id = as_number(str(form.get("unit", "")), 9)
    if role == AdminRole.UNIT and unit_id is None:
        return await _admins_page(request, [], [INVITE_PROBLEM], status=400)
    hours = settings.admin_invite_hours
    created = await invite_managed(
        admin, role, unit_id, str(form.get("region", ""))[:6], datetime.now(UTC), timedelta(hours=hours)
    )
    return await _admins_page(request, [], invite=await _shown_invite(request, created, hours))


async def _shown_invite(request: web.Request, created: AdminInvite, hours: int) -> dict:
    """The code, and the QR code WeChat makes for it (a temporary scene code), drawn here as an image."""
    shown = {"text": INVITED.format(code=created.code, hours=hours), "qr": "", "problem": ""}
    try:
        seconds = min(hours * 3600, MAX_QRCODE_SECONDS)
        _ticket, url = await request.app[WECHAT_API].create_qrcode(SCENE_PREFIX + created.code, seconds)
        shown["qr"] = base64.b64encode(qr_png(url, 6)).decode()
    except (WeChatApiError, WeChatApiUnavailable) as error:
        shown["problem"] = NO_QR.format(error=error)
    return shown


@routes.post(ADMINS_PATH + "/{id}/remove")
async def remove(request: web.Request) -> web.Response:
    admin = current_admin(request)
    form = await request.post()
    admin_id = path_id(request)
    if form.get("confirm") != "1":
        context = {"confirm": await admin_managed(admin, admin_id)}
        return aiohttp_jinja2.render_template("admin/admin_remove.html", request, context)
    try:
        removed = await remove_admin(admin, admin_id)
    except AdminRemovalRefused as refused:
        return await _admins_page(request, [], [REMOVAL_PROBLEMS[refused.why]], status=400)
    return await _admins_page(request, [REMOVED.format(name=removed.name)])
