"""The audit log, for the province's admins: names in place of codes, Beijing time, each change field by field,
narrowed by actor, action, person and dates, a page at a time, and exported as a spreadsheet (itself audited)."""

import asyncio
from dataclasses import asdict
from datetime import UTC, date, datetime
from urllib.parse import urlencode

import aiohttp_jinja2
from aiohttp import web

from bot.console.auth import current_admin
from bot.console.paging import page_count
from bot.console.query import xlsx_response
from render.spreadsheet import Export
from storage.audit import AuditLine, AuditQuery, audit, audit_page, console_read, described, may_read_audit
from storage.clock import CHINA, local_time
from storage.ids import as_number, mask_id_numbers_in
from storage.vocabulary import AUDIT_ACTION_NAMES

routes = web.RouteTableDef()
PAGE = 50
EXPORT_AT_MOST = 10_000
NO_ID_NUMBERS = "请按姓名或证书管理号查找人员；为保护个人信息，请勿输入身份证号。"
BAD_DATE = "日期格式有误，请按“年-月-日”选择日期。"
DATES_REVERSED = "起始日期不能晚于截止日期。"
TOO_MANY = f"符合条件的记录超过 {EXPORT_AT_MOST} 条，请缩小日期范围后再导出。"


class Unreadable(Exception):
    """A filter that cannot be used, with the sentence saying why."""


def _date(text: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise Unreadable(BAD_DATE) from None


def _wanted(request: web.Request) -> tuple[AuditQuery, dict[str, str]]:
    """The filters of the query string, and as they are shown back (an ID number never is)."""
    typed = {key: request.query.get(key, "").strip() for key in ("actor", "action", "person", "from", "to")}
    # Looked for before the cut: cut first, a number's first 17 digits would pass (the 18th is their check).
    if mask_id_numbers_in(typed["person"]) != typed["person"] or mask_id_numbers_in(typed["actor"]) != typed["actor"]:
        raise Unreadable(NO_ID_NUMBERS)
    shown = {key: value[:50] for key, value in typed.items()}
    since, until = _date(shown["from"]), _date(shown["to"])
    if since and until and since > until:
        raise Unreadable(DATES_REVERSED)
    return AuditQuery(shown["actor"], shown["action"], shown["person"], since, until), shown


def _filters_said(wanted: AuditQuery) -> str:
    said = [
        f"操作人：{wanted.actor}" if wanted.actor else "",
        f"操作：{AUDIT_ACTION_NAMES.get(wanted.action, wanted.action)}" if wanted.action else "",
        f"人员：{wanted.person}" if wanted.person else "",
        f"日期：{wanted.since or '不限'} 至 {wanted.until or '不限'}" if wanted.since or wanted.until else "",
    ]
    return "；".join(part for part in said if part) or "全部"


def page_links(page: int, pages: int) -> list[int | None]:
    """1 … 4 5 [6] 7 8 … 20: the first, the last and two either side; None where pages are left out."""
    shown = sorted({1, pages, *range(max(1, page - 2), min(pages, page + 2) + 1)})
    links: list[int | None] = []
    for number in shown:
        if links and number - (links[-1] or 0) > 1:
            links.append(None)
        links.append(number)
    return links


@routes.get("/admin/audit")
async def audit_log(request: web.Request) -> web.Response:
    admin = current_admin(request)
    page = as_number(request.query.get("page"), 6) or 1
    context = {"actions": list(AUDIT_ACTION_NAMES.items()), "errors": []}
    try:
        wanted, shown = _wanted(request)
    except Unreadable as why:
        may_read_audit(admin)  # the province's alone, even when the filters are wrong
        context |= {"shown": dict.fromkeys(("actor", "action", "person", "from", "to"), ""), "lines": [], "total": 0}
        context |= {"errors": [str(why)], "page": 1, "pages": 1, "links": [], "query": ""}
        return aiohttp_jinja2.render_template("admin/audit.html", request, context, status=400)
    entries, total = await audit_page(admin, wanted, (page - 1) * PAGE, PAGE)
    await console_read(admin, "audit_log", "audit_log")  # the log names people too
    pages = page_count(total, PAGE)
    context |= {
        "shown": shown,
        "lines": await described(entries),
        "total": total,
        "page": page,
        "pages": pages,
        "links": page_links(page, pages),
        "query": urlencode({key: value for key, value in shown.items() if value}),
    }
    return aiohttp_jinja2.render_template("admin/audit.html", request, context)


@routes.get("/admin/audit/export.xlsx")
async def export(request: web.Request) -> web.Response:
    admin = current_admin(request)
    try:
        wanted, _ = _wanted(request)
    except Unreadable as why:
        may_read_audit(admin)
        return _message(request, 400, str(why))
    entries, total = await audit_page(admin, wanted, 0, EXPORT_AT_MOST)
    if total > EXPORT_AT_MOST:
        return _message(request, 400, TOO_MANY)
    lines = await described(entries)
    facts = {"rows": total, "filters": _filters_said(wanted)}
    await audit(f"admin:{admin.id}", "export:audit", "audit_log", after=facts)
    data = await asyncio.to_thread(audit_workbook, lines)
    return xlsx_response(data, f"审计日志-{datetime.now(UTC).astimezone(CHINA):%Y%m%d%H%M}.xlsx")


def _message(request: web.Request, status: int, text: str) -> web.Response:
    context = {"heading": "无法导出", "text": text}
    return aiohttp_jinja2.render_template("message.html", request, context, status=status)


def audit_workbook(lines: list[AuditLine]) -> bytes:
    """One row for each changed field (an entry without facts: one row), so a spreadsheet can filter by field."""
    export = Export()
    sheet = export.sheet("审计日志", widths=(20, 36, 20, 36, 16, 30, 30), freeze="A2")
    sheet.header(["时间（北京时间）", "操作人", "操作", "对象", "字段", "变更前", "变更后"])
    for line in lines:
        said = [local_time(line.at, seconds=True), line.actor, line.action, line.target]
        for change in line.changes or [None]:
            sheet.append(said + (list(asdict(change).values()) if change else ["", "", ""]))
    return export.bytes()
