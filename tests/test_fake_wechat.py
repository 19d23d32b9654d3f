"""The fake WeChat answers as WeChat does, and its faults fail exactly what they say."""

import logging
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import FormData, web
from aiohttp.test_utils import TestClient, TestServer

from bot.devtools.fake_wechat import fake_wechat_runner, make_fake_wechat

APP_ID, APP_SECRET = "wx5d3c1a0b9e8f7a6b", "0f1e2d3c4b5a69788796a5b4c3d2e1f0"
CUSTOM_SEND = "/cgi-bin/message/custom/send"
TEMPLATE_SEND = "/cgi-bin/message/template/send"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


class Clock:
    def __init__(self) -> None:
        self.now = 1_767_225_600.0

    def __call__(self) -> float:
        return self.now


class WeChatSide:
    """Raw HTTP to the fake, as any client of WeChat would speak it."""

    def __init__(self, http: TestClient, clock: Clock) -> None:
        self.http = http
        self.clock = clock

    async def token(self, secret: str = APP_SECRET, app_id: str = APP_ID) -> dict[str, Any]:
        query = {"grant_type": "client_credential", "appid": app_id, "secret": secret}
        return await (await self.http.get("/cgi-bin/token", params=query)).json()

    async def stable_token(self, force_refresh: bool = False, secret: str = APP_SECRET) -> dict[str, Any]:
        body = {"grant_type": "client_credential", "appid": APP_ID, "secret": secret, "force_refresh": force_refresh}
        return await (await self.http.post("/cgi-bin/stable_token", json=body)).json()

    async def text(self, token: str, openid: str, content: str) -> dict[str, Any]:
        body = {"touser": openid, "msgtype": "text", "text": {"content": content}}
        return await (await self.http.post(CUSTOM_SEND, params={"access_token": token}, json=body)).json()

    async def template(self, token: str, openid: str, first: str) -> dict[str, Any]:
        body = {"touser": openid, "template_id": "TPL", "data": {"first": {"value": first}}}
        return await (await self.http.post(TEMPLATE_SEND, params={"access_token": token}, json=body)).json()

    async def upload(self, token: str, field: str, data: bytes, filename: str) -> dict[str, Any]:
        form = FormData()
        form.add_field(field, data, filename=filename)
        query = {"access_token": token, "type": "image"}
        return await (await self.http.post("/cgi-bin/media/upload", params=query, data=form)).json()

    async def control(self, method: str, path: str, **kwargs: Any) -> Any:
        response = await self.http.request(method, path, **kwargs)
        assert response.status == 200, await response.text()
        return await response.json()

    async def sent(self, **query: Any) -> list[dict[str, Any]]:
        return (await self.control("GET", "/_fake/sent", params=query))["messages"]


@pytest.fixture
async def wechat() -> AsyncIterator[WeChatSide]:
    clock = Clock()
    async with TestClient(TestServer(make_fake_wechat(APP_ID, APP_SECRET, clock=clock))) as http:
        yield WeChatSide(http, clock)


async def test_a_wrong_secret_or_appid_gets_no_token(wechat: WeChatSide):
    assert (await wechat.token(secret="guess"))["errcode"] == 40125
    assert (await wechat.token(app_id="wx0000000000000000"))["errcode"] == 40013
    assert (await wechat.stable_token(secret="guess"))["errcode"] == 40125


async def test_an_unknown_token_is_an_invalid_credential_and_a_missing_one_is_missing(wechat: WeChatSide):
    unknown = await wechat.text("made-up-token", "o_user", "您好")
    missing = await wechat.http.post(
        CUSTOM_SEND, json={"touser": "o_user", "msgtype": "text", "text": {"content": "x"}}
    )

    assert unknown["errcode"] == 40001
    assert unknown["errmsg"].startswith("invalid credential")
    assert (await missing.json())["errcode"] == 41001
    assert await wechat.sent() == []


async def test_a_token_expires_after_two_hours(wechat: WeChatSide):
    issued = await wechat.token()
    assert issued["expires_in"] == 7200

    wechat.clock.now += 7199
    assert (await wechat.text(issued["access_token"], "o_user", "仍有效"))["errcode"] == 0
    wechat.clock.now += 1
    assert (await wechat.text(issued["access_token"], "o_user", "已过期"))["errcode"] == 42001


async def test_a_new_token_leaves_the_previous_one_five_minutes(wechat: WeChatSide):
    old = (await wechat.token())["access_token"]
    new = (await wechat.token())["access_token"]

    wechat.clock.now += 299
    assert (await wechat.text(old, "o_user", "旧的还能用"))["errcode"] == 0
    wechat.clock.now += 1
    assert (await wechat.text(old, "o_user", "旧的失效"))["errcode"] == 40001
    assert (await wechat.text(new, "o_user", "新的可用"))["errcode"] == 0


async def test_the_clock_can_be_moved_on_from_outside(wechat: WeChatSide):
    token = (await wechat.token())["access_token"]

    await wechat.control("POST", "/_fake/advance", json={"seconds": 7200})

    assert (await wechat.text(token, "o_user", "您好"))["errcode"] == 42001


