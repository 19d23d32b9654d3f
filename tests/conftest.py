"""Every test that touches the database runs twice: on SQLite and on PostgreSQL, over real connections.

PostgreSQL is reached at JXJY_TEST_POSTGRES (default: the local server, user postgres). Where none
answers, its half is skipped with a line saying so; under CI=true it is required.
"""

import asyncio
import contextlib
import functools
import os
import shutil
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.app import DELIVERER, make_app
from bot.devtools.chat_client import event_xml, media_xml, pushed_text, read_reply, sign, text_xml
from bot.devtools.fake_wechat import make_fake_wechat
from bot.keys import init_test_keys
from bot.settings import Settings
from storage.db import database, migrate_database
from storage.regions import load_regions
from tests.browser import chromium, phone  # noqa: F401  (fixtures for every test module)
from tests.domain import a_declaration, a_registered_person, a_unit, an_admin

POSTGRES_ADMIN_URL = os.environ.get("JXJY_TEST_POSTGRES", "postgres://postgres@127.0.0.1:5432/postgres")
TEST_DATABASE = f"jxjy_test_{os.getpid()}"
# Tencent's published sample key and app id; tests use them for safe mode throughout.
SAMPLE_AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
SAMPLE_APP_ID = "wx2c2769f8efd9abc2"
APP_SECRET = "test-app-secret"


def _postgres_url(database_name: str) -> str:
    return POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + "/" + database_name


async def _admin(statement: str) -> None:
    conn = await asyncpg.connect(POSTGRES_ADMIN_URL.replace("postgres://", "postgresql://", 1), timeout=5)
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


_postgres_problem: str | None = None


@functools.cache
def migrated_sqlite() -> Path:
    """A SQLite database the migrations made, once a session; each test gets a copy (migrating takes a fifth
    of a second, copying a millisecond)."""
    path = Path(tempfile.mkdtemp(prefix="jxjy-test-schema-")) / "migrated.sqlite3"
    asyncio.run(migrate_database(f"sqlite://{path}"))
    return path


def pytest_sessionstart(session: pytest.Session) -> None:
    global _postgres_problem
    migrated_sqlite()
    try:
        asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{TEST_DATABASE}"'))
        asyncio.run(_admin(f'CREATE DATABASE "{TEST_DATABASE}"'))
        asyncio.run(migrate_database(_postgres_url(TEST_DATABASE)))
    except (OSError, asyncpg.PostgresError, TimeoutError) as error:
        _postgres_problem = f"{type(error).__name__}: {error}"
        if os.environ.get("CI") == "true":
            raise pytest.UsageError(f"CI=true but PostgreSQL is unreachable at {POSTGRES_ADMIN_URL}: {error}") from None


@functools.cache
def keys_for_tests() -> dict[str, object]:
    """The settings of a test CA's signing certificate and a test QR key, made once a session by the code of
    `jxjy keys init`: a clean machine needs nothing made beforehand."""
    directory = Path(tempfile.mkdtemp(prefix="jxjy-test-keys-"))
    keys = {
        "signing_p12": directory / "signing.p12",
        "signing_p12_password": "test-password",
        "qr_signing_key": directory / "qr-ed25519.pem",
    }
    init_test_keys(keys["signing_p12"], keys["signing_p12_password"], keys["qr_signing_key"])
    return keys


def pytest_sessionfinish(session: pytest.Session) -> None:
    if keys_for_tests.cache_info().currsize:
        shutil.rmtree(keys_for_tests()["signing_p12"].parent, ignore_errors=True)
    if migrated_sqlite.cache_info().currsize:
        shutil.rmtree(migrated_sqlite().parent, ignore_errors=True)
    if _postgres_problem is None:
        asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{TEST_DATABASE}" WITH (FORCE)'))


def pytest_report_header(config: pytest.Config) -> str:
    if _postgres_problem:
        return f"PostgreSQL not reachable at {POSTGRES_ADMIN_URL} ({_postgres_problem}): PostgreSQL half SKIPPED"
    return f"PostgreSQL: {POSTGRES_ADMIN_URL} (test database {TEST_DATABASE}) and SQLite"


