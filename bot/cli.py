"""The `jxjy` command. Only `jxjy db migrate` changes the database's structure; every other command that touches
the database refuses one behind the code."""

import argparse
import asyncio
import contextlib
import ctypes
import ctypes.util
import gc
import getpass
import json
import multiprocessing
import multiprocessing.connection
import signal
import sys
import urllib.request
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import uvloop
from aiohttp import web
from pydantic import ValidationError
from yarl import URL

from bot.app import WORKER, make_app
from bot.devtools.chat_client import run_chat_client
from bot.devtools.fake_wechat import fake_wechat_runner, run_fake_wechat
from bot.keys import TEST_CA_NAME, KeyProblem, Keys, init_test_keys, load_keys
from bot.logs import configure_logging
from bot.settings import Settings
from bot.wechat.api import MAX_QRCODE_SECONDS, WeChatApi, WeChatApiError, WeChatApiUnavailable
from bot.wechat.menu import load_menu
from handlers.admin_bind import SCENE_PREFIX
from handlers.chat import CHINA
from handlers.hours_import import HEADER as IMPORT_HEADER
from handlers.hours_import import ImportNeedsConfirmation, ImportRefused, import_file
from handlers.qr_token import PublicKey, TokenInvalid, UnknownKey, read_token, token_of_link
from handlers.urls import Urls
from render.cache import render_in_thread
from render.warm import warm_up
from storage.admins import add_admin, create_invite, resolve_scope
from storage.certificates import SnapshotNotFound, file_seal, revoke
from storage.db import database, make_migrations, migrate_database, schema_status
from storage.errors import AdminScopeInvalid, AlreadyAdmin, DuplicateUnit, InvalidCreditCode, UnknownRegion
from storage.models import AdminRole
from storage.regions import PROVINCE_CODE, henan_regions, load_regions
from storage.schema import MIGRATE_COMMAND, SchemaBehind, SchemaUnknown
from storage.summary_store import rebuild_person_years
from storage.units import add_unit, load_demo_units
from storage.vocabulary import PROVINCE_ISSUER

# Where the local fake WeChat API keeps what the service sent and what was uploaded, across restarts.
FAKE_WECHAT_KEPT = Path("var/fake-wechat")
# On SIGTERM, how long requests in flight may take to finish: WeChat waits 5 s for an answer, then retries.
SHUTDOWN_SECONDS = 10.0


def _with_database(settings: Settings, work: Callable[[], Awaitable[int]]) -> int:
    async def run() -> int:
        async with database(settings.database_url):
            return await work()

    try:
        return asyncio.run(run())
    except SchemaBehind as behind:
        print(behind, file=sys.stderr)
        return 2


def cmd_db_migrate(settings: Settings, args: argparse.Namespace) -> int:
    try:
        applied = asyncio.run(migrate_database(settings.database_url))
    except SchemaUnknown as unknown:
        print(unknown, file=sys.stderr)
        return 2
    print(f"已执行迁移：{'、'.join(applied)}。" if applied else "数据库结构已是最新，无需迁移。")
    return 0


def cmd_db_status(settings: Settings, args: argparse.Namespace) -> int:
    status = asyncio.run(schema_status(settings.database_url))
    print(f"已执行的迁移：{'、'.join(status.applied) or '无'}")
    print(f"待执行的迁移：{'、'.join(status.pending) or '无'}")
    if status.adoptable:
        print(
            f"数据库由早先版本建表、没有迁移记录：{MIGRATE_COMMAND} 会先核对表结构，"
            "把第一个迁移记为已执行，再执行其余迁移。"
        )
    if status.pending:
        print(f"请运行 {MIGRATE_COMMAND}。")
        return 1
    return 0


def cmd_db_makemigrations(settings: Settings, args: argparse.Namespace) -> int:
    written = asyncio.run(make_migrations(args.name))
    for path in written:
        print(f"已生成 {path}")
    if not written:
        print("模型与迁移一致，未生成新迁移。")
    return 0


def cmd_db_rebuild_summaries(settings: Settings, args: argparse.Namespace) -> int:
    async def work() -> int:
        rows = await rebuild_person_years()
        print(f"已按学时记录重算每人每年的学时汇总，共 {rows} 条。")
        return 0

    return _with_database(settings, work)


NEEDS_REDIS = (
    "未启动：--workers {workers} 需要设置 REDIS_URL。几个进程须共用重试应答、用户锁、限流和 access_token，"
    "否则同一条消息可能在两个进程里各办一次。请设置 REDIS_URL（见 .env.example），或使用 --workers 1。"
)


