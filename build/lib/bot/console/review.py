"""Review on the console: the pending list with filters, the evidence photo, approve or reject several at once.

Decisions go through the same storage call as the chat's, so the rules and notifications are the same.
"""

from datetime import UTC, datetime

import aiohttp_jinja2
from aiohttp import web

from bot.console.auth import current_admin
from handlers.refusals import No, say
from handlers.review import UNDECIDABLE, undecided
from storage.audit import console_read
from storage.declarations import decide, pending_for_console, record_in_scope
from storage.ids import as_number
from storage.models import Category
from storage.scope import units_in_scope
from storage.vocabulary import CATEGORY_NAMES

routes = web.RouteTableDef()
MAX_AT_ONCE = 100


def _int(value: str | None) -> int | None:
    return as_number(value)


async def _listing(request: web.Request, flash: list[str]) -> web.Response:
    admin = current_admin(request)
    unit_id, year = _int(request.query.get("unit")), _int(request.query.get("year"))
    category = request.query.get("category") if request.query.get("category") in {c.value for c in Category} else None
    records = await pending_for_console(admin, unit_id, year, category)
    await console_read(admin, "pending_list", f"scope:{admin.id}")
    context = {
        "records": records,
        "units": await units_in_scope(admin, limit=500),
        "chosen": {"unit": unit_id, "year": year, "category": category},
        "categories": CATEGORY_NAMES,
        "flash": flash,
    }
    return aiohttp_jinja2.render_template("admin/review.html", request, context)


@routes.get("/admin/review")
async def review_page(request: web.Request) -> web.Response:
    return await _listing(request, [])


@routes.post("/admin/review")
async def decide_several(request: web.Request) -> web.Response:
    admin = current_admin(request)
    form = await request.post()
    ids = [number for value in form.getall("ids", []) if (number := as_number(value))][:MAX_AT_ONCE]
    approve = form.get("action") == "approve"
    reason = str(form.get("reason", "")).strip()[:200]
    if not ids:
        return await _listing(request, ["请先勾选要处理的申报。"])
    if not approve and not reason:
        return await _listing(request, [say(No.REASON_REQUIRED)])
    flash = []
    for record_id in ids:
        try:
            await decide(admin, record_id, approve, reason, datetime.now(UTC))
            flash.append(f"#{record_id} 已{'通过' if approve else '驳回'}")
        except UNDECIDABLE as why:
            flash.append(undecided(record_id, why))
    return await _listing(request, flash)


@routes.get("/admin/review/{id}/evidence")
async def evidence(request: web.Request) -> web.Response:
    admin = current_admin(request)
    record = await record_in_scope(admin, as_number(request.match_info["id"]) or 0)
    if not record.evidence:
        raise web.HTTPNotFound(text="证明材料尚未取回或未上传")
    await console_read(admin, "evidence", f"hour_record:{record.id}")
    image = bytes(record.evidence)
    kind = "image/png" if image.startswith(b"\x89PNG") else "image/jpeg"
    return web.Response(body=image, content_type=kind, headers={"Cache-Control": "private, no-store"})
