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
from bot.console.sessions import DatabaseSessionStore
from bot.keys import Keys, load_keys
from bot.redis_state import (
    RedisNonceMemory,
    RedisRateLimiter,
    RedisReplyCache,
    RedisRetryGate,
    RedisTokenStore,
    RedisUserLocks,
    connect,
)
from bot.settings import SETTINGS, Settings
from bot.web.pages import Pages
from bot.web.security import add_security_headers, add_static_files, calm_failures
from bot.wechat.api import WECHAT_API, MemoryTokenStore, TokenStore, WeChatApi
from bot.wechat.delivery import Deliverer
from bot.wechat.endpoint import WeChatEndpoint
from bot.wechat.gate import Gate, MemoryNonceMemory, MemoryReplyCache, MemoryUserLocks, RetryGate
from handlers.chat import JourneyConfig
from handlers.ratelimit import MemoryRateLimiter, RateLimiter, VerifyLimits
from handlers.urls import Urls
from storage.console_sessions import purge_idle_sessions
from storage.db import database, in_own_context, is_healthy
from storage.dialogs import DatabaseDialogStore, DialogStore
from storage.processed import purge_processed

log = logging.getLogger(__name__)

DIALOG_GRACE = timedelta(days=1)
PROCESSED_KEPT = timedelta(days=1)  # WeChat retries within seconds; a day covers any restart in between
DELIVERER = web.AppKey("deliverer", Deliverer)
OUTBOX_STOP_SECONDS = 15.0  # on shutdown, how long the row being delivered may take to finish
WORKER = web.AppKey("worker", int)  # this process's number, when several serve one port (`serve --workers`)


def make_app(settings: Settings, with_database: bool = True, keys: Keys | None = None) -> web.Application:
    """`with_database=False` when the caller has opened the database already (tests, benchmarks).

    The keys are read from the files settings name unless given; a missing, unreadable or expired one raises
    KeyProblem, so nothing starts that would issue unsigned certificates.

    The one place that chooses where state lives (`State`); dialogs and console sessions are in the database.
    """
    keys = keys or load_keys(settings)
    app = web.Application(client_max_size=settings.max_body_bytes)
    app[SETTINGS] = settings
    state = State(settings)
    if state.redis is None:
        log.info("single process: no REDIS_URL (retry replies, locks, limits and the access_token live in memory)")
    else:
        app.on_cleanup.append(lambda _app: state.close())
    gate = state.gate
    dialogs = DatabaseDialogStore(idle=timedelta(minutes=settings.dialog_idle_minutes))
    limiter = state.limiter
    # Failed verifications per client, in the chat ("chat:<openid>") and on the page (the IP address); in the
    # chat also per number looked up and in all.
    failed_verifications = limiter("verify", settings.verify_limit_per_minute)
    verify_limits = VerifyLimits(
        per_account=failed_verifications,
        per_number=limiter("verify-number", settings.verify_failures_per_number_per_minute),
        total=limiter("verify-all", settings.verify_failures_total_per_minute),
    )
    journeys = JourneyConfig(
        dialog_idle_minutes=settings.dialog_idle_minutes,
        paper_certificates_void_after=settings.paper_certificates_void_after,
        urls=Urls(settings.public_url),
        secret_key=settings.secret_key,
        holder_link_days=settings.holder_link_days,
        verify_limits=verify_limits,
        console_link_minutes=settings.console_link_minutes,
        rebind_limiter_per_account=limiter("rebind-account", settings.rebind_attempts_per_account_hour, 3600),
        rebind_limiter_per_id_number=limiter("rebind-id-number", settings.rebind_attempts_per_id_number_hour, 3600),
        invite_limiter=limiter("invite", settings.invite_failures_per_account_hour, 3600),
        dialogs=dialogs,
    )
    sessions = DatabaseSessionStore(
        idle_seconds=settings.console_idle_minutes * 60, secure=settings.public_url.startswith("https://")
    )
    endpoint = WeChatEndpoint(settings, gate, journeys)
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
    Pages(settings, verify_limits, keys).add_routes(app)
    add_static_files(app)
    app.on_response_prepare.append(add_security_headers)
    app.middlewares.append(calm_failures)
    setup_console(app, settings, sessions)
    if with_database:
        app.cleanup_ctx.append(_database(settings))
    app.cleanup_ctx.append(_purging_idle_dialogs(settings, dialogs))
    app.cleanup_ctx.append(_delivering_outbox(settings, state.tokens))
    app.on_shutdown.append(lambda _app: gate.drain())
    return app


