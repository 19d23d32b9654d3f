"""管理员备案 (附件3): every admin keeps their own filing up to date; region and province admins see the filings
in their scope, print each in the attachment's table and export the list as XLSX.

The fields are checked with the same patterns as the chat's binding dialog (handlers/admin_bind.py), so an
admin's filing means the same whichever way it was entered.
"""

import re
from datetime import datetime
from urllib.parse import quote

import aiohttp_jinja2
from aiohttp import web

from bot.console.auth import current_admin, path_id
from handlers.admin_bind import FIELDS, NO_VALUE
from handlers.chat import CHINA
from render.spreadsheet import Export
from storage.audit import console_read
from storage.filings import (
    FilingTooLong,
    export_filings,
    filing_in_scope,
    filing_unit,
    filings_in_scope,
    update_own_filing,
)
from storage.models import Admin, AdminRole
from storage.vocabulary import FILING_LABELS, ROLE_NAMES

routes = web.RouteTableDef()

SAVED = "备案信息已保存。"
UNCHANGED = "备案信息没有变化。"
FIX_BELOW = "请按提示修改后再保存。"
TOO_LONG = "内容过长。"
DUTIES = (
    "指导所属单位管理员及专业技术人员进行注册登记。",
    "审核本单位专业技术人员继续教育学时。",
    "制定并报备本单位年度专业技术人员培训计划。",
    "做好本单位专业技术人员继续教育信息查询、统计分析等工作。",
)
EXPORT_NAME = "管理员信息备案表.xlsx"
EXPORT_COLUMNS = (
    ("级别", lambda a, u: ROLE_NAMES[a.role]),
    ("所属地区", lambda a, u: u.region),
    ("单位名称", lambda a, u: u.name),
    ("行业类别", lambda a, u: u.industry),
    ("单位组织机构代码", lambda a, u: u.code),
    *((FILING_LABELS[field], lambda a, u, field=field: getattr(a, field)) for field, *_ in FIELDS),
)


def checked_filing(form) -> tuple[dict[str, str], dict[str, str]]:
    """The nine fields as typed (spaces tidied) and, per field, what is wrong with it."""
    values, problems = {}, {}
    for field, _question, pattern, problem, optional in FIELDS:
        answer = " ".join(str(form.get(field, "")).split())
        if optional and (not answer or answer in NO_VALUE):
            answer = ""
        elif not re.match(pattern, answer):
            problems[field] = problem
        values[field] = answer
    return values, problems


async def _page(
    request: web.Request,
    flash: list[str],
    values: dict[str, str] | None = None,
    problems: dict[str, str] | None = None,
) -> web.Response:
    admin = current_admin(request)
    me = await filing_in_scope(admin, admin.id)
    others = []
    if admin.role != AdminRole.UNIT:
        others = await filings_in_scope(admin)
        await console_read(admin, "filings", f"scope:{admin.id}")
    context = {
        "me": me,
        "unit": filing_unit(me),
        "values": values or {field: getattr(me, field) for field, *_ in FIELDS},
        "problems": problems or {},
        "fields": FIELDS,
        "filings": others,
        "filing_unit": filing_unit,
        "flash": flash,
    }
    return aiohttp_jinja2.render_template("admin/filing.html", request, context)


@routes.get("/admin/filings")
async def filings_page(request: web.Request) -> web.Response:
    return await _page(request, [])


@routes.post("/admin/filings")
async def update(request: web.Request) -> web.Response:
    values, problems = checked_filing(await request.post())
    if problems:
        return await _page(request, [], values, problems)
    try:
        _admin, changed = await update_own_filing(current_admin(request), values)
    except FilingTooLong as too_long:
        return await _page(request, [], values, {too_long.field: TOO_LONG})
    return await _page(request, [SAVED if changed else UNCHANGED])


@routes.get("/admin/filings/{id}/print")
@aiohttp_jinja2.template("admin/filing_print.html")
async def print_page(request: web.Request) -> dict:
    admin = current_admin(request)
    filed = await filing_in_scope(admin, path_id(request))
    if filed.id != admin.id:
        await console_read(admin, "filing", f"admin:{filed.id}")
    return {"filed": filed, "unit": filing_unit(filed), "duties": DUTIES}


def filings_xlsx(filings: list[Admin], now: datetime) -> bytes:
    export = Export()
    widths = (6, 12, 12, 30, 14, 22, 10, 6, 20, 14, 16, 16, 26, 8, 40)
    sheet = export.sheet("管理员备案", widths=widths[: len(EXPORT_COLUMNS) + 1], freeze="B2")
    sheet.header(["序号", *(title for title, _ in EXPORT_COLUMNS)])
    for number, filed in enumerate(filings, 1):
        unit = filing_unit(filed)
        sheet.append([number, *(str(value(filed, unit)) for _, value in EXPORT_COLUMNS)])
    sheet.append([])
    sheet.append([f"导出时间：{now.astimezone(CHINA):%Y-%m-%d %H:%M}"])
    return export.bytes()


@routes.get("/admin/filings/export.xlsx")
async def export(request: web.Request) -> web.Response:
    filings = await export_filings(current_admin(request))
    return web.Response(
        body=filings_xlsx(filings, datetime.now(CHINA)),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(EXPORT_NAME)}",
            "Cache-Control": "private, no-store",
        },
    )