def cmd_serve(settings: Settings, args: argparse.Namespace) -> int:
    if args.workers < 1:
        print("未启动：--workers 至少为 1。", file=sys.stderr)
        return 2
    if args.workers > 1 and not settings.redis_url:
        print(NEEDS_REDIS.format(workers=args.workers), file=sys.stderr)
        return 2
    try:
        keys = load_keys(settings)
    except KeyProblem as problem:
        print(f"未启动：{problem}", file=sys.stderr)
        return 2
    status = asyncio.run(schema_status(settings.database_url))
    if status.pending:
        print(f"未启动：{SchemaBehind(status.pending)}", file=sys.stderr)
        return 2
    if keys.is_test:
        print("======== 注意：使用测试密钥签名（jxjy 测试 CA，非正式），证书页显示“测试证书” ========")
    configure_logging()
    if args.workers == 1:
        _run_worker(settings, keys, args.host, args.port, None)
        return 0

    async def schema_ready() -> int:
        return 0

    _with_database(settings, schema_ready)  # once, before the workers start, so they do not race to add reference rows
    return _run_workers(settings, keys, args.host, args.port, args.workers)


def _run_worker(settings: Settings, keys: Keys, host: str, port: int, worker: int | None) -> None:
    # SQLite runs in a worker thread: hand the GIL between it and the event loop every 0.5 ms, not Python's
    # default 5 ms, or each query can wait that long for its result to be picked up.
    sys.setswitchinterval(0.0005)
    with contextlib.suppress(KeyboardInterrupt):
        uvloop.run(_serve(settings, keys, host, port, worker))  # a faster loop for the webhook's many small requests


def _run_workers(settings: Settings, keys: Keys, host: str, port: int, workers: int) -> int:
    """N processes on one port (SO_REUSEPORT: the kernel spreads connections over them), sharing state in Redis.
    When one ends, the others are stopped too, so a supervisor (systemd) restarts the service whole."""
    context = multiprocessing.get_context("fork")  # nothing runs yet in this process: nothing to copy badly
    processes = [
        context.Process(target=_run_worker, args=(settings, keys, host, port, n), name=f"jxjy-worker-{n}")
        for n in range(1, workers + 1)
    ]
    for process in processes:
        process.start()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        multiprocessing.connection.wait([process.sentinel for process in processes])
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        for process in processes:
            if process.is_alive():
                process.terminate()
        for process in processes:
            process.join()
    failed = [process for process in processes if process.exitcode not in (0, -signal.SIGTERM, -signal.SIGINT)]
    for process in failed:
        print(f"{process.name} 退出，代码 {process.exitcode}", file=sys.stderr)
    return 1 if failed else 0


async def _serve(settings: Settings, keys: Keys, host: str, port: int, worker: int | None = None) -> None:
    """The service; and, when WECHAT_API_URL points at this machine, the fake WeChat API beside it (in the first
    worker only). `worker` is this process's number when several share the port."""
    runners = []
    # SIGTERM (systemd, or the parent of several workers) and Ctrl-C stop the service gracefully: the port is
    # closed, requests in flight get their answers, the outbox finishes the row in hand, then the process exits 0.
    stopping = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(signum, stopping.set)
    try:
        api = URL(settings.wechat_api_url)
        if api.host in ("127.0.0.1", "localhost") and api.port and worker in (None, 1):
            fake = fake_wechat_runner(settings.wechat_app_id, settings.wechat_app_secret, FAKE_WECHAT_KEPT)
            await fake.setup()
            try:
                await web.TCPSite(fake, api.host, api.port).start()
                runners.append(fake)
                print(f"======== Fake WeChat API on {api} (WECHAT_API_URL) ========")
            except OSError:
                await fake.cleanup()
                print(f"======== Using the WeChat API already answering on {api} ========")
        app = make_app(settings, keys=keys)
        if worker is not None:
            app[WORKER] = worker
        service = web.AppRunner(app, access_log=None, shutdown_timeout=SHUTDOWN_SECONDS)
        await service.setup()
        runners.append(service)
        await web.TCPSite(service, host, port, reuse_port=worker is not None).start()
        name = "" if worker is None else f" (worker {worker})"
        print(f"======== Running on http://{host}:{port} (POST /wechat){name} ========", flush=True)
        # The first PDF in a process pays about a second for fonts and Pango: pay it now, off the event loop.
        await render_in_thread(lambda _data: warm_up(signer=keys.pdf), None)
        # What start-up built lives as long as the process: keep the collector from walking it again and again.
        gc.freeze()
        _give_back_freed_memory()
        await stopping.wait()
    finally:
        for runner in reversed(runners):
            await runner.cleanup()


