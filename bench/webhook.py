"""Webhook throughput and latency: the real service against a bare wechatpy + aiohttp baseline (the floor).

One run has two parts. The single process: a throw-away SQLite database with registered people and their
hours, `jxjy serve` and bench/baseline_server.py on loopback ports, driven with signed "学时" text messages
from many different users, in plaintext and in safe mode (encrypt_type=aes). The production topology: a
throw-away PostgreSQL database and a Redis key prefix of its own, the floor, `jxjy serve --workers 1` and
`--workers 2` in safe mode, closed-loop (as fast as replies come) and open-loop (a fixed offered rate,
latency counted from each message's scheduled time), each worker's memory after its runs, and one worker
again with asyncpg's reset statement after every query, to show what it costs. Every reply is checked after
the timed part: HTTP 200 and, for the service, exactly the hours text that person should get.

    .venv/bin/python bench/webhook.py            # or: make bench

Exits non-zero only when a request failed or the benchmark itself crashed; missed targets are printed.
"""

import argparse
import asyncio
import contextlib
import itertools
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import aiohttp
import asyncpg
from redis.asyncio import Redis
from redis.exceptions import RedisError
from tortoise.transactions import in_transaction
from yarl import URL

from bot.devtools.chat_client import read_reply, sign, text_xml
from bot.keys import init_test_keys
from bot.settings import Settings
from handlers.chat import CHINA
from handlers.hours import hours_text
from storage.db import DEFAULT_PROFESSIONAL_MIN_HOURS, DEFAULT_TOTAL_HOURS, database, migrate_database
from storage.hours import HoursOverview
from storage.ids import id_check_character
from storage.models import Category, HourRecord, Person, RecordStatus, Unit
from storage.people import cert_number
from storage.regions import load_regions
from storage.summary import Policy, YearSummary
from storage.units import load_demo_units

HOST = "127.0.0.1"
TOKEN = "benchtoken"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
APP_ID = "wx2c2769f8efd9abc2"
SECRET_KEY = "bench-secret-key-0123456789"
QUERY = "学时"

