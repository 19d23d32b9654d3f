"""年度培训计划: a unit admin files the unit's plan for a year (text and an optional file); region and province
admins see, for a year, which units in their scope have filed and which have not, and open any plan in scope."""

from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote, unquote

import aiohttp_jinja2
from aiohttp import web

from bot.console.auth import current_admin, path_id
from bot.console.paging import page_asked, page_count
from bot.settings import SETTINGS
from handlers.chat import CHINA
from storage.audit import console_read
from storage.filings import (
    PLAN_FILE_KINDS,
    PLAN_FILE_MAX_BYTES,
    PLAN_TEXT_LENGTH,
    PlanFile,
    PlanRefused,
    PlanRow,
    checked_plan_file,
    file_plan,
    plan_file_in_scope,
    plan_file_type,
    plan_in_scope,
    plan_overview,
    plans_of_own_unit,
)
from storage.ids import as_number
from storage.models import AdminRole
from storage.text import UNSAFE_TEXT

routes = web.RouteTableDef()

FILING_PATH = "/admin/plans"
# The form around the file (CSRF token, year, text) needs room too.
UPLOAD_LIMIT = PLAN_FILE_MAX_BYTES + 256 * 1024
PAGE_SIZE = 200  # units a list shows at once; a province has about 2,000
PROBLEMS = {
    "year": "年度应在 {first_year} 年至明年之间。",
    "text": f"请填写培训计划内容（{PLAN_TEXT_LENGTH[0]}–{PLAN_TEXT_LENGTH[1]} 字）。",
    "file_name": UNSAFE_TEXT,
    "file_type": "附件只能是 PDF、Word（DOC/DOCX）、Excel（XLSX）或图片（PNG/JPG）文件。",
    "file_size": f"附件不能超过 {PLAN_FILE_MAX_BYTES // (1024 * 1024)} MB。",
    "file_empty": "附件是空文件，请重新选择。",
}
FILED = "{year} 年度培训计划已报备。"
REFILED = "{year} 年度培训计划已更新（替换原报备内容）。"
TOO_LARGE = "上传的文件过大：附件不能超过 5 MB。请压缩或拆分后重试。"
INLINE_TYPES = {"application/pdf", "image/png", "image/jpeg"}  # shown in the phone's browser; the rest download


def _this_year() -> int:
    return datetime.now(CHINA).year


def _first_year(request: web.Request) -> int:
    """Plans are filed from the year the notice's pilot began."""
    return request.app[SETTINGS].pilot_start.year


def _year(text: str | None, first_year: int) -> int:
    year = as_number(text, 4)
    return year if year and first_year <= year <= _this_year() + 1 else _this_year()


async def _page(request: web.Request, flash: list[str], errors: list[str] | None = None, form: dict | None = None):
    admin = current_admin(request)
    year = _year(request.query.get("year"), _first_year(request))
    context = {
        "year": year,
        "years": list(range(_this_year() + 1, _first_year(request) - 1, -1)),
        "flash": flash,
        "errors": errors or [],
        "form": form or {"year": _this_year(), "text": ""},
        "accept": ",".join(PLAN_FILE_KINDS),
        "own": await plans_of_own_unit(admin),
        "filed": Listing([], 0, 1, 1),
        "missing": Listing([], 0, 1, 1),
    }
    if admin.role != AdminRole.UNIT:
        rows = await plan_overview(admin, year)
        filed, missing = [r for r in rows if r.plan_id], [r for r in rows if not r.plan_id]
        for name, chosen in (("filed", filed), ("missing", missing)):
            context[name] = Listing.of(chosen, request.query.get(f"{name}_page"))
    return aiohttp_jinja2.render_template("admin/plan.html", request, context)


@dataclass(frozen=True)
class Listing:
    """One page of a list of units, with the list's full length for the tally."""

    rows: list[PlanRow]
    total: int
    page: int
    pages: int

    @classmethod
    def of(cls, rows: list[PlanRow], page_text: str | None) -> "Listing":
        pages = page_count(len(rows), PAGE_SIZE)
        page = page_asked(page_text, pages)
        return cls(rows[(page - 1) * PAGE_SIZE : page * PAGE_SIZE], len(rows), page, pages)


@routes.get("/admin/plans")
async def plans_page(request: web.Request) -> web.Response:
    return await _page(request, [])


@routes.post(FILING_PATH)
async def file(request: web.Request) -> web.Response:
    form = await request.post()
    text = str(form.get("text", ""))
    year_text = str(form.get("year", "")).strip()
    shown = {"year": as_number(year_text, 4) or _this_year(), "text": text}
    upload = form.get("file")
    try:
        checked = None
        if isinstance(upload, web.FileField) and upload.filename:
            # Browsers send the name as UTF-8; some clients percent-encode it (RFC 7578, 4.2): read both alike.
            name = unquote(upload.filename)
            checked = checked_plan_file(name, upload.file.read(PLAN_FILE_MAX_BYTES + 1))
        if as_number(year_text, 4) is None:
            raise PlanRefused("year")
        plan, replaced = await file_plan(
            current_admin(request),
            int(year_text),
            text,
            checked,
            form.get("remove_file") == "1",
            datetime.now(CHINA).date(),
            datetime.now(UTC),
            request.app[SETTINGS].pilot_start,
        )
    except PlanRefused as refused:
        problem = PROBLEMS[refused.why].format(first_year=_first_year(request))
        return await _page(request, [], [problem], shown)
    raise web.HTTPSeeOther(f"/admin/plans/{plan.id}?{'refiled' if replaced else 'filed'}=1")


@routes.get("/admin/plans/{id}")
@aiohttp_jinja2.template("admin/plan_view.html")
async def plan_page(request: web.Request) -> dict:
    admin = current_admin(request)
    plan = await plan_in_scope(admin, path_id(request))
    await console_read(admin, "training_plan", f"training_plan:{plan.id}")
    flash = []
    if request.query.get("filed"):
        flash.append(FILED.format(year=plan.year))
    elif request.query.get("refiled"):
        flash.append(REFILED.format(year=plan.year))
    size = len(plan.file_data) if plan.file_data else 0
    return {"plan": plan, "file_size": size, "flash": flash}


@routes.get("/admin/plans/{id}/file")
async def plan_file(request: web.Request) -> web.Response:
    found: PlanFile | None = await plan_file_in_scope(current_admin(request), path_id(request))
    if found is None:
        raise web.HTTPNotFound(text="该培训计划没有附件")
    kind = plan_file_type(found.name)
    disposition = "inline" if kind in INLINE_TYPES else "attachment"
    return web.Response(
        body=found.data,
        content_type=kind,
        headers={
            "Content-Disposition": f"{disposition}; filename*=UTF-8''{quote(found.name)}",
            "Cache-Control": "private, no-store",
            "X-Content-Type-Options": "nosniff",
            # An uploaded file is the sender's content, not ours: no scripts, no same-origin powers.
            "Content-Security-Policy": "sandbox",
        },
    )