def _give_back_freed_memory() -> None:
    """Hand the warm-up's freed heap back to the system (glibc keeps it otherwise): each worker's resident size."""
    if (libc := ctypes.util.find_library("c")) is not None:
        with contextlib.suppress(OSError, AttributeError):  # not glibc
            ctypes.CDLL(libc).malloc_trim(0)


def cmd_fake_wechat(settings: Settings, args: argparse.Namespace) -> int:
    run_fake_wechat(args.host, args.port, settings.wechat_app_id, settings.wechat_app_secret, FAKE_WECHAT_KEPT)
    return 0


def cmd_regions_load(settings: Settings, args: argparse.Namespace) -> int:
    async def work() -> int:
        count = await load_regions()
        print(f"已载入河南省行政区划 {count} 个（省、省辖市、济源、省直管县(市)）。")
        return 0

    return _with_database(settings, work)


def cmd_unit_add(settings: Settings, args: argparse.Namespace) -> int:
    async def work() -> int:
        try:
            unit = await add_unit(args.name, args.code, args.region, industry=args.industry)
        except InvalidCreditCode:
            print(f"统一社会信用代码 {args.code} 无效（GB 32100 校验不通过）。", file=sys.stderr)
            return 2
        except UnknownRegion:
            print(f"行政区划代码 {args.region} 不存在；请先运行 `jxjy regions load`。", file=sys.stderr)
            return 2
        except DuplicateUnit as duplicate:
            print(f"该统一社会信用代码已登记（{duplicate.name}），未重复添加。", file=sys.stderr)
            return 2
        print(f"已添加单位：{unit.name}（{unit.credit_code}）")
        return 0

    return _with_database(settings, work)


def cmd_demo_load(settings: Settings, args: argparse.Namespace) -> int:
    async def work() -> int:
        await load_regions()
        count = await load_demo_units()
        print(f"已载入 {count} 个演示单位。" if count else "已有单位，未载入演示单位。")
        return 0

    return _with_database(settings, work)


def cmd_chat(settings: Settings, args: argparse.Namespace) -> int:
    if args.safe and not settings.safe_mode:
        print("--safe 需要在 .env 中设置 WECHAT_AES_KEY。", file=sys.stderr)
        return 2
    # in compat and safe mode the service reads encrypted messages only, so the client encrypts every one
    asyncio.run(run_chat_client(settings, args.openid, args.url, args.safe or settings.encrypted_only))
    return 0


def cmd_menu_show(settings: Settings, args: argparse.Namespace) -> int:
    print(json.dumps(load_menu(), ensure_ascii=False, indent=2))
    return 0


def cmd_menu_push(settings: Settings, args: argparse.Namespace) -> int:
    async def push() -> int:
        async with _api(settings) as api:
            try:
                await api.create_menu(load_menu())
            except (WeChatApiError, WeChatApiUnavailable) as error:
                print(f"菜单推送失败：{error}", file=sys.stderr)
                return 1
        print(f"已推送菜单到 {settings.wechat_api_url}。")
        return 0

    return asyncio.run(push())


def cmd_wechat_callback_ips(settings: Settings, args: argparse.Namespace) -> int:
    async def fetch() -> int:
        async with _api(settings) as api:
            try:
                addresses = await api.callback_ips()
            except (WeChatApiError, WeChatApiUnavailable) as error:
                print(f"获取失败：{error}", file=sys.stderr)
                return 1
        print(json.dumps(addresses))
        print(
            f"以上 {len(addresses)} 个地址可填入 WECHAT_CALLBACK_IPS（微信会不定期调整，请定期更新）。", file=sys.stderr
        )
        return 0

    return asyncio.run(fetch())


def _api(settings: Settings) -> WeChatApi:
    return WeChatApi(settings.wechat_api_url, settings.wechat_app_id, settings.wechat_app_secret)


