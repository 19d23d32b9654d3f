"""Opening the database: one Tortoise context per process (or per test), schema created on the way in."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.connection import get_connections
from tortoise.context import TortoiseContext

from storage.models import HoursPolicy

MODELS = ["storage.models"]

# National rule (人社部令第25号): 90 hours a year, 专业科目 at least two thirds.
DEFAULT_TOTAL_HOURS = 90
DEFAULT_PROFESSIONAL_MIN_HOURS = 60


def connection_label(url: str) -> str:
    # Distinct labels per backend: Tortoise caches the SQL dialect per label, and tests use both.
    return "postgres" if url.startswith("postgres") else "sqlite"


def tortoise_config(url: str) -> dict:
    label = connection_label(url)
    return {
        "connections": {label: url},
        "apps": {"models": {"models": MODELS, "default_connection": label}},
        "use_tz": True,
        "timezone": "UTC",
    }


@asynccontextmanager
async def database(url: str) -> AsyncIterator[None]:
    """Connect, create missing tables and reference rows, and stay connected inside the block."""
    if url.startswith("sqlite://") and url != "sqlite://:memory:":
        Path(url.removeprefix("sqlite://")).parent.mkdir(parents=True, exist_ok=True)
    async with TortoiseContext() as ctx:
        await ctx.init(config=tortoise_config(url))
        await ctx.generate_schemas(safe=True)
        await _ensure_default_policy()
        yield


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


async def is_healthy() -> bool:
    try:
        await current_connection().execute_query("SELECT 1")
    except Exception:
        return False
    return True
