"""The `jxjy` command. Every command that touches the database creates or upgrades the schema first."""

import argparse
import asyncio
import json
import logging
import sys
from collections.abc import Awaitable, Callable

from aiohttp import web
from pydantic import ValidationError

from bot.app import make_app
from bot.console import run_console
from bot.menu import load_menu
from bot.settings import Settings
from storage.db import database
from storage.errors import DuplicateUnit, InvalidCreditCode, UnknownRegion
from storage.regions import load_regions
from storage.units import add_unit, load_demo_units


def _with_database(settings: Settings, work: Callable[[], Awaitable[int]]) -> int:
    async def run() -> int:
        async with database(settings.database_url):
            return await work()

    return asyncio.run(run())


def cmd_serve(settings: Settings, args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    web.run_app(make_app(settings), host=args.host, port=args.port, access_log=None)
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
    asyncio.run(run_console(settings, args.openid, args.url, args.safe))
    return 0


def cmd_menu_show(settings: Settings, args: argparse.Namespace) -> int:
    print(json.dumps(load_menu(), ensure_ascii=False, indent=2))
    return 0


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="jxjy", description="河南省专业技术人员继续教育电子证书服务号")
    commands = top.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the service")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8080)
    serve.set_defaults(run=cmd_serve)

    regions = commands.add_parser("regions", help="reference data: Henan's regions").add_subparsers(
        dest="action", required=True
    )
    regions.add_parser("load", help="load the Henan region list (GB/T 2260)").set_defaults(
        run=cmd_regions_load
    )

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
    demo.add_parser("load", help="load regions and, into an empty database, demo units").set_defaults(
        run=cmd_demo_load
    )

    chat = commands.add_parser("chat", help="talk to a running service as WeChat would")
    chat.add_argument("--openid", default="o_local_tester")
    chat.add_argument("--url", default="http://127.0.0.1:8080/wechat")
    chat.add_argument("--safe", action="store_true", help="encrypt as in WeChat's safe mode")
    chat.set_defaults(run=cmd_chat)

    menu = commands.add_parser("menu", help="the custom menu").add_subparsers(dest="action", required=True)
    menu.add_parser("show", help="print the menu as WeChat's JSON").set_defaults(run=cmd_menu_show)
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