def cmd_admin_add(settings: Settings, args: argparse.Namespace) -> int:
    async def work() -> int:
        try:
            scope = await resolve_scope(AdminRole(args.role), args.unit, args.region)
            admin = await add_admin(args.openid, scope, {"name": args.name}, actor="cli")
        except AdminScopeInvalid as invalid:
            print(f"范围不对：{invalid}", file=sys.stderr)
            return 2
        except AlreadyAdmin:
            print("该 openid 已是管理员。", file=sys.stderr)
            return 2
        print(f"已添加管理员 {admin.name}（{admin.role}，编号 {admin.id}）。")
        return 0

    return _with_database(settings, work)


def cmd_admin_invite(settings: Settings, args: argparse.Namespace) -> int:
    async def work() -> int:
        try:
            scope = await resolve_scope(AdminRole(args.role), args.unit, args.region)
        except AdminScopeInvalid as invalid:
            print(f"范围不对：{invalid}", file=sys.stderr)
            return 2
        hours = args.hours or settings.admin_invite_hours
        valid_for = timedelta(hours=hours)
        invite = await create_invite(scope, datetime.now(UTC), valid_for)
        print(f"邀请码：{invite.code}（{hours} 小时内有效，仅可使用一次）")
        print(f"被邀请人向服务号发送：绑定管理员 {invite.code}")
        async with _api(settings) as api:
            try:
                seconds = min(int(valid_for.total_seconds()), MAX_QRCODE_SECONDS)
                _ticket, url = await api.create_qrcode(SCENE_PREFIX + invite.code, seconds)
                print(f"或扫描二维码：{url}")
            except (WeChatApiError, WeChatApiUnavailable) as error:
                print(f"（未能生成二维码：{error}）")
        return 0

    return _with_database(settings, work)


def cmd_cert_revoke(settings: Settings, args: argparse.Namespace) -> int:
    async def work() -> int:
        try:
            await revoke(args.snapshot.strip().upper(), args.reason, datetime.now(UTC), f"cli:{getpass.getuser()}")
        except SnapshotNotFound:
            print(f"没有找到核验码为 {args.snapshot} 的未撤销证书。", file=sys.stderr)
            return 2
        print(f"已撤销核验码为 {args.snapshot} 的证书：{args.reason}")
        return 0

    return _with_database(settings, work)


def cmd_seal_file(settings: Settings, args: argparse.Namespace) -> int:
    async def work() -> int:
        try:
            filing = await file_seal(args.region, args.issuer, datetime.now(UTC), f"cli:{getpass.getuser()}")
        except UnknownRegion:
            print(f"{args.region} 不是省辖市或省直管县(市)的区划代码。", file=sys.stderr)
            return 2
        print(f"已备案：{args.region} 的新证书将加盖“{filing.issuer}专业技术人员继续教育专用章”。")
        return 0

    return _with_database(settings, work)


def cmd_hours_import(settings: Settings, args: argparse.Namespace) -> int:
    async def work() -> int:
        now = datetime.now(UTC)
        try:
            actor, today = f"cli:{getpass.getuser()}", now.astimezone(CHINA).date()
            count = await import_file(Path(args.file), actor, now, today, confirmed=args.yes)
        except ImportRefused as refused:
            print(f"未导入：{len(refused.problems)} 行有误，请改正后重新导入（整个文件都未导入）。", file=sys.stderr)
            for problem in refused.problems:
                print(f"  第 {problem.line} 行：{problem.reason}", file=sys.stderr)
            return 2
        except ImportNeedsConfirmation as asked:
            print(
                f"未导入：{len(asked.similar)} 行与已有记录或本文件的其他行相近（同一人、同一年度、同一课程），"
                "请核对是否重复。"
                "确认不是重复录入的，请加 --yes 重新导入（整个文件都未导入）。",
                file=sys.stderr,
            )
            for problem in asked.similar:
                print(f"  第 {problem.line} 行：{problem.reason}", file=sys.stderr)
            return 3
        print(f"已导入 {count} 条学时记录。")
        return 0

    if not Path(args.file).is_file():
        print(f"找不到文件 {args.file}", file=sys.stderr)
        return 2
    return _with_database(settings, work)


def cmd_keys_init(settings: Settings, args: argparse.Namespace) -> int:
    written = init_test_keys(settings.signing_p12, settings.signing_p12_password, settings.qr_signing_key)
    for path in written:
        print(f"已生成 {path}")
    if written:
        print(f"以上为测试密钥（{TEST_CA_NAME}），仅供本地试用和测试；用它签名的证书在验证页显示“测试证书”。")
    else:
        print(f"密钥已存在（{settings.signing_p12}，{settings.qr_signing_key}），未改动。")
    return 0


