"""Certificate rendering: the renderers alone against their targets, then the service rendering under load.

First the pure renderers, in this process: cold PNG and PDF of certificates never rendered before, and
cache hits. Then the real service (`jxjy serve`) on a throw-away SQLite database: signed "证书" messages
issue certificates, their PDFs and PNGs are downloaded several at a time while signed "学时" messages keep
arriving, and the webhook's latency during rendering is set against its latency with nothing rendering.

    .venv/bin/python bench/certificate.py        # or: make bench, which runs bench/webhook.py first

Exits non-zero only when a request failed, a reply or a document was wrong, or the benchmark crashed;
missed targets are printed.
"""

import argparse
import asyncio
import contextlib
import hashlib
import itertools
import math
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import TypeVar

import aiohttp
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

# Run as a script, so bench/ is on sys.path: the webhook benchmark's seeding, servers and load driver.
from webhook import (
    HOST,
    JXJY,
    SECRET_KEY,
    TOKEN,
    Prepared,
    Result,
    Scenario,
    Seeded,
    Server,
    check,
    configure,
    drive,
    prepare,
    seed,
)

from bot.devtools.chat_client import read_reply
from bot.keys import init_test_keys, load_keys
from bot.settings import Settings
from handlers.certificate import signed_certificate_pdf
from handlers.chat import CHINA
from handlers.qr_token import PROVINCE_REGION, Claims, SigningKey, sign_token
from render.cache import cached_png, default_cache
from render.certificate import Category, Certificate, HoursRecord, RecordSource, YearHours
from render.pdf import certificate_pdf
from render.png import certificate_png
from render.signing import PdfSigner, sign_pdf
from render.warm import warm_up
from storage.ids import id_check_character, mask_id_number, mask_name
from storage.vocabulary import PROVINCE_ISSUER

TARGET_COLD_MS = 400.0  # cold PNG + cold PDF of one certificate
TARGET_WARM_MS = 5.0  # a cache hit, either kind
TARGET_WEBHOOK_MAX_MS = 1000.0  # any webhook reply while the service renders

CERTIFICATE = "证书"
PDF_MAGIC = b"%PDF-"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
PROBE_SECONDS = 0.25  # between two fetches of an already rendered PNG while others render

T = TypeVar("T")


# --- Part 1: the renderers alone -------------------------------------------------------------------

# A year of an engineer's records: 公需 and 专业, typed in, imported in bulk, or carried over from paper.
RECORDS = (
    (Category.PUBLIC, "专业技术人员职业道德与诚信建设", "河南省专业技术人员继续教育基地", "12", RecordSource.DECLARED),
    (Category.PROFESSIONAL, "建筑抗震设计规范（GB 50011）解读与工程实例分析", "郑州大学", "32", RecordSource.DECLARED),
    (Category.PROFESSIONAL, "装配式混凝土建筑施工技术与质量控制", "河南省土木建筑学会", "24", RecordSource.PAPER),
    (Category.PUBLIC, "数字经济与数字化转型", "河南省人力资源和社会保障厅继续教育学院", "18", RecordSource.IMPORTED),
    (Category.PROFESSIONAL, "BIM 技术在工程项目全过程管理中的应用", "河南工业大学", "16.5", RecordSource.IMPORTED),
    (Category.PROFESSIONAL, "绿色建筑评价标准与节能设计", "河南省建设科技协会", "20", RecordSource.DECLARED),
)
RECORDS_PER_YEAR = (4, 3, 3)  # oldest year first: ten records over three years
QR_KEY = SigningKey(Ed25519PrivateKey.generate())


