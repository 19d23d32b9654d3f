"""The outbound WeChat client against the local fake of WeChat, over real loopback HTTP."""

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.devtools.fake_wechat import make_fake_wechat
from bot.redis_state import RedisTokenStore
from bot.wechat.api import REPLY_WINDOW_CLOSED, WeChatApi, WeChatApiError, WeChatApiUnavailable
from tests.shared_redis import a_clean_redis

APP_ID, APP_SECRET = "wx5d3c1a0b9e8f7a6b", "0f1e2d3c4b5a69788796a5b4c3d2e1f0"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4  # WeChat checks the signature, not the pixels
CUSTOM_SEND = "/cgi-bin/message/custom/send"


class Clock:
    """The fake's clock, moved on by hand so tokens age without waiting."""

    def __init__(self) -> None:
        self.now = 1_767_225_600.0

    def __call__(self) -> float:
        return self.now


class FakeWeChat:
    """The fake seen from outside: its /_fake control endpoints."""

    def __init__(self, control: TestClient, clock: Clock) -> None:
        self.control = control
        self.clock = clock
        self.url = str(control.make_url(""))

    async def inject(self, **fault: Any) -> None:
        response = await self.control.post("/_fake/faults", json=fault)
        assert response.status == 200, await response.text()

    async def calls(self, path: str) -> int:
        return (await (await self.control.get("/_fake/calls")).json())["calls"].get(path, 0)

    async def sent_to(self, openid: str) -> list[dict[str, Any]]:
        return (await (await self.control.get("/_fake/sent", params={"openid": openid})).json())["messages"]


@pytest.fixture
async def wechat() -> AsyncIterator[FakeWeChat]:
    clock = Clock()
    async with TestClient(TestServer(make_fake_wechat(APP_ID, APP_SECRET, clock=clock))) as control:
        yield FakeWeChat(control, clock)


@pytest.fixture
async def api(wechat: FakeWeChat) -> AsyncIterator[WeChatApi]:
    async with WeChatApi(wechat.url, APP_ID, APP_SECRET, timeout=1.0) as client:
        yield client


async def test_twenty_concurrent_sends_fetch_the_token_once(api: WeChatApi, wechat: FakeWeChat):
    await asyncio.gather(*(api.send_text(f"o_user{n}", "您的学时申报已通过审核。") for n in range(20)))

    assert await wechat.calls("/cgi-bin/stable_token") == 1
    assert await wechat.calls(CUSTOM_SEND) == 20


async def test_ten_sends_that_hit_a_rejected_token_refresh_it_once(api: WeChatApi, wechat: FakeWeChat):
    await api.access_token()
    openids = [f"o_user{n}" for n in range(10)]
    for openid in openids:  # one rejection each, so every one of the ten sends meets exactly one 40001
        await wechat.inject(errcode=40001, times=1, path=CUSTOM_SEND, openid=openid)
    # Half the rejections come back late, after the refresh: they must not throw the new token away.
    await wechat.inject(latency=0.3, times=5, path=CUSTOM_SEND)

    await asyncio.gather(*(api.send_text(openid, "证书已生成") for openid in openids))

    assert await wechat.calls("/cgi-bin/stable_token") == 2  # the first fetch and one refresh
    assert await wechat.calls(CUSTOM_SEND) == 20
    for openid in openids:
        assert [m["payload"]["text"]["content"] for m in await wechat.sent_to(openid)] == ["证书已生成"]


async def test_a_token_that_expired_at_wechat_is_replaced_and_the_send_goes_through(api: WeChatApi, wechat: FakeWeChat):
    old = await api.access_token()
    wechat.clock.now += 7200  # WeChat's two hours pass; the client, on its own clock, still trusts its token

    await api.send_text("o_user", "您好")

    assert await api.access_token() != old
    assert len(await wechat.sent_to("o_user")) == 1


async def test_a_token_rejected_twice_is_force_refreshed_for_the_next_call(api: WeChatApi, wechat: FakeWeChat):
    stuck = await api.access_token()
    await wechat.inject(errcode=40001, times=2, path=CUSTOM_SEND)

    with pytest.raises(WeChatApiError) as refused:
        await api.send_text("o_user", "您好")
    assert refused.value.errcode == 40001
    assert await api.access_token() != stuck  # stable_token hands back the same token unless forced
    assert await wechat.calls("/cgi-bin/stable_token") == 3

    await api.send_text("o_user", "您好")
    assert len(await wechat.sent_to("o_user")) == 1


async def test_a_closed_customer_service_window_raises_45015_and_nothing_is_sent(api: WeChatApi, wechat: FakeWeChat):
    await wechat.inject(errcode=REPLY_WINDOW_CLOSED, path=CUSTOM_SEND, openid="o_silent")

    with pytest.raises(WeChatApiError) as refused:
        await api.send_text("o_silent", "您的申报已退回")

    assert refused.value.errcode == REPLY_WINDOW_CLOSED
    assert "response out of time limit" in refused.value.errmsg
    assert await wechat.sent_to("o_silent") == []
    assert await wechat.calls(CUSTOM_SEND) == 1  # not a token problem: no retry


@pytest.mark.parametrize("mode", ["503", "drop"])
async def test_an_outage_is_unavailable_and_sending_works_once_it_is_lifted(
    api: WeChatApi, wechat: FakeWeChat, mode: str
):
    await api.access_token()
    await wechat.inject(outage=True, mode=mode)

    with pytest.raises(WeChatApiUnavailable):
        await api.send_text("o_user", "第一次")

    await wechat.inject(outage=False)
    await api.send_text("o_user", "第二次")
    assert [m["payload"]["text"]["content"] for m in await wechat.sent_to("o_user")] == ["第二次"]


