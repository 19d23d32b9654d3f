"""The endpoint's envelope: signatures, the replay window, safe mode, and every malformed input."""

import time

import pytest

from bot.devtools.chat_client import ACCOUNT, event_xml, media_xml, sign, text_xml
from bot.wechat.envelope import BadRequest, Forbidden, SafeMode, check_query_signature, signature_of
from storage.models import DialogState, Person
from tests.conftest import make_settings

# Tencent's published safe-mode sample (WXBizMsgCrypt): token spamtest, this key and app id.
VECTOR_QUERY = {
    "timestamp": "1409735669",
    "nonce": "1320562132",
    "msg_signature": "5d197aaffba7e9b25a30732f161a50dee96bd5fa",
}
VECTOR_ENCRYPT = (
    "hyzAe4OzmOMbd6TvGdIOO6uBmdJoD0Fk53REIHvxYtJlE2B655HuD0m8KUePWB3+LrPXo87wzQ1QLvbeUgmBM4x6F8PGHQHFVAFmOD2LdJF9F"
    "rXpbUAh0B5GIItb52sn896wVsMSHGuPE328HnRGBcrS7C41IzDWyWNlZkyyXwon8T332jisa+h6tEDYsVticbSnyU8dKOIbgU6ux5VTjg3yt+"
    "WGzjlpKn6NPhRjpA912xMezR4kw6KWwMrCVKSVCZciVGCgavjIQ6X8tCOp3yZbGpy0VxpAe+77TszTfRd5RJSVO/HTnifJpXgCSUdUue1v6h0E"
    "IBYYI1BD1DlD+C0CR8e6OewpusjZ4uBl9FyJvnhvQl+q5rv1ixrcpCumEPo5MJSgM9ehVsNPfUM669WuMyVWQLCzpu9GhglF2PE="
)


def vector_settings():
    return make_settings("sqlite://:memory:", wechat_token="spamtest", wechat_app_id="wx2c2769f8efd9abc2")


def test_tencents_published_safe_mode_sample_decrypts():
    outer = (
        "<xml><ToUserName><![CDATA[gh_10f6c3c3ac5a]]></ToUserName>"
        f"<Encrypt><![CDATA[{VECTOR_ENCRYPT}]]></Encrypt></xml>"
    )
    inner = SafeMode(vector_settings()).open(outer, VECTOR_QUERY)
    assert "<Content><![CDATA[abcdteT]]></Content>" in inner
    assert "oyORnuP8q7ou2gfYjqLzSIWZf0rs" in inner


def test_the_sample_with_a_forged_msg_signature_is_refused():
    outer = f"<xml><Encrypt><![CDATA[{VECTOR_ENCRYPT}]]></Encrypt></xml>"
    with pytest.raises(Forbidden):
        SafeMode(vector_settings()).open(outer, VECTOR_QUERY | {"msg_signature": "0" * 40})


def test_the_sample_for_another_app_id_is_refused():
    settings = make_settings("sqlite://:memory:", wechat_token="spamtest", wechat_app_id="wx_another_account")
    outer = f"<xml><Encrypt><![CDATA[{VECTOR_ENCRYPT}]]></Encrypt></xml>"
    with pytest.raises(BadRequest):
        SafeMode(settings).open(outer, VECTOR_QUERY)


def test_the_replay_window_is_300_seconds_either_way():
    settings = make_settings("sqlite://:memory:")
    now = 1_800_000_000

    def query(ts: int) -> dict[str, str]:
        return {"signature": signature_of(settings.wechat_token, str(ts), "42"), "timestamp": str(ts), "nonce": "42"}

    check_query_signature(settings, query(now - 300), now=now)
    check_query_signature(settings, query(now + 300), now=now)
    for stale in (now - 301, now + 301):
        with pytest.raises(Forbidden):
            check_query_signature(settings, query(stale), now=now)


async def test_server_address_verification_echoes_only_to_a_good_signature(service):
    ts, nonce = str(int(time.time())), "9876"
    good = {"signature": signature_of("testtoken", ts, nonce), "timestamp": ts, "nonce": nonce, "echostr": "hello42"}
    response = await service.client.get("/wechat", params=good)
    assert response.status == 200 and await response.text() == "hello42"
    response = await service.client.get("/wechat", params=good | {"signature": "f" * 40})
    assert response.status == 403 and "hello42" not in await response.text()
    response = await service.client.get("/wechat", params={"echostr": "hello42"})
    assert response.status == 403


async def _nothing_changed() -> None:
    assert not await Person.exists()
    assert not await DialogState.exists()


async def _post_raw(service, query: dict[str, str], body: bytes):
    return await service.client.post("/wechat", params=query, data=body)


async def test_a_post_with_a_bad_signature_is_forbidden(service):
    signed = sign(service.settings, text_xml("o_x", "注册"))
    response = await _post_raw(service, signed.query | {"signature": "0" * 40}, signed.body.encode())
    assert response.status == 403
    await _nothing_changed()


async def test_a_post_without_a_signature_is_forbidden(service):
    response = await _post_raw(service, {}, text_xml("o_x", "注册").encode())
    assert response.status == 403
    await _nothing_changed()


async def test_a_replayed_post_from_an_hour_ago_is_forbidden(service):
    response, _ = await service.post(text_xml("o_x", "注册"), timestamp=int(time.time()) - 3600)
    assert response.status == 403
    await _nothing_changed()


