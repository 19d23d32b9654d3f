"""The aiohttp application: the WeChat endpoint, a health check, and the database for its lifetime."""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import aiohttp_jinja2
import jinja2
from aiohttp import web

from bot.console import setup_console
from bot.settings import Settings
from bot.web.pages import Pages
from bot.web.security import add_security_headers, add_static_files
from bot.wechat.api import WeChatApi
from bot.wechat.delivery import Deliverer
from bot.wechat.endpoint import WeChatEndpoint
from bot.wechat.gate import RetryGate
from storage.db import database, is_healthy
from storage.dialogs import purge_idle_dialogs

log = logging.getLogger(__name__)

SETTINGS = web.AppKey("settings", Settings)
DIALOG_GRACE = timedelta(days=1)
DELIVERER = web.AppKey("deliverer", Deliverer)


def make_app(settings: Settings, with_database: bool = True) -> web.Application:
    """`with_database=False` when the caller has opened the database already (tests, benchmarks)."""
    app = web.Application(client_max_size=settings.max_body_bytes)
    app[SETTINGS] = settings
    gate = RetryGate()
    endpoint = WeChatEndpoint(settings, gate)
    app.router.add_get("/wechat", endpoint.verify)
    app.router.add_post("/wechat", endpoint.receive)
    app.router.add_get("/healthz", healthz)
    aiohttp_jinja2.setup(
        app,
        loader=jinja2.ChoiceLoader(
            [jinja2.PackageLoader("bot.web", "templates"), jinja2.PackageLoader("bot.console", "templates")]
        ),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        context_processors=[aiohttp_jinja2.request_processor],
    )
    Pages(settings).add_routes(app)
    add_static_files(app)
    app.on_response_prepare.append(add_security_headers)
    setup_console(app, settings)
    if with_database:
        app.cleanup_ctx.append(_database(settings))
    app.cleanup_ctx.append(_purging_idle_dialogs(settings))
    app.cleanup_ctx.append(_delivering_outbox(settings))
    app.on_shutdown.append(lambda _app: gate.drain())
    return app


async def healthz(request: web.Request) -> web.Response:
    if await is_healthy():
        return web.json_response({"status": "ok"})
    return web.json_response({"status": "database unavailable"}, status=503)


def _database(settings: Settings):
    async def context(app: web.Application) -> AsyncIterator[None]:
        async with database(settings.database_url):
            yield

    return context


def _purging_idle_dialogs(settings: Settings):
    """Half-finished dialogs hold personal data (an ID number, say): drop them a day after they expired.

    Not at once: a user who comes back after 40 minutes should still be told their dialog expired, which
    the dialog's own row is needed for.
    """

    async def context(app: web.Application) -> AsyncIterator[None]:
        async def purge_forever() -> None:
            keep = timedelta(minutes=settings.dialog_idle_minutes) + DIALOG_GRACE
            while True:
                try:
                    await purge_idle_dialogs(datetime.now(UTC) - keep)
                except Exception:
                    log.exception("purging idle dialogs failed")
                await asyncio.sleep(600)

        task = asyncio.create_task(purge_forever())
        yield
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    return context


def _delivering_outbox(settings: Settings):
    """The outbox worker, in the service's own process; with outbox_poll_seconds=0 nobody polls (tests)."""

    async def context(app: web.Application) -> AsyncIterator[None]:
        api = WeChatApi(settings.wechat_api_url, settings.wechat_app_id, settings.wechat_app_secret)
        app[DELIVERER] = Deliverer(api, settings)
        task = asyncio.create_task(app[DELIVERER].run_forever()) if settings.outbox_poll_seconds > 0 else None
        yield
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await api.close()

    return context