def sample_certificate(run: int, current_year: int) -> Certificate:
    """A realistic certificate; `run` sets the holder and snapshot code, so each run has its own content hash."""
    code = f"BENCH{run:012d}"  # 17 characters, as issued codes are
    first17 = f"410105{1970 + run % 30}0{1 + run % 9}1{run % 10}{run % 1000:03d}"
    id_number = first17 + id_check_character(first17)
    years = []
    start = current_year - len(RECORDS_PER_YEAR) + 1
    for offset, count in enumerate(RECORDS_PER_YEAR):
        records = tuple(
            HoursRecord(category, f"{start + offset} 年度 {course}", provider, Decimal(hours), source)
            for category, course, provider, hours, source in itertools.islice(
                itertools.cycle(RECORDS), offset * 2, offset * 2 + count
            )
        )
        years.append(YearHours(start + offset, records, Decimal(90), Decimal(60)))
    name, cert_number, issued_on = (
        "王" + "伟芳娜敏静丽强磊"[run % 8] + "华",
        f"4101002018{run % 10**6:06d}",
        date(current_year, 3, 1),
    )
    # The QR code holds a signed token, as the service's do: a version 9 or 10 symbol, not a bare code's small one.
    claims = Claims(
        cert_number,
        mask_name(name),
        mask_id_number(id_number),
        PROVINCE_REGION,
        issued_on,
        code,
        hashlib.sha256(code.encode()).digest(),
    )
    return Certificate(
        holder_name=name,
        gender="男" if int(id_number[16]) % 2 else "女",
        id_number=id_number,
        cert_number=cert_number,
        unit="河南省建筑设计研究院有限公司",
        region="郑州市",
        years=tuple(years),
        issuer=PROVINCE_ISSUER,
        issued_on=issued_on,
        snapshot=code,
        verify_url=f"http://{HOST}:8080/v/{sign_token(claims, QR_KEY)}",
    )


@dataclass
class Timing:
    name: str
    seconds: list[float]
    target_ms: float | None = None

    @property
    def median_ms(self) -> float:
        return statistics.median(self.seconds) * 1000

    @property
    def max_ms(self) -> float:
        return max(self.seconds) * 1000


def document_problem(kind: str, body: bytes) -> str | None:
    magic = PDF_MAGIC if kind == "pdf" else PNG_MAGIC
    return None if body.startswith(magic) else f"not a {kind.upper()}: starts with {body[:16]!r}"


def test_signer(directory: Path) -> PdfSigner:
    """The test CA's signing certificate, as `jxjy keys init` makes it: signing costs the same with a real one."""
    p12, qr = directory / "signing.p12", directory / "qr-ed25519.pem"
    init_test_keys(p12, "", qr)
    settings = Settings(wechat_token=TOKEN, secret_key=SECRET_KEY, signing_p12=p12, qr_signing_key=qr, _env_file=None)
    return load_keys(settings).pdf


def time_renderers(runs: int, current_year: int, signer: PdfSigner) -> tuple[list[Timing], float, list[str]]:
    """Cold and cached renders; returns the timings, the warm-up's own time, and any bad output."""
    started = time.perf_counter()
    warm_up()  # Pango, fontconfig, font files and the seal load once per process: not what a request pays
    warm_up_seconds = time.perf_counter() - started

    png: list[float] = []
    pdf: list[float] = []
    signing: list[float] = []
    both: list[float] = []
    problems: list[str] = []
    for run in range(runs):
        data = sample_certificate(run, current_year)  # new content: no cache anywhere has seen it
        started = time.perf_counter()
        png_bytes = certificate_png(data)
        rendered_png = time.perf_counter()
        pdf_bytes = certificate_pdf(data)
        rendered_pdf = time.perf_counter()
        pdf_bytes = sign_pdf(pdf_bytes, signer)
        signed = time.perf_counter()
        png.append(rendered_png - started)
        pdf.append(rendered_pdf - rendered_png)
        signing.append(signed - rendered_pdf)
        both.append(signed - started)
        problems += filter(None, (document_problem("png", png_bytes), document_problem("pdf", pdf_bytes)))

    # One certificate rendered once through the cache (misses, not timed), then hit `runs` times. Each hit gets
    # an equal but new Certificate, as each request in the service does, so the content hash is computed again.
    # The signed PDF is stored once per snapshot; a worker that has served it keeps it in memory, and the
    # handler's own lookup (the path every later request takes) is what is timed.
    cached_png(sample_certificate(runs, current_year))
    snapshot = SimpleNamespace(code=sample_certificate(runs, current_year).snapshot, id=0)
    default_cache.put(
        "signed-pdf:weasyprint",
        snapshot.code,
        sign_pdf(certificate_pdf(sample_certificate(runs, current_year)), signer),
    )
    warm_png: list[float] = []
    warm_pdf: list[float] = []
    loop = asyncio.new_event_loop()
    for _ in range(runs):
        data = sample_certificate(runs, current_year)
        started = time.perf_counter()
        png_bytes = cached_png(data)
        warm_png.append(time.perf_counter() - started)
        started = time.perf_counter()
        pdf_bytes = loop.run_until_complete(signed_certificate_pdf(snapshot, None, None, signer, "weasyprint"))
        warm_pdf.append(time.perf_counter() - started)
        problems += filter(None, (document_problem("png", png_bytes), document_problem("pdf", pdf_bytes)))
    loop.close()

    timings = [
        Timing("cold PNG", png),
        Timing("cold PDF", pdf),
        Timing("signing the PDF", signing),
        Timing("cold PNG + signed PDF", both, TARGET_COLD_MS),
        Timing("warm PNG (cache hit)", warm_png, TARGET_WARM_MS),
        Timing("warm signed PDF (stored)", warm_pdf, TARGET_WARM_MS),
    ]
    return timings, warm_up_seconds, problems


