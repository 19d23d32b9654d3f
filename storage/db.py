"""Opening the database: one Tortoise context per process (or per test), on a schema the migrations made."""

import asyncio
from collections.abc import AsyncIterator, Coroutine
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import asyncpg
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.backends.base.config_generator import expand_db_url
from tortoise.connection import get_connections
from tortoise.context import TortoiseContext

from storage import schema
from storage.models import HoursPolicy

MODELS = ["storage.models"]
MIGRATIONS = "storage.migrations"

# National rule (人社部令第25号): 90 hours a year, 专业科目 at least two thirds.
DEFAULT_TOTAL_HOURS = 90
DEFAULT_PROFESSIONAL_MIN_HOURS = 60


def connection_label(url: str) -> str:
    # Distinct labels per backend: Tortoise caches the SQL dialect per label, and tests use both.
    return "postgres" if url.startswith("postgres") else "sqlite"


# `?reset_on_release=1` on a PostgreSQL URL restores asyncpg's session reset after every statement (see below).
RESET_ON_RELEASE = "reset_on_release"


class SessionKeepingConnection(asyncpg.Connection):
    """A pooled connection handed back without asyncpg's reset statement (`SELECT pg_advisory_unlock_all();
    CLOSE ALL; UNLISTEN *; RESET ALL`), which costs a round trip after every statement the ORM runs.

    Safe because nothing here leaves session state behind: no SET outside a transaction, no advisory locks,
    LISTEN or cursors WITH HOLD (transaction-scoped state ends with its transaction). An open transaction is
    still rolled back on release: asyncpg does that apart from the reset statement.
    """

    def get_reset_query(self) -> str:
        return ""


def _connection(url: str) -> str | dict:
    if not url.startswith("postgres"):
        return url
    parts = urlsplit(url)
    params = dict(parse_qsl(parts.query))
    reset = params.pop(RESET_ON_RELEASE, "").lower() in ("1", "true", "yes", "on")
    config = expand_db_url(urlunsplit(parts._replace(query=urlencode(params))))
    if not reset:
        config["credentials"]["connection_class"] = SessionKeepingConnection
    return config


def tortoise_config(url: str) -> dict:
    label = connection_label(url)
    return {
        "connections": {label: _connection(url)},
        "apps": {"models": {"models": MODELS, "default_connection": label, "migrations": MIGRATIONS}},
        "use_tz": True,
        "timezone": "UTC",
    }


@asynccontextmanager
async def _connected(url: str) -> AsyncIterator[dict]:
    if url.startswith("sqlite://") and url != "sqlite://:memory:":
        Path(url.removeprefix("sqlite://")).parent.mkdir(parents=True, exist_ok=True)
    config = tortoise_config(url)
    async with TortoiseContext() as ctx:
        await ctx.init(config=config)
        yield config["apps"]


@asynccontextmanager
async def database(url: str) -> AsyncIterator[None]:
    """Connect, refuse a database behind the code (SchemaBehind: run `jxjy db migrate`), add missing reference
    rows, and stay connected inside the block."""
    async with _connected(url) as apps:
        await schema.check_current(current_connection(), apps)
        await _ensure_default_policy()
        yield


async def migrate_database(url: str) -> list[str]:
    """Apply the pending migrations (adopting a database made before migrations); returns their names."""
    async with _connected(url) as apps:
        return await schema.migrate(current_connection(), apps)


async def schema_status(url: str) -> schema.Status:
    async with _connected(url) as apps:
        return await schema.status(current_connection(), apps)


async def make_migrations(name: str = "") -> list[str]:
    """Write the migrations that bring storage/migrations up to the models; returns the files written."""
    async with TortoiseContext() as ctx:
        config = tortoise_config("sqlite://:memory:")  # the models are compared with the migrations, not a database
        await ctx.init(config=config)
        return [str(writer.write()) for writer in await schema.unrecorded_changes(ctx.apps, config["apps"], name)]


async def _ensure_default_policy() -> None:
    if not await HoursPolicy.filter(year=None, region_code=None).exists():
        await HoursPolicy.create(total_hours=DEFAULT_TOTAL_HOURS, professional_min_hours=DEFAULT_PROFESSIONAL_MIN_HOURS)


def current_database() -> object:
    """Identifies the open database (its connection handler), for caches that must not cross databases."""
    return get_connections()


def current_connection() -> BaseDBAsyncClient:
    """The one connection of the active context (for the few statements the ORM cannot say)."""
    handler = get_connections()
    return handler.get(next(iter(handler.db_config)))


async def fetch(sql: str, *params: object) -> list[dict]:
    """A raw statement, written with ? placeholders (PostgreSQL gets $1, $2 …).

    For the hot paths only: building a query through the ORM costs several times the query itself.
    """
    conn = current_connection()
    if conn.capabilities.dialect == "postgres":
        first, *rest = sql.split("?")
        sql = first + "".join(f"${i}{part}" for i, part in enumerate(rest, 1))
    return await conn.execute_query_dict(sql, list(params))


T = TypeVar("T")


async def in_own_context(work: Coroutine[Any, Any, T]) -> T:
    """One round of a long-lived background loop, run as a task of its own. Tortoise keeps the open transaction
    in a context variable; a transaction that a lost connection cut off midway (PostgreSQL restarted) can leave it
    set, and a loop running in that context would begin every later round inside the dead transaction."""
    return await asyncio.create_task(work)


async def is_healthy() -> bool:
    try:
        await current_connection().execute_query("SELECT 1")
    except Exception:
        return False
    return True
