"""Signing in from the chat (a one-time link, no passwords), the session's idle expiry, CSRF, and the gate
every console request passes."""

import secrets
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import aiohttp_jinja2
from aiohttp import web
from yarl import URL

from bot.console.sessions import SESSIONS, SessionStore
from bot.settings import SETTINGS
from handlers import urls
from storage.admins import admin_by_id
from storage.console_links import LinkUnusable, console_link_usable, redeem_console_link
from storage.errors import OutOfScope
from storage.ids import as_number
from storage.models import Admin
from storage.scope import scope_key
from storage.text import UNSAFE_TEXT, is_safe_text

routes = web.RouteTableDef()
OPEN_PATHS = (urls.CONSOLE_SIGN_IN.removesuffix("{token}"),)


ADMIN = web.RequestKey("admin", Admin)  # the signed-in admin, set by the gate for every console page
CSRF = web.RequestKey("csrf", str)


def current_admin(request: web.Request) -> Admin:
    return request[ADMIN]


def path_id(request: web.Request, name: str = "id") -> int:
    """The number in a page's path (/admin/seal/{id}); 0, which names nothing, when it is not a number, so the
    scoped lookup answers as for any id it cannot find."""
    return as_number(request.match_info[name]) or 0


def _page(request: web.Request, status: int, heading: str, text: str) -> web.Response:
    return aiohttp_jinja2.render_template("message.html", request, {"heading": heading, "text": text}, status=status)


SIGN_IN_AGAIN = "请在服务号发送“后台”，点击收到的链接登录。链接 {minutes} 分钟内有效，只能使用一次。"


def sign_in_again(request: web.Request) -> str:
    return SIGN_IN_AGAIN.format(minutes=request.app[SETTINGS].console_link_minutes)


def link_spent(request: web.Request) -> str:
    return "该登录链接已使用过或已过期。" + sign_in_again(request)


def admin_gate(sessions: SessionStore) -> Callable:
    @web.middleware
    async def gate(request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]):
        if not request.path.startswith("/admin") or request.path.startswith(OPEN_PATHS):
            return await handler(request)
        session = await sessions.current(request)
        if session is None:
            return _page(request, 401, "请重新登录", sign_in_again(request))
        admin = await admin_by_id(session.admin_id)
        # removed (the row stays, its WeChat account unbound), or their scope changed since
        if admin is None or admin.openid is None or scope_key(admin) != session.scope:
            await sessions.end(request)
            return _page(request, 401, "请重新登录", sign_in_again(request))
        if not all(is_safe_text(value) for value in request.query.values()):
            return _page(request, 400, "无法查询", UNSAFE_TEXT)
        if request.method == "POST":
            form = await request.post()
            if not secrets.compare_digest(str(form.get("csrf", "")), session.csrf):
                return _page(request, 403, "请求已失效", "页面已过期，请返回刷新后重试。")
            # every typed field of every form passes the one text check before any page sees it
            if not all(is_safe_text(value) for value in form.values() if isinstance(value, str)):
                return _page(request, 400, "无法提交", UNSAFE_TEXT)
        await sessions.touch(request)
        request[ADMIN] = admin
        request[CSRF] = session.csrf
        try:
            return await handler(request)
        except OutOfScope:
            return _page(request, 403, "无权访问", "该内容不在您的管理范围内。")

    return gate


@routes.get(urls.CONSOLE_SIGN_IN)
async def sign_in_page(request: web.Request) -> web.StreamResponse:
    """Opening the link spends nothing (link previewers and HEAD requests open it too): a button does."""
    if not await console_link_usable(request.match_info["token"], datetime.now(UTC)):
        return _page(request, 403, "链接已失效", link_spent(request))
    return aiohttp_jinja2.render_template("admin/sign_in.html", request, {})


@routes.post(urls.CONSOLE_SIGN_IN)
async def login(request: web.Request) -> web.StreamResponse:
    if not _same_origin(request):
        return _page(request, 403, "请求已失效", "请从服务号收到的链接打开管理后台。")
    try:
        admin = await redeem_console_link(request.match_info["token"], datetime.now(UTC))
    except LinkUnusable:
        return _page(request, 403, "链接已失效", link_spent(request))
    await request.app[SESSIONS].begin(request, admin.id, csrf=secrets.token_urlsafe(24), scope=scope_key(admin))
    raise web.HTTPSeeOther(urls.CONSOLE_HOME)


def _same_origin(request: web.Request) -> bool:
    """A sign-in form posted from another site is refused (login CSRF); browsers send Origin with a POST."""
    origin = request.headers.get("Origin")
    return origin is None or origin == "null" or URL(origin).host == request.host.split(":")[0]


@routes.post("/admin/logout")
async def logout(request: web.Request) -> web.StreamResponse:
    await request.app[SESSIONS].end(request)
    return _page(request, 200, "已退出", "您已退出管理后台。")
