"""Provincial scale: the same measurements on 10,000 people and on a province (1,000,000 people by default).

For each size, one run creates a PostgreSQL database on the local server (jxjy_scale), migrates it, loads with
generate_series 2,000 units over the 29 regions, the people, and one hour record per person and year over eight
years (a few pending, a few rejected, some transferred from paper), fills person_year as `jxjy db
rebuild-summaries` would, starts `jxjy serve` on it and measures:

- the 学时 lookup over the full webhook path (signed plaintext messages from distinct people, 50 connections);
- the console's landing page, review page and the chat's 待审, at province scope;
- the batch query of 5,000 ID numbers and of 5,000 certificate numbers, each with its export;
- the statistics page and its export, province-wide and for one region.

Each console measurement is the slowest of --repeat runs, the first use included. The table compares the two
sizes against the targets: the lookup's req/s and p99 within 20 % of the small one's, the pages and 待审 within
100 ms, the batch queries and the statistics within 1 s.

    PYTHONPATH=. .venv/bin/python bench/scale.py                    # or: make bench-scale
    PYTHONPATH=. .venv/bin/python bench/scale.py --people 200000    # a smaller province

Exits non-zero only when a request failed or the benchmark crashed; missed targets are printed.
"""

import argparse
import asyncio
import contextlib
import itertools
import os
import random
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import aiohttp
import asyncpg
from yarl import URL

from bench.webhook import Server, drive
from bot.devtools.chat_client import read_reply, sign, text_xml
from bot.keys import init_test_keys
from bot.settings import Settings
from handlers.chat import CHINA
from storage.admins import add_admin, resolve_scope
from storage.db import current_connection, database, migrate_database
from storage.models import AdminRole
from storage.regions import load_regions
from storage.summary_store import fill_sql

ROOT = Path(__file__).resolve().parents[1]
ADMIN_URL = os.environ.get("JXJY_SCALE_POSTGRES", "postgres://postgres@127.0.0.1:5432/postgres")
DATABASE = "jxjy_scale"
SMALL = 10_000
UNITS = 2_000
YEARS = 8
BATCH = 5_000
REGION = "410100"  # 郑州市: the region measured alone
TOKEN = "scaletoken"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
APP_ID = "wx2c2769f8efd9abc2"
SECRET_KEY = "scale-secret-key-0123456789"
ADMIN_OPENID = "o_scale_province_admin"
LINK = re.compile(r"(https?://\S+/admin/login/\S+)")
CSRF = re.compile(r'name="csrf" value="([^"]+)"')

LOOKUP_TOLERANCE = 0.20  # the province's lookup within 20 % of the small one's, req/s and p99
PAGE_MS = 100.0
QUERY_MS = 1000.0


def url_of(name: str) -> str:
    return ADMIN_URL.rsplit("/", 1)[0] + "/" + name


async def admin_sql(sql: str, url: str = ADMIN_URL) -> None:
    conn = await asyncpg.connect(url.replace("postgres://", "postgresql://", 1))
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


# --- Loading ------------------------------------------------------------------------------------------------------

# GB 11643's check character, for ID numbers made in SQL.
ID_CHECK = """
CREATE FUNCTION scale_id_check(first17 text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT substr('10X98765432', (SUM(substr(first17, k, 1)::int
    * (ARRAY[7,9,10,5,8,4,2,1,6,3,7,9,10,5,8,4,2])[k]) % 11)::int + 1, 1)
  FROM generate_series(1, 17) k
$$
"""