def report_renderers(timings: list[Timing], warm_up_seconds: float, runs: int) -> None:
    print()
    print(f"Renderers in this process, {runs} runs each; a certificate of 3 years and 10 records")
    print(f"  warm_up() ran first and took {warm_up_seconds:.2f} s (Pango, fontconfig, fonts, seal): excluded")
    print("  cold: content never rendered before (its own snapshot code); warm: a RenderCache hit")
    print(f"{'render':<24}{'median ms':>11}{'max ms':>10}{'target ms':>11}{'median/target':>15}{'max/target':>12}")
    for t in timings:
        if t.target_ms is None:
            print(f"{t.name:<24}{t.median_ms:>11.1f}{t.max_ms:>10.1f}")
        else:
            print(
                f"{t.name:<24}{t.median_ms:>11.2f}{t.max_ms:>10.2f}{t.target_ms:>11.0f}"
                f"{t.median_ms / t.target_ms:>15.2f}{t.max_ms / t.target_ms:>12.2f}"
            )
    print()
    print(f"Targets: cold PNG + PDF <= {TARGET_COLD_MS:.0f} ms, cache hit <= {TARGET_WARM_MS:.0f} ms")
    for t in timings:
        if t.target_ms is not None:
            print(
                f"  {t.name:<22} median {t.median_ms:7.2f} ms {'met' if t.median_ms <= t.target_ms else 'MISSED'}, "
                f"max {t.max_ms:7.2f} ms {'met' if t.max_ms <= t.target_ms else 'MISSED'}"
            )


# --- Part 2: the service, rendering under webhook load ---------------------------------------------


@dataclass(frozen=True)
class Fetch:
    url: str
    kind: str  # "pdf" or "png"
    seconds: float
    size: int
    problem: str | None


async def issue_certificates(
    session: aiohttp.ClientSession,
    settings: Settings,
    service: Server,
    holders: list[str],
    msg_ids: Iterator[int],
) -> tuple[list[str], list[float], list[str]]:
    """Send "证书" from each holder; returns the holder links from the news replies, latencies and problems."""
    posts = prepare(settings, service, False, iter(holders), msg_ids, len(holders), content=CERTIFICATE)
    latencies, responses, _ = await drive(session, posts, concurrency=4, max_seconds=30)
    links: list[str] = []
    problems: list[str] = []
    prefix = f"{service.base}/c/"
    for post, response in zip(posts, responses, strict=True):
        if response is None:
            problems.append(f"证书 for {post.openid} not sent in time")
            continue
        status, body = response
        if status != 200:
            problems.append(f"证书 for {post.openid}: HTTP {status}: {body[:200]}")
            continue
        # A news reply reads "【title】description" then the article's URL on the last line.
        link = read_reply(settings, body, post.query).rsplit("\n", 1)[-1]
        if link.startswith(prefix) and len(link) > len(prefix):
            links.append(link)
        else:
            problems.append(f"证书 for {post.openid}: no certificate link in {body[:300]!r}")
    return links, latencies, problems