async def test_stable_token_is_the_same_until_it_expires_or_is_forced(wechat: WeChatSide):
    first = await wechat.stable_token()
    wechat.clock.now += 600
    again = await wechat.stable_token()
    assert again["access_token"] == first["access_token"]
    assert again["expires_in"] == 7200 - 600

    await wechat.token()  # the plain token endpoint is kept apart and replaces nothing here
    wechat.clock.now += 300
    assert (await wechat.text(first["access_token"], "o_user", "您好"))["errcode"] == 0

    forced = await wechat.stable_token(force_refresh=True)
    assert forced["access_token"] != first["access_token"]
    assert (await wechat.text(first["access_token"], "o_user", "您好"))["errcode"] == 40001

    wechat.clock.now += 7200
    assert (await wechat.stable_token())["access_token"] != forced["access_token"]


async def test_messages_are_recorded_per_openid_in_order_and_can_be_polled(wechat: WeChatSide):
    token = (await wechat.stable_token())["access_token"]
    await wechat.text(token, "o_zhang", "一")
    await wechat.template(token, "o_li", "给李")
    await wechat.template(token, "o_zhang", "二")
    await wechat.text(token, "o_zhang", "三")

    zhang = await wechat.sent(openid="o_zhang")
    assert [m["kind"] for m in zhang] == ["text", "template", "text"]
    assert [m["payload"]["touser"] for m in zhang] == ["o_zhang"] * 3
    assert [m["at"] for m in zhang] == [wechat.clock.now] * 3
    newer = await wechat.sent(openid="o_zhang", after=zhang[1]["seq"])
    assert [m["payload"]["text"]["content"] for m in newer] == ["三"]
    assert len(await wechat.sent()) == 4


async def test_a_fault_for_two_calls_fails_exactly_two_and_only_for_its_openid(wechat: WeChatSide):
    token = (await wechat.stable_token())["access_token"]
    fault = {"errcode": 45015, "times": 2, "path": CUSTOM_SEND, "openid": "o_gone"}
    await wechat.control("POST", "/_fake/faults", json=fault)

    other = await wechat.text(token, "o_here", "不受影响")
    answers = [await wechat.text(token, "o_gone", f"第{n}次") for n in (1, 2, 3)]

    assert other["errcode"] == 0
    assert [a["errcode"] for a in answers] == [45015, 45015, 0]
    assert answers[0]["errmsg"].startswith("response out of time limit or subscription is canceled")
    assert [m["payload"]["text"]["content"] for m in await wechat.sent(openid="o_gone")] == ["第3次"]
    assert (await wechat.control("GET", "/_fake/faults"))["faults"] == []


async def test_a_fault_without_a_path_hits_the_next_call_whatever_it_is(wechat: WeChatSide):
    token = (await wechat.stable_token())["access_token"]
    await wechat.control("POST", "/_fake/faults", json={"errcode": 45047})

    assert (await wechat.template(token, "o_user", "配额"))["errcode"] == 45047
    assert (await wechat.template(token, "o_user", "配额"))["errcode"] == 0


async def test_latency_delays_only_as_many_calls_as_asked(wechat: WeChatSide):
    token = (await wechat.stable_token())["access_token"]
    await wechat.control("POST", "/_fake/faults", json={"latency": 0.3, "times": 1})

    started = time.monotonic()
    await wechat.text(token, "o_user", "慢")
    slow = time.monotonic() - started
    started = time.monotonic()
    await wechat.text(token, "o_user", "快")
    fast = time.monotonic() - started

    assert slow >= 0.3 > fast


async def test_an_outage_answers_503_until_lifted(wechat: WeChatSide):
    token = (await wechat.stable_token())["access_token"]
    await wechat.control("POST", "/_fake/faults", json={"outage": True})

    down = await wechat.http.post(CUSTOM_SEND, params={"access_token": token}, json={})
    await wechat.control("POST", "/_fake/faults", json={"outage": False})

    assert down.status == 503
    assert (await wechat.text(token, "o_user", "恢复"))["errcode"] == 0


async def test_a_malformed_fault_is_refused(wechat: WeChatSide):
    for fault in ({"errcode": 45015, "times": 0}, {"times": 2}, {"latency": -1}, {"errcode": 1, "path": "/x"}):
        response = await wechat.http.post("/_fake/faults", json=fault)
        assert response.status == 400, fault
    assert (await wechat.control("GET", "/_fake/faults"))["faults"] == []


async def test_calls_are_counted_per_path(wechat: WeChatSide):
    token = (await wechat.stable_token())["access_token"]
    await wechat.text(token, "o_user", "一")
    await wechat.text("bad-token", "o_user", "二")

    calls = (await wechat.control("GET", "/_fake/calls"))["calls"]

    assert calls == {"/cgi-bin/stable_token": 1, CUSTOM_SEND: 2}