def load_sql(people: int, first_year: int) -> list[str]:
    """Units over every region, people spread over the units, one record per person and year."""
    last_year = first_year + YEARS - 1
    return [
        ID_CHECK,
        f"""INSERT INTO unit (name, credit_code, region_id, industry, is_demo, created_at)
            SELECT '单位' || u, '12410000MB' || lpad(u::text, 8, '0'), r.code, '', false, now()
            FROM generate_series(0, {UNITS - 1}) u
            JOIN (SELECT code, row_number() OVER (ORDER BY code) - 1 AS n FROM region) r
              ON r.n = u % (SELECT COUNT(*) FROM region)""",
        # id_number: 410105, a birth date, a sequence; cert_number: region, year, serial (unique pairs of both).
        f"""INSERT INTO person (name, id_number, cert_number, unit_id, openid, registered_at)
            SELECT '学员' || i,
                   f17 || scale_id_check(f17),
                   u.region_id || (2018 + i / 500000)::text || lpad((i % 500000)::text, 6, '0'),
                   u.id,
                   'o_scale_' || i,
                   timestamptz '{first_year - 1}-03-01 08:00+08' + (i % 3000) * interval '1 day'
            FROM (SELECT i, '410105' || to_char(date '1960-01-01' + i / 1000, 'YYYYMMDD')
                            || lpad((i % 1000)::text, 3, '0') AS f17
                  FROM generate_series(0, {people - 1}) i) g
            JOIN unit u ON u.id = (SELECT MIN(id) FROM unit) + g.i % {UNITS}""",
        f"""INSERT INTO hour_record (person_id, year, category, course, provider, studied_on, hours, status,
                                     source, reject_reason, evidence_media_id, paper_cert_number, created_at,
                                     decided_at)
            SELECT p.id, y,
                   CASE WHEN (p.id + y) % 3 = 0 THEN 'public' ELSE 'professional' END,
                   y || ' 年度继续教育课程', '河南省继续教育中心', make_date(y, 5, 1),
                   ((p.id * 7 + y * 13) % 160 + 2) / 2.0,
                   CASE WHEN y = {last_year} AND p.id % 500 = 0 THEN 'pending'
                        WHEN p.id % 97 = y % 97 THEN 'rejected' ELSE 'approved' END,
                   CASE WHEN y < {first_year + 2} AND p.id % 10 = 0 THEN 'paper' ELSE 'declared' END,
                   '', '', '', now(), now()
            FROM person p CROSS JOIN generate_series({first_year}, {last_year}) y""",
        fill_sql("postgres"),
        "DROP FUNCTION scale_id_check(text)",
        "VACUUM ANALYZE",  # as autovacuum leaves a table in service: index-only scans become possible
        "CHECKPOINT",  # the loading's dirty pages written now, not by the checkpointer while the pages are timed
    ]


async def load(url: str, people: int, first_year: int) -> float:
    started = time.perf_counter()
    await migrate_database(url)
    async with database(url):
        await load_regions()
        for statement in load_sql(people, first_year):
            await current_connection().execute_script(statement)
        scope = await resolve_scope(AdminRole.PROVINCE)
        await add_admin(ADMIN_OPENID, scope, {"name": "省级管理员"}, actor="bench")
    return time.perf_counter() - started


# --- Measuring ----------------------------------------------------------------------------------------------------


@dataclass
class Measured:
    people: int
    load_seconds: float = 0.0
    lookup_rate: float = 0.0
    lookup_p99_ms: float = 0.0
    ms: list[tuple[str, float]] = field(default_factory=list)  # the slowest of the runs, first use included
    errors: list[str] = field(default_factory=list)


def settings_for(url: str) -> Settings:
    return Settings(
        wechat_token=TOKEN,
        wechat_aes_key=AES_KEY,
        wechat_encryption="plain",
        wechat_app_id=APP_ID,
        secret_key=SECRET_KEY,
        database_url=url,
        _env_file=None,
    )


def server_env(url: str, workdir: Path, public_url: str) -> dict[str, str]:
    keys = workdir / "keys"
    init_test_keys(keys / "signing.p12", "", keys / "qr-ed25519.pem")
    return os.environ | {
        "PYTHONPATH": str(ROOT),
        "SIGNING_P12": str(keys / "signing.p12"),
        "SIGNING_P12_PASSWORD": "",
        "QR_SIGNING_KEY": str(keys / "qr-ed25519.pem"),
        "DATABASE_URL": url,
        "WECHAT_TOKEN": TOKEN,
        "WECHAT_AES_KEY": AES_KEY,
        "WECHAT_ENCRYPTION": "plain",
        "WECHAT_APP_ID": APP_ID,
        "SECRET_KEY": SECRET_KEY,
        "PUBLIC_URL": public_url,
        "REDIS_URL": "",
        "QUERY_ROWS_PER_DAY": "10000000",  # the benchmark's admin queries far beyond a day's budget
    }


class Chat:
    """Signed plaintext messages to the service, as WeChat sends them."""

    def __init__(self, settings: Settings, server: Server, session: aiohttp.ClientSession) -> None:
        self.settings, self.server, self.session = settings, server, session
        self.msg_ids = itertools.count(int(time.time()) * 1000)

    def post(self, openid: str, content: str):
        signed = sign(self.settings, text_xml(openid, content, msg_id=next(self.msg_ids)))
        return (self.server.base / "wechat").with_query(signed.query), signed.body.encode(), signed.query

    async def says(self, openid: str, content: str) -> str:
        url, body, query = self.post(openid, content)
        async with self.session.post(url, data=body, headers={"Content-Type": "text/xml"}) as response:
            text = await response.text()
            if response.status != 200:
                raise RuntimeError(f"{content}: HTTP {response.status}")
        return read_reply(self.settings, text, query)