def cmd_verify_qr(settings: Settings, args: argparse.Namespace) -> int:
    source = args.keys or Urls(settings.public_url).published_keys()
    try:
        keys = _published_keys(source)
    except (OSError, ValueError, KeyError) as error:
        print(f"无法读取公钥 {source}：{error}", file=sys.stderr)
        return 2
    token = token_of_link(args.text)
    try:
        claims, key = read_token(token, keys)
    except UnknownKey as unknown:
        print(f"无法验证：签名密钥 {unknown.kid} 不在 {source} 公布的密钥中。", file=sys.stderr)
        return 1
    except TokenInvalid:
        print("无效：二维码不是用公布的密钥签名的，或内容已被改动。", file=sys.stderr)
        return 1
    regions = {row["code"]: row["name"] for row in henan_regions()}
    region = regions.get(claims.issuer_region, "")
    issuer = PROVINCE_ISSUER if claims.issuer_region == PROVINCE_CODE else f"{region}人力资源和社会保障局（或其备案名）"
    print(f"签名有效：密钥 {key.kid}" + ("（已停用的旧密钥）" if key.retired else "") + f"，公钥来自 {source}")
    if key.is_test:
        print("注意：这是测试密钥（jxjy 测试 CA，非正式），不具证明效力。")
    print("二维码证明以下内容由签发机关签发、未被改动：")
    print(f"  证书管理号  {claims.cert_number}")
    print(f"  姓名        {claims.name}（已部分隐去）")
    print(f"  身份证号    {claims.id_number}（已部分隐去）")
    print(f"  签发机关    {issuer}（行政区划代码 {claims.issuer_region}）")
    print(f"  签发日期    {claims.issued_on.isoformat()}")
    print(f"  核验码      {claims.snapshot}")
    print(f"  内容摘要    {claims.digest.hex()}（平台所存证书内容的 SHA-256 前 {len(claims.digest)} 字节）")
    print("离线无法证明：证书此后是否被撤销或被新证书取代、各年度学时明细——这些须联网查询验证页：")
    print(f"  {Urls(settings.public_url).verification(token)}")
    return 0


