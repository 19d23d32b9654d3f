"""Stopping the service (systemd's SIGTERM, a deploy): every message it took in gets its whole answer first."""

import asyncio
import os
import socket
import sys
import time
from pathlib import Path

import aiohttp

from bot.devtools.chat_client import read_reply, sign, text_xml
from bot.settings import Settings
from tests.conftest import keys_for_tests

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "testtoken"
SECRET = "test-secret-key-0123456789"
MESSAGES = 40


async def test_on_sigterm_every_message_already_taken_in_is_answered_in_full_and_the_service_exits_0(tmp_path):
    settings = Settings(  # what the client signs with: the token the service is given
        _env_file=None,
        wechat_token=TOKEN,
        wechat_encryption="plain",
        secret_key=SECRET,
        database_url="sqlite://:memory:",
    )
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = (
        os.environ
        | {
            "DATABASE_URL": f"sqlite://{tmp_path}/jxjy.sqlite3",
            "WECHAT_TOKEN": TOKEN,
            "WECHAT_ENCRYPTION": "plain",
            "SECRET_KEY": SECRET,
            "WECHAT_API_URL": "http://127.0.0.2:9",  # loopback, but not the fake's address: nothing answers there
            "REDIS_URL": "",
            "PYTHONPATH": str(ROOT),
        }
        | {name.upper(): str(value) for name, value in keys_for_tests().items()}
    )
    migrate = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "db", "migrate", cwd=tmp_path, env=env, stdout=asyncio.subprocess.PIPE
    )  # fmt: skip
    assert await migrate.wait() == 0
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "serve", "--port", str(port),
        cwd=tmp_path, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}/wechat"
    try:
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0, force_close=True)) as http:
            async with asyncio.timeout(60):
                while True:
                    try:
                        async with http.get(f"http://127.0.0.1:{port}/healthz") as response:
                            if response.status == 200:
                                break
                    except aiohttp.ClientConnectionError:
                        await asyncio.sleep(0.2)  # not listening yet

            # One person's messages, all at once: they are answered one at a time (one user's messages never
            # overlap), so most of them are still waiting their turn when the service is told to stop.
            answered_at: list[float] = []
            first_answer = asyncio.Event()

            async def ask(n: int) -> tuple[int, str]:
                signed = sign(settings, text_xml("o_impatient", "帮助", msg_id=1000 + n))
                async with http.post(url, params=signed.query, data=signed.body.encode()) as response:
                    body = await response.text()
                answered_at.append(time.monotonic())
                first_answer.set()
                return response.status, read_reply(settings, body, signed.query)

            asks = [asyncio.create_task(ask(n)) for n in range(MESSAGES)]
            await first_answer.wait()  # the first answer is back: every message has been taken in by now
            await asyncio.sleep(0.01)
            process.terminate()
            stopped_at = time.monotonic()
            answers = await asyncio.gather(*asks, return_exceptions=True)
    finally:
        if process.returncode is None:
            process.terminate()
        output, _ = await process.communicate()
    log = output.decode()
    assert all(not isinstance(answer, BaseException) for answer in answers), (answers, log)
    assert all(status == 200 and "帮助" in text for status, text in answers), (answers, log)
    assert len(set(answers)) == 1  # the same whole help text each time: no answer was cut short
    assert any(at > stopped_at for at in answered_at)  # some really were still in flight at SIGTERM
    assert process.returncode == 0, log
