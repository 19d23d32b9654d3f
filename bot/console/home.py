"""The console's first page: what is waiting in the admin's scope."""

import aiohttp_jinja2
from aiohttp import web

from bot.console.auth import current_admin
from storage.scope import scope_summary

routes = web.RouteTableDef()


@routes.get("/admin/")
@aiohttp_jinja2.template("admin/home.html")
async def home(request: web.Request) -> dict:
    summary = await scope_summary(current_admin(request))
    return {"pending": summary.pending, "people": summary.people, "units": summary.units}