async def fetch_document(session: aiohttp.ClientSession, link: str, kind: str) -> Fetch:
    """GET a holder link's certificate.pdf or .png, and check it is one."""
    url = f"{link}/certificate.{kind}"
    sent = time.perf_counter()
    try:
        async with session.get(url) as response:
            body = await response.read()
            status = response.status
        problem = f"HTTP {status}: {body[:200]!r}" if status != 200 else document_problem(kind, body)
    except (aiohttp.ClientError, TimeoutError) as error:
        body, problem = b"", f"{type(error).__name__}: {error}"
    return Fetch(url, kind, time.perf_counter() - sent, len(body), problem)


async def fetch_documents(
    session: aiohttp.ClientSession, links: Sequence[str], concurrency: int, max_seconds: float
) -> tuple[list[Fetch], float]:
    """Download each link's PDF and PNG over `concurrency` connections; returns the fetches and the wall time."""
    jobs = iter([(link, kind) for link in links for kind in ("pdf", "png")])  # shared: one loop, no lock
    fetches: list[Fetch] = []
    started = time.perf_counter()
    deadline = started + max_seconds

    async def worker() -> None:
        for link, kind in jobs:
            if time.perf_counter() > deadline:
                return
            fetches.append(await fetch_document(session, link, kind))

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return fetches, time.perf_counter() - started


async def fetch_while_probing(
    session: aiohttp.ClientSession,
    probe: aiohttp.ClientSession,
    links: Sequence[str],
    rendered_link: str,
    args: argparse.Namespace,
) -> tuple[list[Fetch], float, list[Fetch]]:
    """fetch_documents, while an already rendered PNG is fetched again every PROBE_SECONDS on its own
    connection: a cache hit has nothing to render, so it should not wait for the renders queued before it."""
    done = asyncio.Event()

    async def probing() -> list[Fetch]:
        hits: list[Fetch] = []
        while not done.is_set():
            hits.append(await fetch_document(probe, rendered_link, "png"))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(done.wait(), PROBE_SECONDS)
        return hits

    task = asyncio.create_task(probing())
    try:
        fetches, seconds = await fetch_documents(session, links, args.render_concurrency, args.max_seconds)
    finally:
        done.set()
        hits = await task
    return fetches, seconds, hits


@dataclass
class LoadPlan:
    """What drives the webhook while something else happens: signed 学时 posts and checks of the replies."""

    session: aiohttp.ClientSession
    settings: Settings
    service: Server
    openids: Iterator[str]
    msg_ids: Iterator[int]
    seeded: dict[str, Seeded]
    current_year: int
    args: argparse.Namespace

    async def during(self, name: str, work: Awaitable[T]) -> tuple[Result, T]:
        """Post 学时 at a steady rate for exactly as long as `work` runs; every reply is checked afterwards."""
        # Enough posts for the longest phase; unsent ones are skipped by check().
        count = math.ceil(self.args.rate * (self.args.max_seconds + 5))
        posts = prepare(self.settings, self.service, False, self.openids, self.msg_ids, count)
        stop = asyncio.Event()
        load = asyncio.create_task(
            drive(self.session, posts, self.args.connections, self.args.max_seconds + 5, self.args.rate, stop)
        )
        try:
            outcome = await work
        finally:
            stop.set()  # in-flight posts finish and count: they were sent while `work` ran
            latencies, responses, elapsed = await load
        return self.result(name, posts, latencies, responses, elapsed), outcome

    def result(
        self,
        name: str,
        posts: Sequence[Prepared],
        latencies: list[float],
        responses: Sequence[tuple[int, str] | None],
        elapsed: float,
    ) -> Result:
        scenario = Scenario(name, self.service, safe=False, is_baseline=False)
        errors, problems = check(scenario, self.settings, posts, responses, self.seeded, self.current_year)
        return Result(scenario, latencies, elapsed, errors, problems)


@dataclass
class LoadReport:
    issued: int
    issue_latencies: list[float]
    first: list[Fetch]  # the first PDF and PNG after start-up, alone
    fetches: list[Fetch]  # the concurrent part
    hits: list[Fetch]  # an already rendered PNG, fetched again during the concurrent part
    render_seconds: float
    webhook: list[Result]
    problems: list[str]

    @property
    def certificates(self) -> int:
        """Holders whose PDF and PNG both came back well-formed."""

        def good(kind: str) -> set[str]:
            return {f.url.rsplit("/", 1)[0] for f in self.fetches if f.kind == kind and f.problem is None}

        return len(good("pdf") & good("png"))