async def lookup(chat: Chat, people: int, seconds: float, concurrency: int) -> tuple[float, float, list[str]]:
    """学时 from distinct people, as fast as 50 connections take them: req/s and p99."""
    rng = random.Random(12)
    count = int(seconds * 1500) + 300
    openids = [f"o_scale_{rng.randrange(people)}" for _ in range(count)]

    @dataclass(frozen=True)
    class Post:
        url: URL
        body: bytes

    posts = [Post(*chat.post(openid, "学时")[:2]) for openid in openids]
    await drive(chat.session, posts[:300], concurrency, 30)  # warm-up
    latencies, responses, elapsed = await drive(chat.session, posts[300:], concurrency, seconds)
    errors = [f"学时: {r[0]} {r[1][:80]}" for r in responses if r is not None and (r[0] != 200 or "学时" not in r[1])]
    p99 = statistics.quantiles(latencies, n=100, method="inclusive")[98] * 1000 if len(latencies) > 1 else 0.0
    return len(latencies) / elapsed, p99, errors[:5]


class Console:
    def __init__(self, server: Server, session: aiohttp.ClientSession) -> None:
        self.server, self.session, self.csrf = server, session, ""

    async def sign_in(self, chat: Chat) -> None:
        link = LINK.search(await chat.says(ADMIN_OPENID, "后台"))
        if not link:
            raise RuntimeError("后台 gave no sign-in link")
        path = URL(link[1]).path
        await self.get(path)
        async with self.session.post(self.server.base.with_path(path)) as response:
            if response.status != 200:
                raise RuntimeError(f"sign-in: HTTP {response.status}")
        await self.get("/admin/")

    async def get(self, path: str, **params: str) -> bytes:
        async with self.session.get(self.server.base.with_path(path), params=params) as response:
            body = await response.read()
            if response.status != 200:
                raise RuntimeError(f"GET {path}: HTTP {response.status}")
        if found := CSRF.search(body.decode(errors="replace")):
            self.csrf = found[1]
        return body

    async def post(self, path: str, **fields: str) -> bytes:
        form = aiohttp.FormData()
        form.add_field("csrf", self.csrf)
        for key, value in fields.items():
            form.add_field(key, value)
        async with self.session.post(self.server.base.with_path(path), data=form) as response:
            body = await response.read()
            if response.status != 200:
                raise RuntimeError(f"POST {path}: HTTP {response.status} {body[:200]!r}")
        return body