async def test_reset_forgets_messages_faults_and_counts_but_keeps_tokens(wechat: WeChatSide):
    token = (await wechat.stable_token())["access_token"]
    await wechat.text(token, "o_user", "一")
    await wechat.control("POST", "/_fake/faults", json={"errcode": 45015, "times": 5})

    await wechat.control("POST", "/_fake/reset")

    assert await wechat.sent() == []
    assert (await wechat.control("GET", "/_fake/calls"))["calls"] == {}
    assert (await wechat.text(token, "o_user", "二"))["errcode"] == 0


async def test_an_image_message_needs_media_uploaded_in_the_last_three_days(wechat: WeChatSide):
    token = (await wechat.stable_token(force_refresh=True))["access_token"]
    uploaded = await wechat.upload(token, "media", PNG, "cert.png")
    image = {"touser": "o_user", "msgtype": "image", "image": {"media_id": uploaded["media_id"]}}

    sent = await wechat.http.post(CUSTOM_SEND, params={"access_token": token}, json=image)
    wechat.clock.now += 3 * 24 * 3600
    token = (await wechat.stable_token())["access_token"]
    late = await wechat.http.post(CUSTOM_SEND, params={"access_token": token}, json=image)

    assert uploaded["type"] == "image"
    assert (await sent.json())["errcode"] == 0
    assert (await late.json())["errcode"] == 40007


async def test_an_upload_that_is_not_an_image_is_refused(wechat: WeChatSide):
    token = (await wechat.stable_token())["access_token"]

    assert (await wechat.upload(token, "media", b"%PDF-1.7", "cert.png"))["errcode"] == 40005
    assert (await wechat.upload(token, "other", PNG, "cert.png"))["errcode"] == 41005


async def test_a_menu_over_wechats_limits_is_refused_and_not_kept(wechat: WeChatSide):
    token = (await wechat.stable_token())["access_token"]
    four = {"button": [{"type": "click", "name": f"按钮{n}", "key": f"K{n}"} for n in range(4)]}

    answer = await (await wechat.http.post("/cgi-bin/menu/create", params={"access_token": token}, json=four)).json()

    assert answer["errcode"] == 40016
    assert (await wechat.control("GET", "/_fake/menu"))["menu"] is None


async def test_what_was_sent_and_uploaded_outlives_a_restart_when_kept_in_a_folder(tmp_path):
    clock = Clock()
    async with TestClient(TestServer(make_fake_wechat(APP_ID, APP_SECRET, clock, keep_in=tmp_path))) as http:
        before = WeChatSide(http, clock)
        token = (await before.stable_token())["access_token"]
        await before.text(token, "o_zhang", "申报已提交")
        media_id = (await before.upload(token, "media", PNG, "evidence.png"))["media_id"]
    # `jxjy serve` restarted: a new process, the same folder.
    async with TestClient(TestServer(make_fake_wechat(APP_ID, APP_SECRET, clock, keep_in=tmp_path))) as http:
        after = WeChatSide(http, clock)
        [kept] = await after.sent(openid="o_zhang")
        assert kept["seq"] == 1 and kept["payload"]["text"]["content"] == "申报已提交"
        token = (await after.stable_token())["access_token"]
        await after.text(token, "o_zhang", "审核通过")
        newer = await after.sent(openid="o_zhang", after=kept["seq"])  # a client polling on sees what is new
        assert [m["payload"]["text"]["content"] for m in newer] == ["审核通过"] and newer[0]["seq"] == 2
        media = await http.get("/cgi-bin/media/get", params={"access_token": token, "media_id": media_id})
        assert await media.read() == PNG
        await after.control("POST", "/_fake/reset")
    async with TestClient(TestServer(make_fake_wechat(APP_ID, APP_SECRET, clock, keep_in=tmp_path))) as http:
        assert await WeChatSide(http, clock).sent() == []  # reset forgets the folder too


async def test_a_fake_without_a_folder_keeps_nothing_on_disk(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    clock = Clock()
    async with TestClient(TestServer(make_fake_wechat(APP_ID, APP_SECRET, clock))) as http:
        side = WeChatSide(http, clock)
        token = (await side.stable_token())["access_token"]
        await side.text(token, "o_zhang", "一")
    assert list(tmp_path.iterdir()) == []


async def test_polling_for_sent_messages_is_not_in_the_access_log_but_api_calls_are(caplog):
    runner = fake_wechat_runner(APP_ID, APP_SECRET)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    caplog.set_level(logging.INFO)
    try:
        async with aiohttp.ClientSession(f"http://127.0.0.1:{port}") as http:
            for _ in range(3):
                async with http.get("/_fake/sent", params={"openid": "o_tester", "after": "0"}) as response:
                    assert response.status == 200
            async with http.get("/cgi-bin/getcallbackip", params={"access_token": "none"}) as response:
                assert response.status == 200
    finally:
        await runner.cleanup()
    logged = [record.getMessage() for record in caplog.records if record.name == "aiohttp.access"]
    assert any("/cgi-bin/getcallbackip" in line for line in logged), logged
    assert not any("/_fake/" in line for line in logged), logged