async def under_load(args: argparse.Namespace, workdir: Path, current_year: int) -> tuple[LoadReport, Server]:
    database_url = f"sqlite://{workdir / 'bench.sqlite3'}"
    settings, env = configure(database_url, workdir)
    print(f"Seeding {database_url}")
    seeded = await seed(database_url, args.people, current_year)

    # The reply's links point at PUBLIC_URL: the service's own address, so they can be fetched directly.
    service = Server("service", [str(JXJY), "serve"], env, workdir)
    service.env = env | {"PUBLIC_URL": str(service.base)}
    everyone = list(seeded)
    random.Random(1).shuffle(everyone)
    # One holder more than asked: the first certificate after start-up is timed and reported on its own.
    holders = [openid for openid in everyone if seeded[openid].hours][: args.holders + 1]
    msg_ids = itertools.count(int(time.time()) * 1000)
    problems: list[str] = []

    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2)) as probe:
            await service.start(probe)
        print(f"Started service on port {service.port}, PUBLIC_URL={service.base}")
        webhook_session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=args.connections), timeout=aiohttp.ClientTimeout(total=10)
        )
        render_session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=args.render_concurrency), timeout=aiohttp.ClientTimeout(total=30)
        )
        probe_session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))
        async with webhook_session, render_session, probe_session:
            links, issue_latencies, issue_problems = await issue_certificates(
                webhook_session, settings, service, holders, msg_ids
            )
            problems += issue_problems
            print(f"  issued {len(links)} certificates with 证书")
            if not links:
                raise RuntimeError("no certificate was issued:\n" + "\n".join(problems[:3]))

            plan = LoadPlan(
                webhook_session, settings, service, itertools.cycle(everyone), msg_ids, seeded, current_year, args
            )
            # Untimed: opens the keep-alive connections the phases below reuse.
            warm = prepare(settings, service, False, plan.openids, msg_ids, 100)
            await drive(webhook_session, warm, args.connections, args.max_seconds)

            # The first certificate alone: a start-up cost the service has not paid yet (fonts, Pango) shows here,
            # and is over before the baseline, which must see no rendering at all.
            first_links, links = links[:1], links[1:]
            start_up, (first, _) = await plan.during(
                "first render (start-up)", fetch_documents(render_session, first_links, 1, args.max_seconds)
            )
            print("  first certificate after start-up rendered")
            quiet, _ = await plan.during("no rendering (baseline)", asyncio.sleep(args.baseline_seconds))
            print(f"  webhook alone for {args.baseline_seconds:.0f} s")
            rendering, (fetches, render_seconds, hits) = await plan.during(
                f"rendering {args.render_concurrency} at once",
                fetch_while_probing(render_session, probe_session, links, first_links[0], args),
            )
            print(f"  {len(fetches)} documents fetched in {render_seconds:.1f} s")
    finally:
        await service.stop()

    for fetch in first + fetches + hits:
        if fetch.problem is not None:
            problems.append(f"{fetch.url}: {fetch.problem}")
    report = LoadReport(
        len(links) + len(first_links),
        issue_latencies,
        first,
        fetches,
        hits,
        render_seconds,
        [quiet, start_up, rendering],
        problems,
    )
    return report, service


def summary_ms(seconds: Sequence[float]) -> str:
    if not seconds:
        return "none"

    def ms(value: float) -> str:
        return f"{value * 1000:.0f} ms" if value >= 0.1 else f"{value * 1000:.1f} ms"

    return f"p50 {ms(statistics.median(seconds))}, max {ms(max(seconds))}"


