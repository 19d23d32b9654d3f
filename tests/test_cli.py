"""The `jxjy` command on an empty database, and the menu it prints."""

import asyncio
import json
import os
import socket
import sys
from pathlib import Path

import aiohttp

from bot.wechat.menu import click_keys, load_menu
from handlers.router import menu_keys
from tests.conftest import keys_for_tests
from tests.domain import a_credit_code
from tests.shared_redis import REDIS_TEST_URL, a_clean_redis

ROOT = Path(__file__).resolve().parent.parent


async def jxjy(database_url: str, *args: str, cwd: Path, extra_env: dict | None = None) -> tuple[int, str]:
    env = (
        os.environ
        | {
            "DATABASE_URL": database_url,
            "WECHAT_TOKEN": "testtoken",
            "SECRET_KEY": "test-secret-key-0123456789",
            "WECHAT_API_URL": "http://127.0.0.1:9",  # nothing there: API calls fail fast
            "PYTHONPATH": str(ROOT),
        }
        | (extra_env or {})
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        *args,
        cwd=cwd,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await process.communicate()
    return process.returncode, output.decode()


async def test_unit_add_creates_the_schema_and_refuses_bad_and_duplicate_codes(database_url, tmp_path):
    code = a_credit_code(42)
    status, output = await jxjy(
        database_url, "unit", "add", "--name", "安阳钢铁集团", "--code", code, "--region", "410500", cwd=tmp_path
    )
    assert status == 2 and "jxjy regions load" in output  # regions not loaded yet: nothing added

    status, output = await jxjy(database_url, "regions", "load", cwd=tmp_path)
    assert status == 0 and "29" in output

    status, output = await jxjy(
        database_url, "unit", "add", "--name", "安阳钢铁集团", "--code", code, "--region", "410500", cwd=tmp_path
    )
    assert status == 0 and "已添加单位" in output

    status, output = await jxjy(
        database_url, "unit", "add", "--name", "又一个", "--code", code.lower(), "--region", "410500", cwd=tmp_path
    )
    assert status == 2 and "已登记" in output

    bad = code[:-1] + ("0" if code[-1] != "0" else "1")
    status, output = await jxjy(
        database_url, "unit", "add", "--name", "错码单位", "--code", bad, "--region", "410500", cwd=tmp_path
    )
    assert status == 2 and "GB 32100" in output


async def test_demo_units_load_only_into_an_empty_database(database_url, tmp_path):
    status, output = await jxjy(database_url, "demo", "load", cwd=tmp_path)
    assert status == 0 and "4 个演示单位" in output
    status, output = await jxjy(database_url, "demo", "load", cwd=tmp_path)
    assert status == 0 and "未载入" in output


async def test_menu_show_prints_wechats_json(tmp_path):
    status, output = await jxjy("sqlite://:memory:", "menu", "show", cwd=tmp_path)
    assert status == 0
    assert json.loads(output) == load_menu()


def test_every_menu_click_is_a_key_the_router_knows():
    assert click_keys(load_menu()) <= menu_keys()


async def test_missing_settings_are_explained(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("WECHAT_TOKEN", "SECRET_KEY")}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "regions",
        "load",
        cwd=tmp_path,
        env=env | {"PYTHONPATH": str(ROOT)},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await process.communicate()
    assert process.returncode == 2 and "WECHAT_TOKEN" in output.decode().upper()


async def test_serve_with_several_workers_and_no_redis_is_refused_with_the_reason(tmp_path):
    code, output = await jxjy(
        f"sqlite://{tmp_path}/jxjy.sqlite3", "serve", "--workers", "2", cwd=tmp_path, extra_env={"REDIS_URL": ""}
    )
    assert code == 2
    assert "--workers 2 需要设置 REDIS_URL" in output and "--workers 1" in output


async def test_serve_with_two_workers_and_redis_answers_from_both_on_one_port(tmp_path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    async with a_clean_redis() as (_redis, prefix):
        env = (
            os.environ
            | {
                "DATABASE_URL": f"sqlite://{tmp_path}/jxjy.sqlite3",
                "WECHAT_TOKEN": "testtoken",
                "SECRET_KEY": "test-secret-key-0123456789",
                "WECHAT_API_URL": "http://192.0.2.1:9",  # not this machine: no fake WeChat API is started
                "REDIS_URL": REDIS_TEST_URL,
                "REDIS_PREFIX": prefix,
                "PYTHONPATH": str(ROOT),
            }
            | {name.upper(): str(value) for name, value in keys_for_tests().items()}
        )
        migrate = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot.cli", "db", "migrate", cwd=tmp_path, env=env, stdout=asyncio.subprocess.PIPE
        )  # fmt: skip
        assert await migrate.wait() == 0
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot.cli", "serve", "--port", str(port), "--workers", "2",
            cwd=tmp_path, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        )  # fmt: skip
        answered: set[int] = set()
        try:
            async with asyncio.timeout(60):
                while answered != {1, 2}:
                    # A new connection each time: the kernel picks a worker per connection.
                    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(force_close=True)) as http:
                        try:
                            async with http.get(f"http://127.0.0.1:{port}/healthz") as response:
                                answered.add((await response.json())["worker"])
                        except aiohttp.ClientConnectionError:
                            await asyncio.sleep(0.2)  # not listening yet
        finally:
            process.terminate()
            output, _ = await process.communicate()
        assert answered == {1, 2}, output.decode()
        assert process.returncode == 0, output.decode()
