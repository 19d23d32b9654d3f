"""The admin console (H5): signed in from the chat, limited to the admin's scope on every request.

Each module holds one area of the console and its `routes`; storage/backoffice.py does the scoped reading and
writing, so a page never decides who may see what.
"""

import hashlib

import aiohttp_jinja2
import aiohttp_session
from aiohttp import web
from aiohttp_session.cookie_storage import EncryptedCookieStorage

from bot.backoffice import audit, auth, home, people, review
from bot.settings import Settings

SECTIONS = (auth, home, review, people, audit)


def setup_backoffice(app: web.Application, settings: Settings) -> None:
    # The cookie is encrypted and signed with a key derived from SECRET_KEY; it holds the admin's id only.
    key = hashlib.sha256(f"console:{settings.secret_key}".encode()).digest()
    storage = EncryptedCookieStorage(
        key,
        cookie_name="jxjy_console",
        httponly=True,
        secure=settings.public_url.startswith("https://"),
        samesite="Lax",
        path="/admin",
    )
    aiohttp_session.setup(app, storage)
    app.middlewares.append(auth.admin_gate(settings))
    aiohttp_jinja2.get_env(app).globals["scope_name"] = home.scope_name
    for section in SECTIONS:
        app.router.add_routes(section.routes)
