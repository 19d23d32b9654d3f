"""The production topology in miniature, for tests that break it: a private PostgreSQL cluster and a private Redis
(each stopped and started at will, never the machine's shared ones), the fake WeChat API, and two `jxjy serve`
processes on two ports over them; and a driver that behaves like WeChat's servers.

PostgreSQL refuses to run as root, so the cluster runs as the `postgres` user in a directory it owns. Where that
cannot be done (not root, no PostgreSQL 15 binaries, no redis-server) the tests are skipped with the reason; with
CI=true they fail instead.
"""

import asyncio
import contextlib
import itertools
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace

import aiohttp
import asyncpg
import defusedxml.ElementTree as safe_xml
import pytest

from bot.devtools.chat_client import sign, text_xml
from bot.wechat.endpoint import BUSY
from handlers.chat import CHINA
from storage.ids import uscc_check_character
from tests.conftest import keys_for_tests

ROOT = Path(__file__).resolve().parent.parent
PG_BIN = Path("/usr/lib/postgresql/15/bin")
TOKEN = "faulttoken"
TRY_SECONDS = 5.0  # WeChat waits this long for a reply, then tries again
TRIES = 3
ADMIN = "o_fault_admin"
DEMO_UNIT = "12410100MB0000001" + uscc_check_character("12410100MB0000001")  # 【演示】郑州市第一人民医院


