"""Headers every response carries: what the browser may load, frame and send on, and what it may keep."""

from importlib.resources import files

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


def client_address(request: web.Request, trusted_proxies: list[str]) -> str:
    """Who sent the request: behind our own reverse proxy, the address it saw (the last X-Forwarded-For hop)."""
    peer = request.remote or "unknown"
    forwarded = request.headers.get("X-Forwarded-For", "")
    if peer in trusted_proxies and forwarded:
        return forwarded.split(",")[-1].strip()
    return peer


def add_static_files(app: web.Application) -> None:
    app.router.add_static(STATIC_PATH, str(files("bot.web") / "static"), append_version=False)