class State:
    """Where the state of messages in flight, rate limits and the access_token lives: in this process, or with
    REDIS_URL in Redis, shared by every process of the service (tests/contracts/ holds what either must do)."""

    def __init__(self, settings: Settings) -> None:
        remembered = remembered_seconds(settings)
        self.redis = connect(settings.redis_url) if settings.redis_url else None
        self._prefix = settings.redis_prefix
        self.gate: Gate
        self.tokens: TokenStore
        if self.redis is None:
            self.gate = RetryGate(
                MemoryReplyCache(ttl_seconds=remembered),
                MemoryUserLocks(),
                MemoryNonceMemory(ttl_seconds=remembered),
            )
            self.tokens = MemoryTokenStore()
        else:
            redis, prefix = self.redis, settings.redis_prefix
            self.gate = RedisRetryGate(
                RedisReplyCache(redis, prefix, ttl_seconds=remembered),
                RedisUserLocks(redis, prefix),
                RedisNonceMemory(redis, prefix, ttl_seconds=remembered),
            )
            self.tokens = RedisTokenStore(redis, f"{prefix}token:{settings.wechat_app_id}:")

    def limiter(self, name: str, limit: int, window_seconds: float = 60.0) -> RateLimiter:
        if self.redis is None:
            return MemoryRateLimiter(limit, window_seconds)
        return RedisRateLimiter(self.redis, f"{self._prefix}limit:{name}:", limit, window_seconds)

    async def close(self) -> None:
        if self.redis is not None:
            await self.redis.aclose()


def remembered_seconds(settings: Settings) -> float:
    """How long a message's reply and its URL's nonce are kept: as long as its timestamp is accepted, on
    either side of our clock, so an identical replay is answered from memory and never runs again."""
    return 2 * settings.signature_max_age_seconds + 60


async def healthz(request: web.Request) -> web.Response:
    if await is_healthy():
        worker = request.app.get(WORKER)
        return web.json_response({"status": "ok"} if worker is None else {"status": "ok", "worker": worker})
    return web.json_response({"status": "database unavailable"}, status=503)


def _database(settings: Settings):
    async def context(app: web.Application) -> AsyncIterator[None]:
        async with database(settings.database_url):
            yield

    return context


def _purging_idle_dialogs(settings: Settings, dialogs: DialogStore):
    """Half-finished dialogs hold personal data (an ID number, say): drop them a day after they expired;
    idle console sessions as soon as they expire.

    Not at once: a user who comes back after 40 minutes should still be told their dialog expired, which
    the dialog's own row is needed for.
    """

    async def context(app: web.Application) -> AsyncIterator[None]:
        async def purge(keep: timedelta) -> None:
            await dialogs.purge_idle(datetime.now(UTC) - keep)
            await purge_idle_sessions(datetime.now(UTC) - timedelta(minutes=settings.console_idle_minutes))
            await purge_processed(datetime.now(UTC) - PROCESSED_KEPT)

        async def purge_forever() -> None:
            keep = timedelta(minutes=settings.dialog_idle_minutes) + DIALOG_GRACE
            while True:
                try:
                    await in_own_context(purge(keep))
                except Exception:
                    log.exception("purging idle dialogs failed")
                await asyncio.sleep(600)

        task = asyncio.create_task(purge_forever())
        yield
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    return context


def _delivering_outbox(settings: Settings, tokens: TokenStore):
    """The outbox worker, in the service's own process; with outbox_poll_seconds=0 nobody polls (tests)."""

    async def context(app: web.Application) -> AsyncIterator[None]:
        api = WeChatApi(settings.wechat_api_url, settings.wechat_app_id, settings.wechat_app_secret, tokens=tokens)
        app[WECHAT_API] = api
        app[DELIVERER] = Deliverer(api, settings)
        task = asyncio.create_task(app[DELIVERER].run_forever()) if settings.outbox_poll_seconds > 0 else None
        yield
        if task is not None:
            app[DELIVERER].stop()
            try:
                await asyncio.wait_for(task, OUTBOX_STOP_SECONDS)
            except TimeoutError:  # WeChat hangs: the row's lease hands it to the next worker
                log.warning("outbox delivery did not stop within %s s; cancelled", OUTBOX_STOP_SECONDS)
        await api.close()

    return context
