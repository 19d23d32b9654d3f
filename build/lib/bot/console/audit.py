"""The audit log, for the province's admins."""

import aiohttp_jinja2
from aiohttp import web

from bot.console.auth import current_admin
from storage.audit import audit_page
from storage.ids import as_number

routes = web.RouteTableDef()
PAGE = 100


@routes.get("/admin/audit")
@aiohttp_jinja2.template("admin/audit.html")
async def audit_log(request: web.Request) -> dict:
    offset = as_number(request.query.get("offset")) or 0
    action = request.query.get("action", "")[:32]
    entries = await audit_page(current_admin(request), action, offset, PAGE)
    return {"entries": entries, "action": action, "offset": offset, "page": PAGE}