async def _empty_postgres(url: str) -> None:
    conn = await asyncpg.connect(url.replace("postgres://", "postgresql://", 1))
    try:
        tables = await conn.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'tortoise_migrations'"
        )
        if tables:
            names = ", ".join(f'"{row["tablename"]}"' for row in tables)
            await conn.execute(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
    finally:
        await conn.close()


DATABASES = ("sqlite", "postgres")


async def an_empty_database(kind: str, request: pytest.FixtureRequest, tmp_path) -> str:
    """The URL of an empty database of `kind`, its schema made by the migrations; skips where there is none."""
    if kind == "sqlite":
        if request.node.get_closest_marker("postgres_only"):
            pytest.skip("needs PostgreSQL's row locks and concurrent connections")
        shutil.copyfile(migrated_sqlite(), tmp_path / "jxjy.sqlite3")
        return f"sqlite://{tmp_path}/jxjy.sqlite3"
    if _postgres_problem:
        pytest.skip(f"PostgreSQL not reachable: {_postgres_problem}")
    url = _postgres_url(TEST_DATABASE)
    await _empty_postgres(url)
    return url


@pytest.fixture(params=DATABASES)
async def database_url(request: pytest.FixtureRequest, tmp_path) -> str:
    """An empty database of each kind."""
    return await an_empty_database(request.param, request, tmp_path)


def make_settings(database_url: str, **overrides) -> Settings:
    values = {
        "wechat_token": "testtoken",
        "wechat_aes_key": SAMPLE_AES_KEY,
        # Stories are told in plaintext for readability, with the key set so they can switch to safe mode;
        # test_envelope.py holds what compat and safe mode refuse.
        "wechat_encryption": "plain",
        "wechat_app_id": SAMPLE_APP_ID,
        "secret_key": "test-secret-key-0123456789",
        "database_url": database_url,
        "public_url": "https://jxjy.example.gov.cn",
        "wechat_app_secret": APP_SECRET,
        "outbox_poll_seconds": 0,  # tests deliver the outbox themselves, when the story says so
        **keys_for_tests(),
    } | overrides
    return Settings(_env_file=None, **values)


@dataclass
class Service:
    """The service as WeChat's servers see it: an HTTP endpoint taking signed POSTs; beside it the fake
    WeChat API it pushes notifications to."""

    client: TestClient
    settings: Settings
    fake: TestClient

    async def deliver(self, now=None) -> int:
        """One round of the outbox worker."""
        return await self.client.app[DELIVERER].run_once(now)

    async def pushed(self, openid: str) -> list[dict]:
        """What the fake WeChat API recorded as sent to this user, oldest first."""
        response = await self.fake.get("/_fake/sent", params={"openid": openid})
        return (await response.json())["messages"]

    async def pushed_texts(self, openid: str) -> list[str]:
        return [pushed_text(message) for message in await self.pushed(openid)]

    async def fault(self, **fault) -> None:
        response = await self.fake.post("/_fake/faults", json=fault)
        assert response.status == 200, await response.text()

    def user(self, openid: str, safe: bool = False) -> "WeChatUser":
        return WeChatUser(self, openid, safe)

    async def post(self, xml: str, safe: bool = False, timestamp: int | None = None):
        signed = sign(self.settings, xml, safe=safe, timestamp=timestamp)
        response = await self.client.post("/wechat", params=signed.query, data=signed.body.encode())
        return response, signed


@dataclass
class WeChatUser:
    service: Service
    openid: str
    safe: bool = False

    async def says(self, text: str, msg_id: int | None = None) -> str:
        return await self._exchange(text_xml(self.openid, text, msg_id=msg_id))

    async def clicks(self, key: str) -> str:
        return await self._exchange(event_xml(self.openid, "CLICK", key))

    async def subscribes(self) -> str:
        return await self._exchange(event_xml(self.openid, "subscribe"))

    async def sends(self, msg_type: str) -> str:
        return await self._exchange(media_xml(self.openid, msg_type))

    async def sends_image(self, media_id: str) -> str:
        return await self._exchange(media_xml(self.openid, "image", media_id=media_id))

    async def _exchange(self, xml: str) -> str:
        response, signed = await self.service.post(xml, safe=self.safe)
        assert response.status == 200, await response.text()
        return read_reply(self.service.settings, await response.text(), signed.query)


@asynccontextmanager
async def fake_wechat() -> AsyncIterator[TestClient]:
    fake = TestClient(TestServer(make_fake_wechat(SAMPLE_APP_ID, APP_SECRET)))
    await fake.start_server()
    try:
        yield fake
    finally:
        await fake.close()


@asynccontextmanager
async def running_service(settings: Settings, fake: TestClient | None = None) -> AsyncIterator[Service]:
    """Database open, reference data loaded, app served on a loopback port, the fake WeChat API beside it."""
    async with contextlib.AsyncExitStack() as stack:
        if fake is None:
            fake = await stack.enter_async_context(fake_wechat())
        settings = settings.model_copy(update={"wechat_api_url": str(fake.make_url("/"))})
        await stack.enter_async_context(database(settings.database_url))
        await load_regions()
        client = TestClient(TestServer(make_app(settings, with_database=False)))
        await client.start_server()
        stack.push_async_callback(client.close)
        yield Service(client, settings, fake)


@pytest.fixture
async def service(database_url: str) -> AsyncIterator[Service]:
    async with running_service(make_settings(database_url)) as running:
        yield running


@pytest.fixture
async def console_service(database_url):
    # Plain http on loopback: a Secure cookie would never come back over it.
    async with running_service(make_settings(database_url, public_url="http://127.0.0.1")) as service:
        yield service


@pytest.fixture
async def world(console_service):
    """Two units in Zhengzhou, one in Luoyang; an admin for each level; a person with a pending declaration."""
    home = await a_unit("郑州市第一人民医院", "410100")
    neighbour = await a_unit("郑州市中心医院", "410100")
    far = await a_unit("洛阳市中心医院", "410300")
    await an_admin("o_home", "unit", unit=home, name="本单位管理员")
    await an_admin("o_neighbour", "unit", unit=neighbour, name="邻单位管理员")
    await an_admin("o_zhengzhou", "region", region="410100", name="郑州市管理员")
    await an_admin("o_luoyang", "region", region="410300", name="洛阳市管理员")
    await an_admin("o_province", "province", name="省管理员")
    person = await a_registered_person("o_person", name="孙丽", unit=home)
    record = await a_declaration(person, hours="6")
    return {"home": home, "neighbour": neighbour, "far": far, "person": person, "record": record}