TARGET_RATIO = 0.25  # service req/s over baseline req/s, same mode, per process
TARGET_P99_MS = 50.0  # service p99 latency, closed loop
TARGET_SCALE = 1.6  # two workers' req/s over one worker's
TARGET_OPEN_P99_MS = 25.0  # p99 at the fixed offered load, from each message's scheduled time
TARGET_RSS_MB = 250.0  # each worker's resident memory after its runs
POSTGRES_ADMIN_URL = os.environ.get("JXJY_BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("JXJY_BENCH_REDIS", "redis://127.0.0.1:6379/0")
STARTUP_SECONDS = 30  # schema creation and imports; far more means the server is stuck

# The console script sits next to the interpreter in the virtualenv that runs this file.
JXJY = Path(sys.executable).with_name("jxjy")
BASELINE_SERVER = Path(__file__).with_name("baseline_server.py")

SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华"


# --- Seeding ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Seeded:
    """What was stored for one person, so the reply they should get can be rebuilt independently."""

    name: str
    cert_number: str
    hours: dict[int, dict[Category, Decimal]]  # approved hours per year and category

    def expected_reply(self, current_year: int) -> str:
        policy = Policy(DEFAULT_TOTAL_HOURS, DEFAULT_PROFESSIONAL_MIN_HOURS)  # the seeded default rule
        by_year = {current_year: {}} | self.hours
        years = [
            YearSummary(
                year, policy, sums.get(Category.PUBLIC, Decimal(0)), sums.get(Category.PROFESSIONAL, Decimal(0))
            )
            for year, sums in sorted(by_year.items(), reverse=True)
        ]
        return hours_text(self.name, self.cert_number, HoursOverview(years, pending=0, rejected=0), current_year)


def openid_of(index: int) -> str:
    return f"o_bench_{index:05d}"


def id_number_of(index: int) -> str:
    # A distinct (birth date, sequence) pair per person keeps the numbers unique and well-formed.
    born = date(1970, 1, 1) + timedelta(days=index // 1000)
    first17 = f"410105{born:%Y%m%d}{index % 1000:03d}"
    return first17 + id_check_character(first17)


def name_of(index: int) -> str:
    return SURNAMES[index % len(SURNAMES)] + GIVEN[index // len(SURNAMES) % len(GIVEN)] + GIVEN[index % 7]


def planned_hours(rng: random.Random, current_year: int) -> dict[int, dict[Category, list[Decimal]]]:
    """Zero to two approved records per year and category, in half hours as courses are counted."""
    plan: dict[int, dict[Category, list[Decimal]]] = {}
    for year in (current_year - 1, current_year):
        for category in Category:
            records = [Decimal(rng.randrange(2, 81)) / 2 for _ in range(rng.randint(0, 2))]
            if records:
                plan.setdefault(year, {})[category] = records
    return plan


async def seed(database_url: str, people: int, current_year: int) -> dict[str, Seeded]:
    """Regions, the demo units, `people` registered people and, for every other one, approved hours."""
    rng = random.Random(2017)
    seeded: dict[str, Seeded] = {}
    await migrate_database(database_url)
    async with database(database_url):
        await load_regions()
        await load_demo_units()
        units = await Unit.all().order_by("id")
        persons = []
        for index in range(people):
            unit = units[index % len(units)]
            number = cert_number(unit.region_id, 2018, index + 1)  # serials unique across all regions
            persons.append(
                Person(
                    name=name_of(index),
                    id_number=id_number_of(index),
                    cert_number=number,
                    unit=unit,
                    openid=openid_of(index),
                )
            )
        # One transaction: SQLite commits (fsyncs) once instead of once per batch.
        async with in_transaction():
            await Person.bulk_create(persons, batch_size=1000)
        ids = dict(await Person.all().values_list("openid", "id"))

        records = []
        studied_on = date(current_year, 1, 15)
        for index, person in enumerate(persons):
            plan = planned_hours(rng, current_year) if index % 2 == 0 else {}
            for year, categories in plan.items():
                for category, hours in categories.items():
                    records += [
                        HourRecord(
                            person_id=ids[person.openid],
                            year=year,
                            category=category,
                            course=f"{year} 年度{'公需' if category == Category.PUBLIC else '专业'}科目培训",
                            provider="【演示】河南省继续教育培训中心",
                            studied_on=studied_on.replace(year=year),
                            hours=value,
                            status=RecordStatus.APPROVED,
                        )
                        for value in hours
                    ]
            sums = {year: {c: sum(v, Decimal(0)) for c, v in cats.items()} for year, cats in plan.items()}
            seeded[person.openid] = Seeded(person.name, person.cert_number, sums)
        async with in_transaction():
            await HourRecord.bulk_create(records, batch_size=1000)
    print(f"  {people:,} people, {len(records):,} approved hour records")
    return seeded


# --- Servers ---------------------------------------------------------------------------------------


def configure(database_url: str, workdir: Path) -> tuple[Settings, dict[str, str]]:
    """The client's settings and the servers' environment, from the same values."""
    # Explicit settings, and no .env: the client must sign with exactly what the servers are given.
    settings = Settings(
        wechat_token=TOKEN,
        wechat_aes_key=AES_KEY,
        wechat_encryption="plain",  # both scenarios against one service: plaintext too
        wechat_app_id=APP_ID,
        secret_key=SECRET_KEY,
        database_url=database_url,
        _env_file=None,
    )
    # Test keys beside the database (what `jxjy keys init` makes): the service refuses to start without keys.
    keys = workdir / "keys"
    init_test_keys(keys / "signing.p12", "", keys / "qr-ed25519.pem")
    env = os.environ | {
        "SIGNING_P12": str(keys / "signing.p12"),
        "SIGNING_P12_PASSWORD": "",
        "QR_SIGNING_KEY": str(keys / "qr-ed25519.pem"),
        "DATABASE_URL": database_url,
        "WECHAT_TOKEN": TOKEN,
        "WECHAT_AES_KEY": AES_KEY,
        "WECHAT_ENCRYPTION": "plain",
        "WECHAT_APP_ID": APP_ID,
        "SECRET_KEY": SECRET_KEY,
        "REDIS_URL": "",
    }
    return settings, env


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


@dataclass
class Server:
    """A server in a subprocess, with its output in a log file to show when something goes wrong."""

    name: str
    argv: list[str]
    env: dict[str, str]
    workdir: Path
    workers: int = 1  # with several, started means every one of them answered (each listens on its own)
    port: int = field(default_factory=free_port)
    process: asyncio.subprocess.Process | None = None

    @property
    def base(self) -> URL:
        return URL.build(scheme="http", host=HOST, port=self.port)

    @property
    def log_path(self) -> Path:
        return self.workdir / f"{self.name}.log"

    async def start(self, session: aiohttp.ClientSession) -> None:
        with self.log_path.open("wb") as log:
            self.process = await asyncio.create_subprocess_exec(
                *self.argv,
                "--host",
                HOST,
                "--port",
                str(self.port),
                env=self.env,
                cwd=self.workdir,  # no .env here: the server sees only what env says
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        seen: set[object] = set()
        try:
            async with asyncio.timeout(STARTUP_SECONDS):
                while len(seen) < self.workers:
                    if (worker := await self._healthy(session)) is not None:
                        seen.add(worker)
                        continue
                    if self.process.returncode is not None:
                        raise RuntimeError(f"{self.name} exited with {self.process.returncode}:\n{self.log_tail()}")
                    await asyncio.sleep(0.1)
        except TimeoutError:
            raise RuntimeError(f"{self.name} not healthy after {STARTUP_SECONDS} s:\n{self.log_tail()}") from None
        await self._settle()

    async def _settle(self) -> None:
        """Wait until the workers' start-up work is done (the service renders a certificate in a thread to warm
        up, seconds of CPU on a busy machine), so that the timed part measures the webhook and nothing else."""
        deadline = time.monotonic() + STARTUP_SECONDS
        before = [cpu_seconds(pid) for pid in self.worker_pids()]
        while time.monotonic() < deadline:
            await asyncio.sleep(0.5)
            now = [cpu_seconds(pid) for pid in self.worker_pids()]
            if all(after - earlier < 0.05 for earlier, after in zip(before, now, strict=True)):
                return
            before = now

    async def _healthy(self, session: aiohttp.ClientSession) -> object | None:
        """The worker that answered (its number, or True for a single process); None when none did."""
        try:
            # A new connection each time: with several workers the kernel picks one per connection.
            async with session.get(self.base / "healthz", headers={"Connection": "close"}) as response:
                if response.status != 200:
                    return None
                return (await response.json()).get("worker", True)
        except (aiohttp.ClientError, TimeoutError):
            return None  # not listening yet

    def worker_pids(self) -> list[int]:
        """The processes that serve: the forked workers, or the process itself when it has none."""
        assert self.process is not None
        pid = self.process.pid
        try:
            children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        except OSError:
            children = []
        return [int(child) for child in children] or [pid]

    async def stop(self) -> None:
        if self.process is None or self.process.returncode is not None:
            return
        with contextlib.suppress(ProcessLookupError):  # it may have exited just now
            self.process.terminate()  # aiohttp shuts down gracefully on SIGTERM
        try:
            async with asyncio.timeout(10):
                await self.process.wait()
        except TimeoutError:
            self.process.kill()
            await self.process.wait()

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def log_problems(self) -> list[str]:
        """Warnings and errors the server logged: a 200 can still hide a handler that failed."""
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return []
        return [line for line in text.splitlines() if " WARNING " in line or " ERROR " in line or "Traceback" in line]


# --- Load ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Prepared:
    """A request ready to send: signing and encrypting happen before the clock starts."""

    url: URL
    body: bytes
    query: dict[str, str]
    openid: str


@dataclass(frozen=True)
class Scenario:
    name: str
    server: Server
    safe: bool
    is_baseline: bool


@dataclass
class Result:
    scenario: Scenario
    latencies: list[float]  # seconds, one per completed request
    elapsed: float
    errors: int
    problems: list[str]  # a few examples of what went wrong

    @property
    def requests(self) -> int:
        return len(self.latencies)

    @property
    def rate(self) -> float:
        return self.requests / self.elapsed if self.elapsed else 0.0

    def percentile_ms(self, percent: int) -> float:
        if len(self.latencies) < 2:
            return float("nan")
        return statistics.quantiles(self.latencies, n=100, method="inclusive")[percent - 1] * 1000


XML_HEADERS = {"Content-Type": "text/xml"}  # what WeChat sends


def prepare(
    settings: Settings,
    server: Server,
    safe: bool,
    openids: Iterator[str],
    msg_ids: Iterator[int],
    count: int,
    content: str = QUERY,
) -> list[Prepared]:
    posts = []
    endpoint = server.base / "wechat"
    for openid in itertools.islice(openids, count):
        # A fresh MsgId each time: a repeated one would be answered from the service's retry cache.
        signed = sign(settings, text_xml(openid, content, msg_id=next(msg_ids)), safe=safe)
        posts.append(Prepared(endpoint.with_query(signed.query), signed.body.encode(), signed.query, openid))
    return posts


async def drive(
    session: aiohttp.ClientSession,
    posts: Sequence[Prepared],
    concurrency: int,
    max_seconds: float,
    rate: float = 0.0,
    stop: asyncio.Event | None = None,
) -> tuple[list[float], list[tuple[int, str] | None], float]:
    """Send `posts` over `concurrency` connections, each worker taking the next post when it is free.

    With a `rate` (posts per second), post i leaves no earlier than i / rate seconds after the start: a steady
    offered load rather than as fast as the replies come. Setting `stop` ends the run as the time cap does.
    Returns the latencies, each post's (status, body) or None if it was never sent, and the wall time.
    """
    responses: list[tuple[int, str] | None] = [None] * len(posts)
    latencies: list[float] = []
    pending = iter(enumerate(posts))  # shared by the workers: one event loop, so no lock needed
    started = time.perf_counter()
    deadline = started + max_seconds

    async def worker() -> None:
        for index, post in pending:
            if rate:
                await asyncio.sleep(started + index / rate - time.perf_counter())  # returns at once when late
            if time.perf_counter() > deadline or (stop is not None and stop.is_set()):
                return
            sent = time.perf_counter()
            try:
                async with session.post(post.url, data=post.body, headers=XML_HEADERS) as response:
                    responses[index] = (response.status, await response.text(encoding="utf-8"))
            except (aiohttp.ClientError, TimeoutError) as error:
                responses[index] = (0, f"{type(error).__name__}: {error}")
            latencies.append(time.perf_counter() - sent)

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return latencies, responses, time.perf_counter() - started


def check(
    scenario: Scenario,
    settings: Settings,
    posts: Sequence[Prepared],
    responses: Sequence[tuple[int, str] | None],
    seeded: dict[str, Seeded],
    current_year: int,
) -> tuple[int, list[str]]:
    """Every reply, after the clock stopped: HTTP 200, and the exact text this person should read."""
    errors, problems = 0, []
    for post, response in zip(posts, responses, strict=True):
        if response is None:
            continue  # not sent: the time cap was reached
        status, body = response
        if status != 200:
            problem = f"HTTP {status} for {post.openid}: {body[:200]}"
        else:
            expected = "ok" if scenario.is_baseline else seeded[post.openid].expected_reply(current_year)
            try:
                reply = read_reply(settings, body, post.query)
            except Exception as error:  # an unreadable or undecryptable reply is a failed request
                reply = f"<unreadable: {type(error).__name__}: {error}>"
            if reply == expected:
                continue
            problem = f"unexpected reply for {post.openid}:\n    got      {reply!r}\n    expected {expected!r}"
        errors += 1
        if len(problems) < 3:
            problems.append(problem)
    return errors, problems


async def run_scenario(
    scenario: Scenario,
    settings: Settings,
    openids: Iterator[str],
    msg_ids: Iterator[int],
    seeded: dict[str, Seeded],
    args: argparse.Namespace,
) -> Result:
    current_year = datetime.now(CHINA).year  # the service counts years in Beijing time
    warmup = prepare(settings, scenario.server, scenario.safe, openids, msg_ids, args.warmup)
    posts = prepare(settings, scenario.server, scenario.safe, openids, msg_ids, args.requests)
    connector = aiohttp.TCPConnector(limit=args.concurrency)
    timeout = aiohttp.ClientTimeout(total=10)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        # Same session for both: the timed run starts on open keep-alive connections and warm caches.
        await drive(session, warmup, args.concurrency, args.max_seconds)
        latencies, responses, elapsed = await drive(session, posts, args.concurrency, args.max_seconds)
    errors, problems = check(scenario, settings, posts, responses, seeded, current_year)
    result = Result(scenario, latencies, elapsed, errors, problems)
    capped = " (time cap reached)" if result.requests < len(posts) else ""
    print(f"  {scenario.name:<20} {result.requests:>6} requests in {elapsed:5.1f} s{capped}")
    return result


# --- Report ----------------------------------------------------------------------------------------


def mode_of(scenario: Scenario) -> str:
    return "safe mode" if scenario.safe else "plaintext"


def report(results: list[Result], args: argparse.Namespace) -> None:
    baseline_rate = {mode_of(r.scenario): r.rate for r in results if r.scenario.is_baseline}

    def ratio_of(r: Result) -> float:
        baseline = baseline_rate[mode_of(r.scenario)]
        return r.rate / baseline if baseline else float("nan")

    print()
    print(f"{args.concurrency} concurrent connections, {args.requests:,} requests per scenario, {os.cpu_count()} CPUs")
    print(f"{'scenario':<22}{'requests':>9}{'errors':>8}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'vs baseline':>13}")
    for r in results:
        ratio = "" if r.scenario.is_baseline else f"{ratio_of(r):.2f}"
        print(
            f"{r.scenario.name:<22}{r.requests:>9}{r.errors:>8}{r.rate:>9.0f}"
            f"{r.percentile_ms(50):>9.1f}{r.percentile_ms(99):>9.1f}{ratio:>13}"
        )
    print()
    print(f"Targets: service req/s >= {TARGET_RATIO} x baseline, service p99 <= {TARGET_P99_MS:.0f} ms")
    for r in results:
        if r.scenario.is_baseline:
            continue
        ratio, p99 = ratio_of(r), r.percentile_ms(99)
        print(
            f"  {mode_of(r.scenario):<10} ratio {ratio:.2f} {'met' if ratio >= TARGET_RATIO else 'MISSED'}, "
            f"p99 {p99:.1f} ms {'met' if p99 <= TARGET_P99_MS else 'MISSED'}"
        )
    for r in results:
        for problem in r.problems:
            print(f"  {r.scenario.name}: {problem}")


async def single_process(args: argparse.Namespace, workdir: Path) -> int:
    """The default deployment: one process on SQLite, in plaintext and in safe mode, against the floor."""
    if True:
        workdir.mkdir()
        database_url = f"sqlite://{workdir / 'bench.sqlite3'}"
        settings, env = configure(database_url, workdir)

        print(f"Seeding {database_url}")
        started = time.perf_counter()
        seeded = await seed(database_url, args.people, datetime.now(CHINA).year)
        print(f"  done in {time.perf_counter() - started:.1f} s")

        service = Server("service", [str(JXJY), "serve"], env, workdir)
        baseline = Server("baseline", [sys.executable, str(BASELINE_SERVER)], env, workdir)
        scenarios = [
            Scenario("baseline plaintext", baseline, safe=False, is_baseline=True),
            Scenario("service plaintext", service, safe=False, is_baseline=False),
            Scenario("baseline safe mode", baseline, safe=True, is_baseline=True),
            Scenario("service safe mode", service, safe=True, is_baseline=False),
        ]
        # Each scenario asks for distinct people in a shuffled order, so lookups do not hit one hot row.
        everyone = list(seeded)
        random.Random(1).shuffle(everyone)
        openids = itertools.cycle(everyone)
        msg_ids = itertools.count(int(time.time()) * 1000)

        try:
            async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2)) as probe:
                for server in (service, baseline):
                    await server.start(probe)
                    print(f"Started {server.name} on port {server.port}")
            print(f"Running {len(scenarios)} scenarios ({args.warmup} warm-up requests each, not counted)")
            results = [await run_scenario(s, settings, openids, msg_ids, seeded, args) for s in scenarios]
        finally:
            for server in (service, baseline):
                await server.stop()

        report(results, args)
        problems = service.log_problems()
        if problems:
            print(f"\nThe service logged {len(problems)} warnings or errors, for example:")
            print("\n".join(f"  {line}" for line in problems[:5]))
    return sum(r.errors for r in results)


# --- Production topology: PostgreSQL + Redis, one and two workers ----------------------------------


@dataclass
class Topology:
    """One server's runs in the production topology."""

    name: str
    server: Server
    closed: Result
    open: Result | None = None
    rss_mb: list[float] = field(default_factory=list)  # each worker's, after its runs
    anon_mb: list[float] = field(default_factory=list)  # each worker's anonymous part of rss_mb


async def offer(
    session: aiohttp.ClientSession, posts: Sequence[Prepared], rate: float
) -> tuple[list[float], list[tuple[int, str] | None], float]:
    """Open loop: post i leaves at start + i / rate whether or not earlier replies came back, and its latency is
    counted from that scheduled moment, so a stalled server shows as the queue it causes (no coordinated
    omission, as a closed-loop client that waits for replies would have)."""
    responses: list[tuple[int, str] | None] = [None] * len(posts)
    latencies: list[float] = []
    started = time.perf_counter() + 0.05

    async def one(index: int, post: Prepared) -> None:
        scheduled = started + index / rate
        await asyncio.sleep(scheduled - time.perf_counter())
        try:
            async with session.post(post.url, data=post.body, headers=XML_HEADERS) as response:
                responses[index] = (response.status, await response.text(encoding="utf-8"))
        except (aiohttp.ClientError, TimeoutError) as error:
            responses[index] = (0, f"{type(error).__name__}: {error}")
        latencies.append(time.perf_counter() - scheduled)

    await asyncio.gather(*(one(index, post) for index, post in enumerate(posts)))
    return latencies, responses, time.perf_counter() - started


def merged(results: Sequence[Result]) -> Result:
    """Several runs of one scenario as one."""
    first = results[0]
    return Result(
        first.scenario,
        [latency for r in results for latency in r.latencies],
        sum(r.elapsed for r in results),
        sum(r.errors for r in results),
        [problem for r in results for problem in r.problems][:3],
    )


def rss_mb(pid: int, part: str = "Rss") -> float:
    """Resident memory of a process, from /proc: all of it (Rss, as VmRSS), or its `Anonymous` part (the heap,
    where caches grow; the rest is mostly fonts and libraries mapped from files, shared by the workers)."""
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith(f"{part}:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cpu_seconds(pid: int) -> float:
    """User and system time a process has used so far, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def throw_away_postgres() -> str:
    """A new, empty database on the local PostgreSQL; dropped by drop_postgres()."""
    name = f"jxjy_bench_{os.getpid()}"
    conn = await asyncpg.connect(POSTGRES_ADMIN_URL.replace("postgres://", "postgresql://", 1), timeout=5)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + "/" + name


async def drop_postgres(url: str) -> None:
    conn = await asyncpg.connect(POSTGRES_ADMIN_URL.replace("postgres://", "postgresql://", 1), timeout=5)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')
    finally:
        await conn.close()


async def forget_redis_prefix(prefix: str) -> None:
    redis = Redis.from_url(REDIS_URL)
    try:
        keys = [key async for key in redis.scan_iter(match=f"{prefix}*", count=1000)]
        for start in range(0, len(keys), 1000):
            await redis.delete(*keys[start : start + 1000])
    finally:
        await redis.aclose()


async def topology(args: argparse.Namespace, workdir: Path) -> tuple[list[Topology], int]:
    """The floor, one worker and two workers on PostgreSQL + Redis, in safe mode; one worker again with the
    pool's reset statement. Returns the runs and how many requests failed."""
    try:
        database_url = await throw_away_postgres()
        redis = Redis.from_url(REDIS_URL, socket_connect_timeout=2)
        await redis.ping()
        await redis.aclose()
    except (OSError, asyncpg.PostgresError, RedisError, TimeoutError) as error:
        print(
            f"\nProduction topology SKIPPED: PostgreSQL ({POSTGRES_ADMIN_URL}) or Redis ({REDIS_URL}) "
            f"unreachable: {error}"
        )
        return [], 0
    prefix = f"jxjy-bench-{os.getpid()}-{random.randrange(10**6)}:"
    runs: list[Topology] = []
    try:
        settings, env = configure(database_url, workdir)
        env |= {
            "REDIS_URL": REDIS_URL,
            "REDIS_PREFIX": prefix,
            "WECHAT_API_URL": f"http://{HOST}:{free_port()}",  # the first worker hosts the fake WeChat API there
        }
        print(f"\nProduction topology: {database_url} (`jxjy db migrate`), Redis {REDIS_URL} under {prefix}")
        migrate = await asyncio.create_subprocess_exec(
            str(JXJY), "db", "migrate", env=env, cwd=workdir, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        _, problem = await migrate.communicate()
        if migrate.returncode != 0:
            raise RuntimeError(f"jxjy db migrate failed: {problem.decode()}")
        started = time.perf_counter()
        seeded = await seed(database_url, args.people, datetime.now(CHINA).year)
        print(f"  seeded in {time.perf_counter() - started:.1f} s")
        reset_env = env | {"DATABASE_URL": f"{database_url}?reset_on_release=1"}
        one = ["serve", "--workers", "1"]
        # Servers in groups: the two single workers, with and without the reset statement, run side by side and
        # take turns (half their requests each, twice), so a busy moment of the machine weighs on both alike.
        groups = [
            [("floor", Server("floor", [sys.executable, str(BASELINE_SERVER)], env, workdir), False)],
            [
                ("1 worker", Server("one-worker", [str(JXJY), *one], env, workdir), True),
                ("1 worker, pool reset", Server("reset", [str(JXJY), *one], reset_env, workdir), False),
            ],
            [
                (
                    "2 workers",
                    Server("two-workers", [str(JXJY), "serve", "--workers", "2"], env, workdir, workers=2),
                    True,
                )
            ],
        ]
        everyone = list(seeded)
        random.Random(2).shuffle(everyone)
        openids = itertools.cycle(everyone)
        msg_ids = itertools.count(int(time.time()) * 1000 + 500_000_000)
        current_year = datetime.now(CHINA).year
        for group in groups:
            try:
                async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2)) as probe:
                    for _name, server, _open in group:
                        await server.start(probe)
                scenarios = [Scenario(name, server, True, server.name == "floor") for name, server, _ in group]
                rounds = 2 if len(group) > 1 else 1
                turns = vars(args) | {"requests": args.requests // rounds}
                closed: dict[str, list[Result]] = {name: [] for name, _, _ in group}
                for _round in range(rounds):
                    for scenario in scenarios:
                        result = await run_scenario(
                            scenario, settings, openids, msg_ids, seeded, argparse.Namespace(**turns)
                        )
                        closed[scenario.name].append(result)
                for (name, server, open_loop), scenario in zip(group, scenarios, strict=True):
                    run = Topology(name, server, merged(closed[name]))
                    if open_loop:
                        count = int(args.open_rate * args.open_seconds)
                        posts = prepare(settings, server, True, openids, msg_ids, count)
                        connector = aiohttp.TCPConnector(limit=200)
                        async with aiohttp.ClientSession(
                            connector=connector, timeout=aiohttp.ClientTimeout(total=10)
                        ) as http:
                            latencies, responses, elapsed = await offer(http, posts, args.open_rate)
                        errors, problems = check(scenario, settings, posts, responses, seeded, current_year)
                        run.open = Result(scenario, latencies, elapsed, errors, problems)
                        print(f"  {name:<20} {len(latencies):>6} requests offered at {args.open_rate:.0f}/s")
                    if not scenario.is_baseline:
                        run.rss_mb = [rss_mb(pid) for pid in server.worker_pids()]
                        run.anon_mb = [rss_mb(pid, "Anonymous") for pid in server.worker_pids()]
                    runs.append(run)
            finally:
                for _name, server, _open in group:
                    await server.stop()
            for _name, server, _open in group:
                for line in server.log_problems()[:3]:
                    print(f"  {server.name} logged: {line}")
    finally:
        await forget_redis_prefix(prefix)
        await drop_postgres(database_url)
    # Beyond what the server can take, the open loop's queue makes replies late or busy by design: a missed
    # target, printed. Only the closed loop's failures are failures.
    return runs, sum(r.closed.errors for r in runs)


def topology_report(runs: list[Topology], args: argparse.Namespace) -> None:
    by_name = {run.name: run for run in runs}
    floor, one, two, reset = (by_name.get(n) for n in ("floor", "1 worker", "2 workers", "1 worker, pool reset"))
    if not (floor and one and two):
        return

    def met(ok: bool) -> str:
        return "met" if ok else "MISSED"

    print()
    print(f"Production topology, safe mode: PostgreSQL + Redis, {os.cpu_count()} CPUs shared with the client")
    print(
        f"{'server':<22}{'closed req/s':>13}{'p50 ms':>8}{'p99 ms':>8}{'per process':>12}"
        f"{'open p50':>10}{'open p99':>10}{'late/busy':>10}  {'RSS MB after (anonymous)'}"
    )
    for run in runs:
        workers = len(run.rss_mb) or 1
        ratio = "" if run is floor else f"{run.closed.rate / workers / floor.closed.rate:.2f}"
        open_p50 = f"{run.open.percentile_ms(50):.1f}" if run.open else ""
        open_p99 = f"{run.open.percentile_ms(99):.1f}" if run.open else ""
        open_errors = str(run.open.errors) if run.open else ""
        rss = ", ".join(f"{mb:.0f} ({anon:.0f})" for mb, anon in zip(run.rss_mb, run.anon_mb, strict=True))
        print(
            f"{run.name:<22}{run.closed.rate:>13.0f}{run.closed.percentile_ms(50):>8.1f}"
            f"{run.closed.percentile_ms(99):>8.1f}{ratio:>12}{open_p50:>10}{open_p99:>10}{open_errors:>10}  {rss}"
        )
    print(
        f"(closed loop: {args.concurrency} connections; "
        f"open loop: {args.open_rate:.0f} req/s for {args.open_seconds:.0f} s)"
    )
    print()
    ratio = one.closed.rate / floor.closed.rate
    scale = two.closed.rate / one.closed.rate
    print("Targets:")
    print(f"  one worker's req/s >= {TARGET_RATIO} x the floor: {ratio:.2f} {met(ratio >= TARGET_RATIO)}")
    print(f"  two workers >= {TARGET_SCALE} x one worker: {scale:.2f} {met(scale >= TARGET_SCALE)}")
    for run in (one, two):
        if run.open:
            p99 = run.open.percentile_ms(99)
            print(
                f"  {run.name}: p99 at {args.open_rate:.0f} req/s <= {TARGET_OPEN_P99_MS:.0f} ms: "
                f"{p99:.1f} ms {met(p99 <= TARGET_OPEN_P99_MS)}"
            )
    biggest = max(mb for run in (one, two) for mb in run.rss_mb)
    print(
        f"  each worker's RSS after its runs <= {TARGET_RSS_MB:.0f} MB: "
        f"largest {biggest:.0f} MB {met(biggest <= TARGET_RSS_MB)}"
    )
    if reset:
        cost = 1 - reset.closed.rate / one.closed.rate
        print(
            f"  asyncpg's reset statement on every release: {reset.closed.rate:.0f} req/s with it, "
            f"{one.closed.rate:.0f} without ({cost:+.0%} of one worker's throughput, p50 "
            f"{reset.closed.percentile_ms(50):.1f} vs {one.closed.percentile_ms(50):.1f} ms); "
            "the service runs without it"
        )
    for run in runs:
        for result in (run.closed, run.open):
            for problem in result.problems if result else []:
                print(f"  {run.name}: {problem}")


# --- Main ------------------------------------------------------------------------------------------


async def benchmark(args: argparse.Namespace) -> int:
    failed = 0
    with tempfile.TemporaryDirectory(prefix="jxjy-bench-") as tmp:
        workdir = Path(tmp)
        if args.part in ("all", "single"):
            failed += await single_process(args, workdir / "single")
        if args.part in ("all", "topology"):
            (workdir / "topology").mkdir()
            runs, errors = await topology(args, workdir / "topology")
            topology_report(runs, args)
            failed += errors
    return 1 if failed else 0


def main() -> int:
    parser = argparse.ArgumentParser(description="Benchmark the /wechat webhook against a bare baseline.")
    parser.add_argument("--people", type=int, default=10_000, help="registered people to seed")
    parser.add_argument("--requests", type=int, default=3_000, help="timed requests per scenario")
    parser.add_argument("--warmup", type=int, default=300, help="untimed requests before each scenario")
    parser.add_argument("--concurrency", type=int, default=50, help="concurrent connections")
    parser.add_argument("--max-seconds", type=float, default=25.0, help="time cap per scenario")
    parser.add_argument("--open-rate", type=float, default=300.0, help="offered req/s of the open-loop runs")
    parser.add_argument("--open-seconds", type=float, default=10.0, help="length of each open-loop run")
    parser.add_argument(
        "--part", choices=("all", "single", "topology"), default="all", help="the single process, the topology, or both"
    )
    args = parser.parse_args()
    return asyncio.run(benchmark(args))


if __name__ == "__main__":
    sys.exit(main())