def _signed_body(service, body: str | bytes):
    signed = sign(service.settings, "<xml/>")
    return signed.query, body if isinstance(body, bytes) else body.encode()


XXE = (
    '<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    f"<xml><ToUserName>{ACCOUNT}</ToUserName><FromUserName>o_x</FromUserName><CreateTime>1</CreateTime>"
    "<MsgType>text</MsgType><Content>&xxe;</Content><MsgId>1</MsgId></xml>"
)
BILLION_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
    '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]>'
    "<xml><FromUserName>o_x</FromUserName><MsgType>text</MsgType><Content>&d;</Content></xml>"
)


@pytest.mark.parametrize(
    "body",
    [
        pytest.param("<xml><ToUserName>gh</ToUserName><FromUserName>o_x", id="truncated XML"),
        pytest.param("not xml at all", id="not XML"),
        pytest.param(XXE, id="XXE"),
        pytest.param(BILLION_LAUGHS, id="entity bomb"),
        pytest.param(b"<xml><Content>\xff\xfe\xfa</Content></xml>", id="bad UTF-8"),
        pytest.param("<notxml><MsgType>text</MsgType></notxml>", id="wrong root"),
        pytest.param("<xml><FromUserName>o_x</FromUserName><Content>hi</Content></xml>", id="no MsgType"),
        pytest.param("<xml><MsgType>text</MsgType><Content>hi</Content></xml>", id="no sender"),
        pytest.param("", id="empty body"),
    ],
)
async def test_malformed_bodies_are_a_bad_request_and_change_nothing(service, body):
    query, data = _signed_body(service, body)
    response = await _post_raw(service, query, data)
    assert response.status == 400
    await _nothing_changed()


async def test_an_oversized_body_is_refused(service):
    query, data = _signed_body(service, text_xml("o_x", "字" * 40_000))
    response = await _post_raw(service, query, data)
    assert response.status == 413
    await _nothing_changed()


async def test_safe_mode_with_bad_ciphertext_is_a_bad_request(service):
    signed = sign(service.settings, "<xml/>")
    ts, nonce = signed.query["timestamp"], signed.query["nonce"]
    for garbage in ("not-base64!!", "QUFBQUFBQUFBQUFBQUFBQQ==", "A" * 64):
        query = signed.query | {"encrypt_type": "aes", "msg_signature": signature_of("testtoken", ts, nonce, garbage)}
        response = await _post_raw(service, query, f"<xml><Encrypt><![CDATA[{garbage}]]></Encrypt></xml>".encode())
        assert response.status == 400, garbage
    await _nothing_changed()


async def test_safe_mode_with_a_bad_msg_signature_is_forbidden(service):
    signed = sign(service.settings, text_xml("o_x", "注册"), safe=True)
    response = await _post_raw(service, signed.query | {"msg_signature": "0" * 40}, signed.body.encode())
    assert response.status == 403
    await _nothing_changed()


async def test_safe_mode_posts_get_encrypted_replies_and_plaintext_posts_still_work(service):
    response, _ = await service.post(text_xml("o_x", "帮助"), safe=True)
    body = await response.text()
    assert "<Encrypt>" in body and "帮助" not in body
    assert "帮助" in await service.user("o_x", safe=True).says("帮助")
    assert "帮助" in await service.user("o_x", safe=False).says("帮助")


async def test_encrypted_posts_are_refused_when_safe_mode_is_not_configured(database_url):
    from tests.conftest import running_service

    plain_only = make_settings(database_url, wechat_aes_key="")
    async with running_service(plain_only) as service:
        signed = sign(make_settings(database_url), text_xml("o_x", "注册"), safe=True)
        response = await _post_raw(service, signed.query, signed.body.encode())
        assert response.status == 400
        await _nothing_changed()


@pytest.mark.parametrize("msg_type", ["image", "voice", "video", "location", "link", "shortvideo", "miniprogrampage"])
async def test_messages_the_account_cannot_read_get_a_polite_explanation(service, msg_type):
    reply = await service.user("o_x").sends(msg_type)
    assert "请发送文字" in reply


async def test_events_with_nothing_to_say_are_answered_success(service):
    response, _ = await service.post(event_xml("o_x", "VIEW", "https://example.com"))
    assert await response.text() == "success"
    response, _ = await service.post(event_xml("o_x", "LOCATION"))
    assert await response.text() == "success"


async def test_subscribers_are_welcomed_with_what_the_account_can_do(service):
    reply = await service.user("o_new").subscribes()
    assert "欢迎关注" in reply and "注册" in reply and "学时" in reply


async def test_unrecognised_text_gets_help_never_silence(service):
    reply = await service.user("o_x").says("今天天气怎么样")
    assert "没有理解" in reply and "注册" in reply


async def test_a_reply_that_echoes_cdata_terminators_stays_well_formed(service):
    reply = await service.user("o_x").says("]]><x>")
    assert "]]><x>" in reply


async def test_healthz_checks_the_database(service):
    response = await service.client.get("/healthz")
    assert response.status == 200 and (await response.json())["status"] == "ok"


def test_media_helper_builds_what_the_parser_sees_as_that_type():
    from wechatpy import parse_message

    assert parse_message(media_xml("o_x", "image", msg_id=5)).type == "image"
