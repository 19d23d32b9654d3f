"""Review on the console: the pending list with filters, the evidence photo, approve or reject several at once.

Decisions go through the same storage call as the chat's, so the rules and notifications are the same. A batch is
checked whole before anything is decided: one record the admin may not decide refuses the batch, and the page
comes back with the same records ticked and the same reason typed. Approving asks first, on a page of its own
that names each record (so it works without script).
"""

from collections.abc import Sequence
from datetime import UTC, datetime
from urllib.parse import urlencode

import aiohttp_jinja2
from aiohttp import web

from bot.console.auth import current_admin, path_id
from bot.console.paging import page_count
from handlers.refusals import No, say
from handlers.review import UNDECIDABLE, undecided
from storage.audit import console_read
from storage.declarations import decide, pending_for_console, record_in_scope, records_to_decide
from storage.errors import OutOfScope
from storage.ids import as_number
from storage.models import Category, HourRecord
from storage.scope import units_in_scope
from storage.vocabulary import CATEGORY_NAMES, hours_figure

routes = web.RouteTableDef()
MAX_AT_ONCE = 100
PAGE_SIZE = 50  # oldest first: deciding a page brings the next up

NOTHING_CHOSEN = "请先勾选要处理的申报。"
NO_ACTION = "请选择“通过所选”或“驳回所选”。"
BATCH_REFUSED = "以上原因，所选的 {count} 条申报均未处理。请取消勾选这些申报后重试。"


def _int(value: str | None) -> int | None:
    return as_number(value)


async def _listing(
    request: web.Request,
    flash: Sequence[str] = (),
    errors: Sequence[str] = (),
    chosen_ids: Sequence[int] = (),
    reason: str = "",
    status: int = 200,
) -> web.Response:
    """The pending list; after a refusal with the records still ticked and the reason as it was typed."""
    admin = current_admin(request)
    unit_id, year = _int(request.query.get("unit")), _int(request.query.get("year"))
    category = request.query.get("category") if request.query.get("category") in {c.value for c in Category} else None
    page = max(_int(request.query.get("page")) or 1, 1)
    records, total = await pending_for_console(admin, unit_id, year, category, PAGE_SIZE, (page - 1) * PAGE_SIZE)
    if not records and page > 1:  # past the end (the queue got shorter, or a hand-typed number): the last page
        page = page_count(total, PAGE_SIZE)
        records, total = await pending_for_console(admin, unit_id, year, category, PAGE_SIZE, (page - 1) * PAGE_SIZE)
    await console_read(admin, "pending_list", f"scope:{admin.id}")
    filters = {"unit": unit_id or "", "year": year or "", "category": category or ""}
    context = {
        "records": records,
        "total": total,
        "page": page,
        "pages": page_count(total, PAGE_SIZE),
        "filters": urlencode({key: value for key, value in filters.items() if value}),
        "units": await units_in_scope(admin, limit=500),
        "chosen": {"unit": unit_id, "year": year, "category": category},
        "flash": list(flash),
        "errors": list(errors),
        "ticked": set(chosen_ids),
        "reason": reason,
    }
    return aiohttp_jinja2.render_template("admin/review.html", request, context, status=status)


@routes.get("/admin/review")
async def review_page(request: web.Request) -> web.Response:
    return await _listing(request)


def record_line(record: HourRecord) -> str:
    """#12 孙丽 · 郑州市第一人民医院 · 2026 年专业科目 · 急诊医学进展 · 6 学时"""
    return (
        f"#{record.id} {record.person.name} · {record.person.unit.name} · {record.year} 年"
        f"{CATEGORY_NAMES[record.category]} · {record.course} · {hours_figure(record.hours)} 学时"
    )


@routes.post("/admin/review")
async def decide_several(request: web.Request) -> web.Response:
    admin = current_admin(request)
    form = await request.post()
    ids = list(dict.fromkeys(n for value in form.getall("ids", []) if (n := as_number(value))))[:MAX_AT_ONCE]
    action = form.get("action")
    reason = str(form.get("reason", "")).strip()[:200]
    if form.get("back"):  # 返回修改 on the confirmation page
        return await _listing(request, chosen_ids=ids, reason=reason)
    problem = NOTHING_CHOSEN if not ids else NO_ACTION if action not in ("approve", "reject") else None
    if problem is None and action == "reject" and not reason:
        problem = say(No.REASON_REQUIRED)
    if problem:
        return await _listing(request, errors=[problem], chosen_ids=ids, reason=reason, status=400)
    records, refused = await records_to_decide(admin, ids)
    if refused:
        lines = [undecided(record_id, why) for record_id, why in refused.items()]
        lines.append(BATCH_REFUSED.format(count=len(ids)))
        status = 403 if any(isinstance(why, OutOfScope) for why in refused.values()) else 400
        return await _listing(request, errors=lines, chosen_ids=ids, reason=reason, status=status)
    approve = action == "approve"
    if approve and form.get("confirm") != "1":
        return _confirmation(request, records, reason)
    flash, errors = [], []
    for record in records:
        try:
            await decide(admin, record.id, approve, reason, datetime.now(UTC))
            flash.append(f"#{record.id} {record.person.name} 已{'通过' if approve else '驳回'}")
        except UNDECIDABLE as why:
            errors.append(undecided(record.id, why))
    return await _listing(request, flash, errors)


def _confirmation(request: web.Request, records: list[HourRecord], reason: str) -> web.Response:
    context = {
        "heading": "确认通过",
        "question": f"确认通过以下 {len(records)} 条学时申报？",
        "items": [record_line(record) for record in records],
        "note": "通过后学时即计入本人年度学时，并通知申报人。",
        "action": request.path_qs,
        "fields": [("action", "approve"), ("reason", reason)] + [("ids", record.id) for record in records],
        "confirm_label": f"确认通过 {len(records)} 条",
        "back_label": "返回修改",
    }
    return aiohttp_jinja2.render_template("admin/confirm.html", request, context)


@routes.get("/admin/review/{id}/evidence")
async def evidence(request: web.Request) -> web.Response:
    admin = current_admin(request)
    record = await record_in_scope(admin, path_id(request))
    if not record.evidence:
        raise web.HTTPNotFound(text="证明材料尚未取回或未上传")
    await console_read(admin, "evidence", f"hour_record:{record.id}")
    image = bytes(record.evidence)
    kind = "image/png" if image.startswith(b"\x89PNG") else "image/jpeg"
    return web.Response(body=image, content_type=kind, headers={"Cache-Control": "private, no-store"})
