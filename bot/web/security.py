"""Headers every response carries: what the browser may load, frame and send on, and what it may keep."""

import logging
from collections.abc import Awaitable, Callable
from importlib.resources import files
from ipaddress import IPv6Address, ip_address, ip_network

import aiohttp_jinja2
from aiohttp import web

from handlers import urls

STATIC_PATH = "/static"
# Scripts only from our own files (no inline script, no handler attributes); styles may be inline.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
# Pages with personal data (the console, the holder's certificate) are never kept by a browser or a proxy.
PRIVATE_PREFIXES = (urls.CONSOLE_HOME.rstrip("/"), urls.HOLDER_PAGE.split("{", 1)[0])


async def add_security_headers(request: web.Request, response: web.StreamResponse) -> None:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)  # a download may set a stricter one
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "no-referrer")
    headers.setdefault("X-Frame-Options", "DENY")
    if request.path.startswith(PRIVATE_PREFIXES):
        headers["Cache-Control"] = "no-store"


log = logging.getLogger(__name__)
BUSY = ("系统繁忙", "服务暂时繁忙，请稍后再试。您的操作没有完成，也没有造成任何改动。")


@web.middleware
async def calm_failures(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """A page that fails (the database or Redis away) answers with a calm page, never a bare 500 with aiohttp's
    English text; what failed goes to the log. The WeChat endpoint answers its own failures in WeChat's terms."""
    try:
        return await handler(request)
    except web.HTTPException:
        raise
    except Exception:
        log.exception("%s %s failed", request.method, request.path)
        heading, text = BUSY
        return aiohttp_jinja2.render_template("message.html", request, {"heading": heading, "text": text}, status=503)


def client_address(request: web.Request, trusted_proxies: list[str]) -> str:
    """Who sent the request: behind our own reverse proxy, the address it saw (the last X-Forwarded-For hop)."""
    peer = request.remote or "unknown"
    forwarded = request.headers.get("X-Forwarded-For", "")
    if peer in trusted_proxies and forwarded:
        return forwarded.split(",")[-1].strip()
    return peer


def client_key(request: web.Request, trusted_proxies: list[str]) -> str:
    """Whom a rate limit counts: the client's address, or for IPv6 its /64, which one subscriber is given whole
    (each of its addresses is not another client)."""
    address = client_address(request, trusted_proxies)
    try:
        parsed = ip_address(address)
    except ValueError:
        return address
    if isinstance(parsed, IPv6Address):
        if parsed.ipv4_mapped is not None:  # ::ffff:203.0.113.9 is 203.0.113.9
            return str(parsed.ipv4_mapped)
        return str(ip_network(f"{parsed}/64", strict=False))
    return str(parsed)


def add_static_files(app: web.Application) -> None:
    app.router.add_static(STATIC_PATH, str(files("bot.web") / "static"), append_version=False)
