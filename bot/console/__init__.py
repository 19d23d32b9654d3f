"""The admin console (H5): signed in from the chat, limited to the admin's scope on every request.

Each module holds one area of the console and its `routes`; storage/ does the scoped reading and writing (the
rule itself is storage/scope.py), so a page never decides who may see what.
"""

from collections.abc import Awaitable, Callable

import aiohttp_jinja2
from aiohttp import web

from bot.console import audit, auth, filings, follow_up, home, people, plans, query, review, seals, stats, tree
from bot.console.sessions import SESSIONS, SessionStore
from bot.settings import Settings
from storage.clock import local_date, local_time
from storage.vocabulary import (
    CATEGORY_NAMES,
    FILING_LABELS,
    PROVINCE_ISSUER,
    RECORD_STATUS_NAMES,
    ROLE_NAMES,
    SEAL_STATUS_NAMES,
    SOURCE_NAMES,
    hours_figure,
    scope_name,
)

SECTIONS = (auth, home, review, people, query, stats, follow_up, tree, seals, filings, plans, audit)

# The app reads at most max_body_bytes of a body (the WeChat endpoint's guard). These console forms carry more:
# a training plan's file, a batch of 5,000 numbers. (method, path) -> (allowance, what to say above it)
BODY_ALLOWANCES = {
    ("POST", plans.FILING_PATH): (plans.UPLOAD_LIMIT, plans.TOO_LARGE),
    ("POST", "/admin/query"): (2 * 2**20, "提交的号码过多：一次最多查询 5000 个。"),
    ("POST", "/admin/query/export.xlsx"): (2 * 2**20, "提交的号码过多：一次最多查询 5000 个。"),
    ("POST", tree.IMPORT_PATH): (2 * 2**20, "上传的表格过大：不能超过 2 MB，一次最多 5000 个单位。"),
}


def larger_bodies(default_limit: int) -> Callable:
    @web.middleware
    async def middleware(request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]):
        allowance = BODY_ALLOWANCES.get((request.method, request.path))
        if allowance is None:
            return await handler(request)
        limit, too_large = allowance
        try:
            return await handler(request.clone(client_max_size=max(default_limit, limit)))
        except web.HTTPRequestEntityTooLarge:
            context = {"heading": "提交的内容过大", "text": too_large}
            return aiohttp_jinja2.render_template("message.html", request, context, status=413)

    return middleware


def setup_console(app: web.Application, settings: Settings, sessions: SessionStore) -> None:
    # Outermost of all, before anything reads the body.
    app.middlewares.insert(0, larger_bodies(settings.max_body_bytes))
    app[SESSIONS] = sessions
    sessions.install(app)
    app.middlewares.append(auth.admin_gate(sessions))
    # templates read the signed-in admin and the CSRF token as the pages do: request[ADMIN], request[CSRF];
    # and what things are called from the one vocabulary, under the same names (ROLE_NAMES[a.role])
    aiohttp_jinja2.get_env(app).globals.update(
        scope_name=scope_name,
        hours_figure=hours_figure,
        local_time=local_time,
        local_date=local_date,
        CATEGORY_NAMES=CATEGORY_NAMES,
        SOURCE_NAMES=SOURCE_NAMES,
        RECORD_STATUS_NAMES=RECORD_STATUS_NAMES,
        ROLE_NAMES=ROLE_NAMES,
        SEAL_STATUS_NAMES=SEAL_STATUS_NAMES,
        FILING_LABELS=FILING_LABELS,
        PROVINCE_ISSUER=PROVINCE_ISSUER,
        ADMIN=auth.ADMIN,
        CSRF=auth.CSRF,
    )
    for section in SECTIONS:
        app.router.add_routes(section.routes)