def cannot_run(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true but the fault harness cannot run: {reason}")
    pytest.skip(f"fault harness: {reason}")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _tail(path: Path, lines: int = 40) -> str:
    if not path.exists():
        return f"({path} missing)"
    return f"--- {path.name} ---\n" + "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


class PrivatePostgres:
    """A cluster of our own, as the postgres user, on its own port: stopping it disturbs nobody else."""

    def __init__(self) -> None:
        if os.geteuid() != 0:
            cannot_run("a private PostgreSQL cluster is started as the postgres user, which needs root")
        if not (PG_BIN / "initdb").exists():
            cannot_run(f"no PostgreSQL 15 binaries in {PG_BIN}")
        try:
            self.owner = pwd.getpwnam("postgres")
        except KeyError:
            cannot_run("no postgres user")
        self.root = Path(tempfile.mkdtemp(prefix="jxjy-faults-pg-"))
        os.chown(self.root, self.owner.pw_uid, self.owner.pw_gid)
        self.data, self.log = self.root / "data", self.root / "postgres.log"
        self.port = free_port()
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/postgres"
        self._as_postgres(PG_BIN / "initdb", "-D", self.data, "-A", "trust", "-U", "postgres", "-N", "-E", "UTF8")

    def _as_postgres(self, *command: object) -> None:
        result = subprocess.run(
            ["runuser", "-u", "postgres", "--", *map(str, command)], capture_output=True, text=True, timeout=120
        )
        if result.returncode != 0:
            raise RuntimeError(f"{command[0]} failed: {result.stdout}{result.stderr}\n{_tail(self.log)}")

    def start(self) -> None:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=100"
        self._as_postgres(PG_BIN / "pg_ctl", "-D", self.data, "-l", self.log, "-o", options, "-w", "start")

    def stop(self) -> None:
        self._as_postgres(PG_BIN / "pg_ctl", "-D", self.data, "-m", "fast", "-w", "stop")

    def remove(self) -> None:
        with contextlib.suppress(RuntimeError):
            self.stop()
        shutil.rmtree(self.root, ignore_errors=True)


class PrivateRedis:
    """A redis-server of our own that keeps nothing on disk: a restart comes back empty, as after a crash."""

    def __init__(self, logs: Path) -> None:
        self.binary = shutil.which("redis-server")
        if self.binary is None:
            cannot_run("no redis-server on PATH")
        self.port, self.log = free_port(), logs / "redis.log"
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        with self.log.open("a") as log:
            self.process = subprocess.Popen(
                [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        _wait_for_port(self.port, 10, self.log)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def _wait_for_port(port: int, seconds: float, log: Path) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on {port} after {seconds} s\n{_tail(log)}")


@dataclass
class Fleet:
    """Two `jxjy serve` processes and the fake WeChat API, over one PostgreSQL and one Redis."""

    logs: Path
    postgres: PrivatePostgres
    redis: PrivateRedis
    ports: list[int] = field(default_factory=lambda: [free_port(), free_port()])
    fake_port: int = field(default_factory=free_port)
    workers: list[subprocess.Popen | None] = field(default_factory=lambda: [None, None])
    fake: subprocess.Popen | None = None

    def env(self) -> dict[str, str]:
        return (
            {k: v for k, v in os.environ.items() if not k.startswith(("WECHAT_", "REDIS_", "TEMPLATE_"))}
            | {
                "DATABASE_URL": self.postgres.url,
                "REDIS_URL": self.redis.url,
                "REDIS_PREFIX": "jxjy-faults:",
                "WECHAT_TOKEN": TOKEN,
                "WECHAT_ENCRYPTION": "plain",
                "WECHAT_APP_ID": "wxfaultharness",
                "WECHAT_APP_SECRET": "fault-harness-secret",
                "WECHAT_API_URL": f"http://127.0.0.1:{self.fake_port}",
                "SECRET_KEY": "fault-harness-secret-key-0123456789",
                "OUTBOX_POLL_SECONDS": "0.5",
                "PYTHONPATH": str(ROOT),
            }
            | {name.upper(): str(value) for name, value in keys_for_tests().items()}
        )

    def jxjy(self, *args: str) -> str:
        result = subprocess.run(
            [sys.executable, "-m", "bot.cli", *args],
            cwd=self.logs,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, f"jxjy {' '.join(args)}: {result.stdout}{result.stderr}"
        return result.stdout

    def _spawn(self, name: str, *args: str) -> subprocess.Popen:
        with (self.logs / f"{name}.log").open("a") as log:
            log.write(f"==== started {datetime.now().isoformat()} ====\n")
            log.flush()
            return subprocess.Popen(
                [sys.executable, "-m", "bot.cli", *args],
                cwd=self.logs,
                env=self.env(),
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def prepare(self) -> None:
        self.jxjy("db", "migrate")
        self.jxjy("demo", "load")
        self.jxjy("admin", "add", "--openid", ADMIN, "--name", "审核员", "--role", "unit", "--unit", DEMO_UNIT)
        self.fake = self._spawn("fake-wechat", "fake-wechat", "--port", str(self.fake_port))
        _wait_for_port(self.fake_port, 30, self.logs / "fake-wechat.log")
        for n in range(2):
            self.start_worker(n)

    def start_worker(self, n: int) -> None:
        self.workers[n] = self._spawn(f"worker-{n + 1}", "serve", "--port", str(self.ports[n]))
        _wait_for_port(self.ports[n], 60, self.logs / f"worker-{n + 1}.log")

    def kill_worker(self, n: int) -> None:
        process = self.workers[n]
        assert process is not None
        os.kill(process.pid, signal.SIGKILL)
        process.wait()

    def stop(self) -> None:
        for process in [*self.workers, self.fake]:
            if process is not None and process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()

    def tails(self) -> str:
        names = ["worker-1.log", "worker-2.log", "fake-wechat.log", "redis.log"]
        return "\n".join(_tail(self.logs / name) for name in names) + "\n" + _tail(self.postgres.log)

    async def sent(self) -> list[dict]:
        async with (
            aiohttp.ClientSession() as http,
            http.get(f"http://127.0.0.1:{self.fake_port}/_fake/sent?after=0") as response,
        ):
            return (await response.json())["messages"]

    async def query(self, sql: str, *args: object) -> list[asyncpg.Record]:
        conn = await asyncpg.connect(self.postgres.url.replace("postgres://", "postgresql://", 1), timeout=5)
        try:
            return await conn.fetch(sql, *args)
        finally:
            await conn.close()


class NoAnswer(Exception):
    """Three tries and no reply: WeChat shows the user nothing."""


@dataclass
class Try:
    worker: int
    outcome: str  # "200", "500", "timeout", "dropped" …


class WeChat:
    """Posts each message as WeChat's servers do: signed, waiting TRY_SECONDS for the reply, and when none comes
    trying again with the identical request (same MsgId, timestamp and nonce), TRIES tries in all. The tries go
    to the two workers in turn. A worker that nobody listens at (killed and not yet back) is passed over for the
    other within the same try, as the load balancer in front of them does."""

    def __init__(self, ports: list[int]) -> None:
        self.ports = ports
        self.tries: list[Try] = []
        self.unanswered: list[str] = []
        self._turn = itertools.count()
        self._http: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> "WeChat":
        self._http = aiohttp.ClientSession(connector=aiohttp.TCPConnector(force_close=True))
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._http is not None
        await self._http.close()

    def statuses(self) -> Counter:
        return Counter(t.outcome for t in self.tries)

    async def post(self, xml: str, first: int | None = None) -> str:
        """The text the user sees; NoAnswer after TRIES tries without a reply."""
        signed = sign(SimpleNamespace(wechat_token=TOKEN), xml)
        worker = next(self._turn) % 2 if first is None else first
        for _ in range(TRIES):
            slot = asyncio.get_running_loop().time() + TRY_SECONDS
            reply = await self._try(signed, worker)
            if reply is not None:
                return reply
            worker = 1 - worker
            await asyncio.sleep(max(0.0, slot - asyncio.get_running_loop().time()))
        self.unanswered.append(xml)
        raise NoAnswer(xml)

    async def _try(self, signed, worker: int) -> str | None:
        assert self._http is not None
        for target in (worker, 1 - worker):
            url = f"http://127.0.0.1:{self.ports[target]}/wechat"
            try:
                async with (
                    asyncio.timeout(TRY_SECONDS),
                    self._http.post(url, params=signed.query, data=signed.body.encode()) as response,
                ):
                    body = await response.text()
                    self.tries.append(Try(target, str(response.status)))
                    if response.status != 200:
                        return None
                    return reply_text(body)
            except aiohttp.ClientConnectorError:
                continue  # nobody listens there: the balancer passes the request on
            except TimeoutError:
                self.tries.append(Try(target, "timeout"))
                return None
            except aiohttp.ClientError:
                self.tries.append(Try(target, "dropped"))
                return None
        self.tries.append(Try(worker, "nobody listening"))
        return None


def reply_text(body: str) -> str:
    if body in ("", "success"):
        return ""
    return safe_xml.fromstring(body).findtext("Content") or ""


class OffScript(Exception):
    """A reply that is neither the right answer nor the calm busy reply."""


@dataclass
class Tally:
    busy: int = 0
    answered: int = 0
    off_script: list[str] = field(default_factory=list)
    busy_at: list[float] = field(default_factory=list)  # when each message answered busy was first sent


class Person:
    """A professional chatting with the account. Each errand (register, declare) is a dialog; a busy reply or no
    reply at all ends that attempt, and the person starts the errand over, as a person would, after checking
    whether the last attempt went through after all."""

    def __init__(self, wechat: WeChat, tally: Tally, openid: str, name: str, id_number: str) -> None:
        self.wechat, self.tally = wechat, tally
        self.openid, self.name, self.id_number = openid, name, id_number
        self.registered = False
        self.declared: list[str] = []  # courses the service said it took

    async def says(self, text: str) -> str | None:
        """The reply, or None when it was the busy reply or none came (the attempt is over)."""
        sent = time.monotonic()
        try:
            reply = await self.wechat.post(text_xml(self.openid, text))
        except NoAnswer:
            return None
        if reply == BUSY:
            self.tally.busy += 1
            self.tally.busy_at.append(sent)
            await asyncio.sleep(0.3)
            return None
        self.tally.answered += 1
        return reply

    async def expect(self, text: str, *marks: str) -> str | None:
        reply = await self.says(text)
        if reply is not None and not all(mark in reply for mark in marks):
            self.tally.off_script.append(f"{self.openid} said {text!r}, got {reply!r}, wanted {marks}")
            raise OffScript(reply)
        return reply

    async def cancel(self, deadline: float) -> None:
        """Leaves whatever dialog an attempt cut short left open; a busy reply to 取消 cancelled nothing."""
        while await self.says("取消") is None and time.monotonic() < deadline + 30:
            pass

    async def register(self, deadline: float) -> None:
        while not self.registered and time.monotonic() < deadline + 30:
            await self.cancel(deadline)
            first = await self.says("注册")
            if first is None:
                continue
            if "无需再次注册" in first:  # an earlier attempt went through though its reply was lost
                self.registered = True
                break
            steps = [(self.name, "第 2 步"), (self.id_number, "第 3 步"), ("郑州市第一人民医院", "1. "), ("1", "确认")]
            if "第 1 步" not in first:
                self.tally.off_script.append(f"{self.openid}: 注册 answered {first!r}")
                raise OffScript(first)
            for text, mark in steps:
                if await self.expect(text, mark) is None:
                    break
            else:
                if await self.expect("确认", "证书管理号") is not None:
                    self.registered = True

    async def declare(self, course: str, deadline: float) -> None:
        year = datetime.now(CHINA).year
        steps = [
            ("申报", "第 1 步"),
            ("今年", "第 2 步"),
            ("专业", "第 3 步"),
            (course, "第 4 步"),
            ("郑州大学继续教育学院", "第 5 步"),
            (f"{year}-01-01", "第 6 步"),
            ("2", "第 7 步"),
            ("跳过", course),
        ]
        while time.monotonic() < deadline + 30:
            await self.cancel(deadline)
            for text, mark in steps:
                if await self.expect(text, mark) is None:
                    break
            else:
                if await self.expect("确认", "申报编号") is not None:
                    self.declared.append(course)
                    return
            mine = await self.says("我的申报")
            while mine is None and time.monotonic() < deadline + 30:  # busy: ask again before declaring again
                mine = await self.says("我的申报")
            if mine is not None and course in mine:  # it went through; only the reply was lost
                self.declared.append(course)
                return

    async def looks_up(self) -> None:
        await self.expect("学时", "学时")


class Admin:
    """The unit's admin approving whatever waits, one record a message."""

    def __init__(self, wechat: WeChat, tally: Tally) -> None:
        self.wechat, self.tally = wechat, tally
        self.approved: set[int] = set()

    async def says(self, text: str) -> str | None:
        sent = time.monotonic()
        try:
            reply = await self.wechat.post(text_xml(ADMIN, text))
        except NoAnswer:
            return None
        if reply == BUSY:
            self.tally.busy += 1
            self.tally.busy_at.append(sent)
            await asyncio.sleep(0.3)
            return None
        self.tally.answered += 1
        return reply

    async def approve_what_waits(self) -> int:
        """How many records were waiting (0 when the list said none, -1 when it got no answer)."""
        listing = await self.says("待审")
        if listing is None:
            return -1
        if "没有待审核" in listing:
            return 0
        waiting = [int(n) for n in re.findall(r"^#(\d+) ", listing, re.MULTILINE)]
        for record in waiting:
            reply = await self.says(f"通过 {record}")
            if reply is None:
                continue
            if f"#{record}" not in reply:
                self.tally.off_script.append(f"通过 {record} answered {reply!r}")
            elif "已通过" in reply:
                self.approved.add(record)
        return len(waiting)


async def exactly_once_report(fleet: Fleet, people: list[Person]) -> list[str]:
    """What the database shows against what the people were told; each line a lost or duplicated effect."""
    problems: list[str] = []
    openids = [p.openid for p in people]
    rows = await fleet.query("SELECT openid, count(*) AS n FROM person WHERE openid = ANY($1) GROUP BY openid", openids)
    counted = {r["openid"]: r["n"] for r in rows}
    for person in people:
        if person.registered and counted.get(person.openid) != 1:
            problems.append(f"{person.openid}: told registered, {counted.get(person.openid, 0)} person rows")
        if not person.registered and person.openid in counted:
            problems.append(f"{person.openid}: never told registered, yet in the database")
    rows = await fleet.query(
        "SELECT p.openid, r.course, count(*) AS n FROM hour_record r JOIN person p ON p.id = r.person_id "
        "WHERE p.openid = ANY($1) GROUP BY p.openid, r.course",
        openids,
    )
    records = {(r["openid"], r["course"]): r["n"] for r in rows}
    for person in people:
        for course in person.declared:
            if records.get((person.openid, course)) != 1:
                problems.append(f"{person.openid} {course}: {records.get((person.openid, course), 0)} records")
    told = {(p.openid, c) for p in people for c in p.declared}
    problems += [f"{key}: a record nobody was told of" for key in records if key not in told]
    rows = await fleet.query(
        "SELECT target, count(*) AS n FROM audit_entry WHERE action = 'decided' GROUP BY target HAVING count(*) > 1"
    )
    problems += [f"{r['target']} decided {r['n']} times" for r in rows]
    rows = await fleet.query(
        "SELECT kind, openid, payload::text AS payload, count(*) AS n FROM outbox GROUP BY kind, openid, payload::text "
        "HAVING count(*) > 1"
    )
    problems += [f"outbox {r['kind']} to {r['openid']} written {r['n']} times" for r in rows]
    rows = await fleet.query(
        "SELECT r.id, count(o.id) AS n FROM hour_record r LEFT JOIN outbox o ON o.kind = 'declaration_submitted' "
        "AND (o.payload->>'record_id')::int = r.id GROUP BY r.id HAVING count(o.id) <> 1"
    )
    problems += [f"record {r['id']}: {r['n']} declaration notices in the outbox" for r in rows]
    return problems