def _published_keys(source: str) -> dict[str, PublicKey]:
    if source.startswith(("http://", "https://")):
        with urllib.request.urlopen(source, timeout=10) as response:
            document = json.load(response)
    else:
        document = json.loads(Path(source).read_text(encoding="utf-8"))
    return {entry["kid"]: PublicKey.from_json(entry) for entry in document["keys"]}


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="jxjy", description="河南省专业技术人员继续教育电子证书服务号")
    commands = top.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the service")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8080)
    serve.add_argument(
        "--workers", type=int, default=1, help="processes sharing the port (more than 1 needs REDIS_URL)"
    )
    serve.set_defaults(run=cmd_serve)

    db = commands.add_parser("db", help="the database's structure (migrations)").add_subparsers(
        dest="action", required=True
    )
    db.add_parser("migrate", help="apply pending migrations (adopts a database made before migrations)").set_defaults(
        run=cmd_db_migrate
    )
    db.add_parser("status", help="applied and pending migrations; exit status 1 while any is pending").set_defaults(
        run=cmd_db_status
    )
    makemigrations = db.add_parser("makemigrations", help="write a migration for what changed in storage/models.py")
    makemigrations.add_argument("--name", default="", help="the migration's name, e.g. add_record_correction")
    makemigrations.set_defaults(run=cmd_db_makemigrations)
    db.add_parser(
        "rebuild-summaries", help="recompute every person's yearly sums (person_year) from the hour records"
    ).set_defaults(run=cmd_db_rebuild_summaries)

    regions = commands.add_parser("regions", help="reference data: Henan's regions").add_subparsers(
        dest="action", required=True
    )
    regions.add_parser("load", help="load the Henan region list (GB/T 2260)").set_defaults(run=cmd_regions_load)

    unit = commands.add_parser("unit", help="employing units").add_subparsers(dest="action", required=True)
    unit_add = unit.add_parser("add", help="add a unit")
    unit_add.add_argument("--name", required=True)
    unit_add.add_argument("--code", required=True, help="unified social credit code (18 characters)")
    unit_add.add_argument("--region", required=True, help="6-digit region code, see `jxjy regions load`")
    unit_add.add_argument("--industry", default="", help="行业类别")
    unit_add.set_defaults(run=cmd_unit_add)

    demo = commands.add_parser("demo", help="demo data for a local try-out").add_subparsers(
        dest="action", required=True
    )
    demo.add_parser("load", help="load regions and, into an empty database, demo units").set_defaults(run=cmd_demo_load)

    chat = commands.add_parser("chat", help="talk to a running service as WeChat would")
    chat.add_argument("--openid", default="o_local_tester")
    chat.add_argument("--url", default="http://127.0.0.1:8080/wechat")
    chat.add_argument("--safe", action="store_true", help="encrypt as in WeChat's safe mode")
    chat.set_defaults(run=cmd_chat)

    menu = commands.add_parser("menu", help="the custom menu").add_subparsers(dest="action", required=True)
    menu.add_parser("show", help="print the menu as WeChat's JSON").set_defaults(run=cmd_menu_show)
    menu.add_parser("push", help="create the menu through the WeChat API").set_defaults(run=cmd_menu_push)
    wechat = commands.add_parser("wechat", help="facts from the WeChat API").add_subparsers(
        dest="action", required=True
    )
    wechat.add_parser(
        "callback-ips", help="WeChat's current callback addresses, as JSON for WECHAT_CALLBACK_IPS"
    ).set_defaults(run=cmd_wechat_callback_ips)

    fake = commands.add_parser("fake-wechat", help="a local stand-in for the WeChat API, with fault injection")
    fake.add_argument("--host", default="127.0.0.1")
    fake.add_argument("--port", type=int, default=8081)
    fake.set_defaults(run=cmd_fake_wechat)

    admin = commands.add_parser("admin", help="admins (分级管理)").add_subparsers(dest="action", required=True)
    for name, run, text in (
        ("add", cmd_admin_add, "make an openid an admin"),
        ("invite", cmd_admin_invite, "print a one-time invite code (and QR)"),
    ):
        sub = admin.add_parser(name, help=text)
        if name == "add":
            sub.add_argument("--openid", required=True)
            sub.add_argument("--name", required=True)
        else:
            sub.add_argument("--hours", type=int, help="how long the code stays valid (ADMIN_INVITE_HOURS)")
        sub.add_argument("--role", required=True, choices=[role.value for role in AdminRole])
        sub.add_argument("--unit", default="", help="the unit's credit code, for --role unit")
        sub.add_argument("--region", default="", help="the region code, for --role region")
        sub.set_defaults(run=run)

    cert = commands.add_parser("cert", help="issued certificates").add_subparsers(dest="action", required=True)
    cert_revoke = cert.add_parser("revoke", help="revoke an issued certificate (snapshot)")
    cert_revoke.add_argument("snapshot", help="the snapshot number printed on the certificate")
    cert_revoke.add_argument("--reason", required=True)
    cert_revoke.set_defaults(run=cmd_cert_revoke)

    seal = commands.add_parser("seal", help="regions' own seals").add_subparsers(dest="action", required=True)
    seal_file = seal.add_parser("file", help="mark a region's seal as filed (备案)")
    seal_file.add_argument("--region", required=True, help="the region code")
    seal_file.add_argument("--issuer", default="", help="the body on the seal (default: <region>人力资源和社会保障局)")
    seal_file.set_defaults(run=cmd_seal_file)

    keys = commands.add_parser("keys", help="signing keys").add_subparsers(dest="action", required=True)
    keys.add_parser(
        "init", help="create a test CA, signing certificate and QR key where settings look, unless present"
    ).set_defaults(run=cmd_keys_init)
    verify_qr = commands.add_parser("verify-qr", help="check a certificate's QR code offline, from the published keys")
    verify_qr.add_argument("text", help="what the QR code holds (the verification link)")
    verify_qr.add_argument("--keys", default="", help="published keys: a file or URL (default PUBLIC_URL's)")
    verify_qr.set_defaults(run=cmd_verify_qr)

    hours = commands.add_parser("hours", help="hour records").add_subparsers(dest="action", required=True)
    hours_import = hours.add_parser("import", help="import approved hours from CSV or XLSX, all or nothing")
    hours_import.add_argument("file", help="header: " + ",".join(IMPORT_HEADER))
    hours_import.add_argument(
        "--yes", action="store_true", help="import rows like existing records (same person, year and course) too"
    )
    hours_import.set_defaults(run=cmd_hours_import)
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        settings = Settings()
    except ValidationError as error:
        print(f"配置有误（见 .env.example）：\n{error}", file=sys.stderr)
        return 2
    return args.run(settings, args)


if __name__ == "__main__":
    sys.exit(main())