async def test_callers_waiting_for_a_token_during_an_outage_share_one_failed_fetch(api: WeChatApi, wechat: FakeWeChat):
    await wechat.inject(outage=True)

    results = await asyncio.gather(*(api.send_text(f"o_user{n}", "您好") for n in range(5)), return_exceptions=True)

    assert all(isinstance(result, WeChatApiUnavailable) for result in results)
    assert await wechat.calls("/cgi-bin/stable_token") == 1


async def test_an_answer_slower_than_the_timeout_is_unavailable(wechat: FakeWeChat):
    async with WeChatApi(wechat.url, APP_ID, APP_SECRET, timeout=0.2) as impatient:
        await impatient.access_token()
        await wechat.inject(latency=0.6, times=1, path=CUSTOM_SEND)

        with pytest.raises(WeChatApiUnavailable):
            await impatient.send_text("o_user", "您好")

        await impatient.send_text("o_user", "您好")  # the latency was for one call only


async def test_a_wrong_secret_is_a_wechat_error_not_an_outage(wechat: FakeWeChat):
    async with WeChatApi(wechat.url, APP_ID, "not-the-secret") as misconfigured:
        with pytest.raises(WeChatApiError) as refused:
            await misconfigured.send_text("o_user", "您好")
    assert refused.value.errcode == 40125


async def test_a_template_message_reaches_the_user_in_wechats_shape(api: WeChatApi, wechat: FakeWeChat):
    msgid = await api.send_template(
        "o_user",
        "TPL_HOURS_APPROVED",
        {"first": "您的学时申报已通过", "keyword1": {"value": "24 学时", "color": "#173177"}},
        url="http://127.0.0.1:8080/cert/1",
    )

    [sent] = await wechat.sent_to("o_user")
    assert isinstance(msgid, int)
    assert sent["kind"] == "template"
    assert sent["payload"]["data"] == {
        "first": {"value": "您的学时申报已通过"},
        "keyword1": {"value": "24 学时", "color": "#173177"},
    }
    assert sent["payload"]["url"] == "http://127.0.0.1:8080/cert/1"


async def test_an_uploaded_image_comes_back_byte_for_byte_and_can_be_sent(api: WeChatApi, wechat: FakeWeChat):
    media_id = await api.upload_image(PNG, "certificate.png")

    assert await api.get_media(media_id) == PNG
    await api.send_image("o_user", media_id)
    [sent] = await wechat.sent_to("o_user")
    assert sent["payload"]["image"] == {"media_id": media_id}


async def test_fetching_unknown_media_raises_40007(api: WeChatApi):
    with pytest.raises(WeChatApiError) as refused:
        await api.get_media("no-such-media")
    assert refused.value.errcode == 40007


async def test_a_qrcode_comes_back_with_a_ticket_and_a_url(api: WeChatApi):
    ticket, url = await api.create_qrcode("cert:41010000000001", 30 * 24 * 3600)

    assert ticket
    assert url.startswith("http://weixin.qq.com/q/")


async def test_a_qrcode_longer_than_thirty_days_is_refused_before_asking_wechat(api: WeChatApi, wechat: FakeWeChat):
    with pytest.raises(ValueError):
        await api.create_qrcode("cert:1", 30 * 24 * 3600 + 1)
    assert await wechat.calls("/cgi-bin/qrcode/create") == 0


async def test_the_menu_created_is_the_menu_wechat_keeps(api: WeChatApi, wechat: FakeWeChat):
    menu = {
        "button": [
            {"name": "证书服务", "sub_button": [{"type": "click", "name": "注册", "key": "REGISTER"}]},
            {"type": "click", "name": "使用帮助", "key": "HELP"},
        ]
    }

    await api.create_menu(menu)

    assert (await (await wechat.control.get("/_fake/menu")).json())["menu"] == menu


async def test_wechats_callback_addresses_come_through_the_api(api: WeChatApi):
    assert await api.callback_ips() == ["127.0.0.1", "203.0.113.0/24"]


async def test_two_workers_sharing_one_token_in_redis_fetch_it_once_and_never_meet_a_rejection(wechat: FakeWeChat):
    async with a_clean_redis() as (redis, prefix):
        workers = [
            WeChatApi(wechat.url, APP_ID, APP_SECRET, timeout=1.0, tokens=RedisTokenStore(redis, prefix))
            for _ in range(2)
        ]
        try:
            await asyncio.gather(
                *(workers[n % 2].send_text(f"o_user{n}", "您的学时申报已通过审核。") for n in range(40))
            )
        finally:
            for worker in workers:
                await worker.close()

    assert await wechat.calls("/cgi-bin/stable_token") == 1
    assert await wechat.calls(CUSTOM_SEND) == 40  # a rejected token would have cost a second call


async def test_after_one_worker_forces_a_new_token_the_other_uses_it_without_a_rejection(wechat: FakeWeChat):
    async with a_clean_redis() as (redis, prefix):
        first, second = (
            WeChatApi(wechat.url, APP_ID, APP_SECRET, timeout=1.0, tokens=RedisTokenStore(redis, prefix))
            for _ in range(2)
        )
        try:
            await second.send_text("o_b", "一")
            await wechat.inject(errcode=40001, times=2, path=CUSTOM_SEND)
            with pytest.raises(WeChatApiError):
                await first.send_text("o_a", "二")  # rejected twice: the next fetch is forced
            await first.send_text("o_a", "三")  # forcing voids the old token at WeChat at once
            await second.send_text("o_b", "四")
        finally:
            await first.close()
            await second.close()

    assert await wechat.calls("/cgi-bin/stable_token") == 3  # the first, a refresh, the forced one
    assert await wechat.calls(CUSTOM_SEND) == 5  # the two rejections and three sends, no other rejection