async def slowest(repeat: int, action: Callable[[], Awaitable[object]]) -> float:
    """The slowest of `repeat` runs in ms, the first (cold) one included."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        await action()
        times.append((time.perf_counter() - started) * 1000)
    return max(times)


async def measure(url: str, people: int, args: argparse.Namespace, workdir: Path, year: int) -> Measured:
    result = Measured(people)
    settings = settings_for(url)
    connector = aiohttp.TCPConnector(limit=args.concurrency + 10)
    timeout = aiohttp.ClientTimeout(total=120)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        server = Server("service", [sys.executable, "-m", "bot.cli", "serve"], {}, workdir)
        server.env = server_env(url, workdir, str(server.base))
        await server.start(session)
        try:
            chat = Chat(settings, server, session)
            result.lookup_rate, result.lookup_p99_ms, result.errors = await lookup(
                chat, people, args.seconds, args.concurrency
            )
            jar = aiohttp.CookieJar(unsafe=True)
            async with aiohttp.ClientSession(cookie_jar=jar, timeout=timeout) as browser:
                console = Console(server, browser)
                await console.sign_in(chat)
                ids, certs = await numbers(url, people)
                steps: list[tuple[str, Callable[[], Awaitable[object]]]] = [
                    ("landing page", lambda: console.get("/admin/")),
                    ("review page", lambda: console.get("/admin/review")),
                    ("待审 (chat)", lambda: chat.says(ADMIN_OPENID, "待审")),
                    ("query 5,000 ID numbers", lambda: console.post("/admin/query", numbers=ids)),
                    ("  its export", lambda: console.post("/admin/query/export.xlsx", numbers=ids)),
                    ("query 5,000 cert numbers", lambda: console.post("/admin/query", numbers=certs)),
                    ("  its export", lambda: console.post("/admin/query/export.xlsx", numbers=certs)),
                    ("statistics, province", lambda: console.get("/admin/stats", year=str(year))),
                    ("  its export", lambda: console.get("/admin/stats/export.xlsx", year=str(year))),
                    ("statistics, one region", lambda: console.get("/admin/stats", year=str(year), region=REGION)),
                    (
                        "  its export",
                        lambda: console.get("/admin/stats/export.xlsx", year=str(year), region=REGION),
                    ),
                ]
                for name, action in steps:
                    result.ms.append((name, await slowest(args.repeat, action)))
            result.errors += [line for line in server.log_problems() if "ERROR" in line or "Traceback" in line][:5]
        finally:
            await server.stop()
    return result


async def numbers(url: str, people: int) -> tuple[str, str]:
    """5,000 ID numbers and 5,000 certificate numbers of people spread over the province, one a line."""
    step = max(1, people // BATCH)
    async with database(url):
        rows = await current_connection().execute_query_dict(
            f"SELECT id_number, cert_number FROM person WHERE id % {step} = 0 ORDER BY id LIMIT {BATCH}"
        )
    return "\n".join(r["id_number"] for r in rows), "\n".join(r["cert_number"] for r in rows)


async def kept_people(url: str) -> int | None:
    """The people in a kept database, or None when there is none to reuse."""
    conn = await asyncpg.connect(ADMIN_URL.replace("postgres://", "postgresql://", 1))
    try:
        if not await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", url.rsplit("/", 1)[1]):
            return None
    finally:
        await conn.close()
    conn = await asyncpg.connect(url.replace("postgres://", "postgresql://", 1))
    try:
        return await conn.fetchval("SELECT COUNT(*) FROM person")
    finally:
        await conn.close()


async def one_size(people: int, args: argparse.Namespace, year: int, keep: bool) -> Measured:
    # Only the kept size loads into jxjy_scale, so the other one never drops it.
    name = DATABASE if keep else f"{DATABASE}_{people}"
    url = url_of(name)
    if keep and args.reuse and await kept_people(url) == people:
        # Only the migrations since it was loaded: measuring a change needs no three-minute reload.
        print(f"{people:,} people: reusing the kept {name}, migrating …", flush=True)
        await migrate_database(url)
        await admin_sql("VACUUM ANALYZE", url)  # as after loading: what autovacuum leaves a migrated table
        await admin_sql("CHECKPOINT", url)
        with tempfile.TemporaryDirectory(prefix="jxjy-scale-") as workdir:
            return await measure(url, people, args, Path(workdir), year)
    print(f"{people:,} people: loading …", flush=True)
    await admin_sql(f'DROP DATABASE IF EXISTS "{name}"')
    await admin_sql(f'CREATE DATABASE "{name}"')
    try:
        load_seconds = await load(url, people, year - YEARS + 2)
        print(f"  loaded in {load_seconds:.0f} s; measuring …", flush=True)
        with tempfile.TemporaryDirectory(prefix="jxjy-scale-") as workdir:
            result = await measure(url, people, args, Path(workdir), year)
        result.load_seconds = load_seconds
        return result
    finally:
        if not keep:
            await admin_sql(f'DROP DATABASE IF EXISTS "{name}"')


# --- Report -------------------------------------------------------------------------------------------------------


def report(small: Measured, large: Measured) -> None:
    print()
    print(f"{'':32} {f'{small.people:,}':>10} {f'{large.people:,}':>10} {'ratio':>7}  target")
    print(f"{'load (s)':32} {small.load_seconds:10.0f} {large.load_seconds:10.0f}")

    def line(name: str, a: float, b: float, target: str, met: bool, unit: str = "") -> None:
        ratio = b / a if a else float("nan")
        print(f"{name:32} {a:10.1f} {b:10.1f} {ratio:7.2f}  {target:18} {'met' if met else 'MISSED'}{unit}")

    rate_met = large.lookup_rate >= small.lookup_rate * (1 - LOOKUP_TOLERANCE)
    p99_met = large.lookup_p99_ms <= small.lookup_p99_ms * (1 + LOOKUP_TOLERANCE)
    line("学时 lookup req/s", small.lookup_rate, large.lookup_rate, ">= 80 % of small", rate_met)
    line("学时 lookup p99 (ms)", small.lookup_p99_ms, large.lookup_p99_ms, "<= 120 % of small", p99_met)
    for (name, small_ms), (_, ms) in zip(small.ms, large.ms, strict=True):
        limit = PAGE_MS if name in ("landing page", "review page", "待审 (chat)") else QUERY_MS
        line(f"{name} (ms)", small_ms, ms, f"<= {limit:.0f} ms", ms <= limit)


async def benchmark(args: argparse.Namespace) -> int:
    year = datetime.now(CHINA).year - 1  # the last whole year: every person has a record for it
    sizes = [SMALL, args.people] if args.people != SMALL else [SMALL]
    results = [await one_size(n, args, year, keep=args.keep and n == sizes[-1]) for n in sizes]
    report(results[0], results[-1])
    problems = [e for r in results for e in r.errors]
    for problem in problems:
        print("problem:", problem)
    return 1 if problems else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=1_000_000, help="the province's size (default 1,000,000)")
    parser.add_argument("--seconds", type=float, default=10.0, help="the timed 学时 load (default 10 s)")
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each console measurement")
    parser.add_argument("--keep", action="store_true", help=f"keep the database {DATABASE} afterwards")
    parser.add_argument(
        "--reuse", action="store_true", help=f"with --keep: measure a kept {DATABASE} of the same size, migrated"
    )
    args = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        return asyncio.run(benchmark(args))
    return 130


if __name__ == "__main__":
    sys.exit(main())