def report_load(report: LoadReport, args: argparse.Namespace) -> None:
    print()
    print(
        f"Service under load: 学时 at {args.rate:.0f} req/s offered over {args.connections} connections (plaintext), "
        f"certificates downloaded {args.render_concurrency} at a time"
    )
    print(f"  证书: {report.issued} certificates issued, replies {summary_ms(report.issue_latencies)}")
    first = ", ".join(f"{f.kind.upper()} {f.seconds:.2f} s" for f in report.first)
    print(f"  first certificate after start-up, alone: {first} (any start-up cost not paid at start shows here)")
    megabytes = sum(f.size for f in report.fetches) / 2**20
    rate = report.certificates / report.render_seconds if report.render_seconds else float("nan")
    print(
        f"  rendered {report.certificates} certificates ({len(report.fetches)} documents, {megabytes:.1f} MB) "
        f"in {report.render_seconds:.1f} s: {rate:.2f} certificates/s"
    )
    for kind in ("pdf", "png"):
        seconds = [f.seconds for f in report.fetches if f.kind == kind]
        print(f"    {kind.upper()} downloads under load: {summary_ms(seconds)}")
    hits = [f.seconds for f in report.hits]
    print(f"    an already rendered PNG fetched {len(hits)} times meanwhile (cache hit): {summary_ms(hits)}")
    print()
    print(
        f"{'学时 webhook while':<28}{'requests':>9}{'errors':>8}{'req/s':>8}"
        f"{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}{'max/target':>12}"
    )
    for r in report.webhook:
        top = max(r.latencies, default=float("nan")) * 1000
        print(
            f"{r.scenario.name:<28}{r.requests:>9}{r.errors:>8}{r.rate:>8.0f}{r.percentile_ms(50):>9.1f}"
            f"{r.percentile_ms(99):>9.1f}{top:>9.1f}{top / TARGET_WEBHOOK_MAX_MS:>12.2f}"
        )
    print()
    print(f"Target: no webhook reply over {TARGET_WEBHOOK_MAX_MS:.0f} ms while the service renders")
    for r in report.webhook[1:]:
        top = max(r.latencies, default=float("nan")) * 1000
        print(f"  {r.scenario.name:<26} max {top:7.1f} ms {'met' if top <= TARGET_WEBHOOK_MAX_MS else 'MISSED'}")
    for r in report.webhook:
        for problem in r.problems:
            print(f"  {r.scenario.name}: {problem}")
    for problem in report.problems[:5]:
        print(f"  {problem}")


# --- Main ------------------------------------------------------------------------------------------


async def benchmark(args: argparse.Namespace) -> int:
    current_year = datetime.now(CHINA).year  # the service counts years in Beijing time
    with tempfile.TemporaryDirectory(prefix="jxjy-bench-keys-") as keys:
        # In a thread of its own: pyHanko signs through asyncio.run, which needs a thread with no running loop.
        timings, warm_up_seconds, render_problems = await asyncio.to_thread(
            time_renderers, args.runs, current_year, test_signer(Path(keys))
        )
    report_renderers(timings, warm_up_seconds, args.runs)
    for problem in render_problems[:5]:
        print(f"  {problem}")
    print()

    with tempfile.TemporaryDirectory(prefix="jxjy-bench-") as tmp:
        load, service = await under_load(args, Path(tmp), current_year)
        report_load(load, args)
        problems = service.log_problems()
        if problems:
            print(f"\nThe service logged {len(problems)} warnings or errors, for example:")
            print("\n".join(f"  {line}" for line in problems[:5]))
    failed = render_problems or load.problems or any(r.errors for r in load.webhook)
    return 1 if failed else 0


def main() -> int:
    parser = argparse.ArgumentParser(description="Benchmark certificate rendering, alone and inside the service.")
    parser.add_argument("--runs", type=int, default=10, help="timed renders of each kind, in process")
    parser.add_argument("--people", type=int, default=2_000, help="registered people to seed")
    parser.add_argument("--holders", type=int, default=30, help="certificates to render in the service")
    parser.add_argument("--render-concurrency", type=int, default=4, help="documents downloaded at once")
    parser.add_argument("--connections", type=int, default=10, help="webhook connections")
    parser.add_argument("--rate", type=float, default=100.0, help="学时 messages offered per second")
    parser.add_argument("--baseline-seconds", type=float, default=5.0, help="webhook alone, no rendering")
    parser.add_argument("--max-seconds", type=float, default=45.0, help="time cap on each rendering phase")
    args = parser.parse_args()
    return asyncio.run(benchmark(args))


if __name__ == "__main__":
    sys.exit(main())
