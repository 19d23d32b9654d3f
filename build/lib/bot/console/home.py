"""The console's first page: what is waiting in the admin's scope."""

import aiohttp_jinja2
from aiohttp import web

from bot.console.auth import current_admin
from storage.models import Admin, AdminRole
from storage.scope import scope_summary
from storage.vocabulary import PROVINCE_NAME, ROLE_NAMES

routes = web.RouteTableDef()


def scope_name(admin: Admin) -> str:
    if admin.role == AdminRole.UNIT and admin.unit:
        return f"{ROLE_NAMES[admin.role]} · {admin.unit.name}"
    if admin.role == AdminRole.REGION and admin.region:
        return f"{ROLE_NAMES[admin.role]} · {admin.region.name}"
    return f"{ROLE_NAMES[admin.role]} · {PROVINCE_NAME}"


@routes.get("/admin/")
@aiohttp_jinja2.template("admin/home.html")
async def home(request: web.Request) -> dict:
    summary = await scope_summary(current_admin(request))
    return {"pending": summary.pending, "people": summary.people, "units": summary.units}
