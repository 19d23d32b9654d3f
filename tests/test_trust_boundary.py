"""The trust boundary of /wechat: with an EncodingAESKey, only a body bound by msg_signature is believed."""

import pytest
from pydantic import ValidationError

from bot.app import remembered_seconds
from bot.devtools.chat_client import read_reply, sign, text_xml
from storage.models import ConsoleLink, Person
from tests.conftest import SAMPLE_AES_KEY, make_settings, running_service
from tests.domain import an_admin


@pytest.fixture(params=["safe", "compat"])
async def encrypted_service(request, database_url):
    async with running_service(make_settings(database_url, wechat_encryption=request.param)) as service:
        yield service


def test_the_encryption_mode_defaults_to_safe_with_a_key_and_plain_without():
    assert make_settings("sqlite://:memory:", wechat_encryption=None).wechat_encryption == "safe"
    assert make_settings("sqlite://:memory:", wechat_encryption=None, wechat_aes_key="").wechat_encryption == "plain"


@pytest.mark.parametrize("mode", ["safe", "compat"])
def test_safe_or_compat_mode_without_a_key_is_a_configuration_error(mode):
    with pytest.raises(ValidationError, match="WECHAT_AES_KEY"):
        make_settings("sqlite://:memory:", wechat_encryption=mode, wechat_aes_key="")


async def test_a_plaintext_post_on_a_genuine_signed_url_cannot_act_as_an_admin(encrypted_service):
    """Whoever saw one URL WeChat signed (a proxy log is enough) attaches their own body to it."""
    service = encrypted_service
    await an_admin("o_admin", "province")
    seen_in_a_log = sign(service.settings, text_xml("o_someone", "帮助"), safe=True).query
    forged = text_xml("o_admin", "后台")
    plain_query = {key: seen_in_a_log[key] for key in ("signature", "timestamp", "nonce")}
    for query in (plain_query, plain_query | {"encrypt_type": "raw"}):
        response = await service.client.post("/wechat", params=query, data=forged.encode())
        assert response.status == 403
    assert not await ConsoleLink.exists()


async def test_an_encrypted_post_without_its_msg_signature_is_refused(encrypted_service):
    signed = sign(encrypted_service.settings, text_xml("o_x", "注册"), safe=True)
    query = {key: value for key, value in signed.query.items() if key != "msg_signature"}
    response = await encrypted_service.client.post("/wechat", params=query, data=signed.body.encode())
    assert response.status == 403
    assert not await Person.exists()


async def test_the_plaintext_copy_beside_the_ciphertext_is_ignored(encrypted_service):
    """Compat mode sends both; a changed plaintext copy is not what the account reads."""
    service = encrypted_service
    await an_admin("o_admin", "province")
    signed = sign(service.settings, text_xml("o_visitor", "帮助"), safe=True)
    forged_copy = "<FromUserName><![CDATA[o_admin]]></FromUserName><MsgType>text</MsgType><Content>后台</Content>"
    body = signed.body.replace("</xml>", forged_copy + "</xml>")
    response = await service.client.post("/wechat", params=signed.query, data=body.encode())
    assert response.status == 200
    reply = read_reply(service.settings, await response.text(), signed.query)
    assert "帮助" in reply or "注册" in reply
    assert "登录链接" not in reply and not await ConsoleLink.exists()


async def test_encrypted_conversations_work_in_safe_and_compat_mode(encrypted_service):
    assert "注册" in await encrypted_service.user("o_x", safe=True).says("帮助")


async def test_plain_mode_with_a_key_still_reads_both(database_url):
    settings = make_settings(database_url, wechat_encryption="plain", wechat_aes_key=SAMPLE_AES_KEY)
    async with running_service(settings) as service:
        assert "注册" in await service.user("o_x", safe=True).says("帮助")
        assert "注册" in await service.user("o_x", safe=False).says("帮助")


async def test_a_signed_url_reused_with_another_body_is_refused_in_every_mode(service):
    """Plain mode too: the pair (timestamp, nonce) belongs to the first message it carried."""
    await an_admin("o_admin", "province")
    first = sign(service.settings, text_xml("o_someone", "帮助", msg_id=1))
    response = await service.client.post("/wechat", params=first.query, data=first.body.encode())
    assert response.status == 200
    forged = text_xml("o_admin", "后台", msg_id=2)
    response = await service.client.post("/wechat", params=first.query, data=forged.encode())
    assert response.status == 403
    assert not await ConsoleLink.exists()


async def test_an_identical_replay_is_answered_from_memory_and_takes_no_second_effect(service):
    await an_admin("o_admin", "province")
    signed = sign(service.settings, text_xml("o_admin", "后台", msg_id=77))
    replies = []
    for _ in range(2):
        response = await service.client.post("/wechat", params=signed.query, data=signed.body.encode())
        assert response.status == 200
        replies.append(await response.text())
    assert replies[0] == replies[1] and await ConsoleLink.all().count() == 1


@pytest.mark.parametrize("later", [125, 599])
async def test_an_identical_replay_later_in_the_window_is_still_answered_from_memory(service, later):
    """+125 s outlived the old two-minute memory; 599 s is the furthest a replay can come (its timestamp 299 s
    ahead of our clock when first seen, 300 s behind at the replay). 后台 writes a sign-in link but is no effect
    kept in the database, so only the memory stands between a replay and a second link."""
    await an_admin("o_admin", "province")
    signed = sign(service.settings, text_xml("o_admin", "后台", msg_id=78))
    first = await service.client.post("/wechat", params=signed.query, data=signed.body.encode())
    endpoint = next(r.handler.__self__ for r in service.client.app.router.routes() if r.resource.canonical == "/wechat")
    for memory in (endpoint.gate.replies, endpoint.gate.nonces):
        started = memory._clock()
        memory._clock = lambda started=started: started + later
    again = await service.client.post("/wechat", params=signed.query, data=signed.body.encode())
    assert again.status == 200 and await again.text() == await first.text()
    assert await ConsoleLink.all().count() == 1


def test_replies_and_nonces_are_remembered_as_long_as_a_timestamp_is_accepted():
    settings = make_settings("sqlite://:memory:")
    assert remembered_seconds(settings) >= 2 * settings.signature_max_age_seconds


async def test_with_callback_addresses_set_a_post_from_elsewhere_is_refused(database_url):
    settings = make_settings(database_url, wechat_callback_ips=["203.0.113.0/24", "2001:db8::/32"])
    async with running_service(settings) as service:
        signed = sign(settings, text_xml("o_x", "帮助"))
        response = await service.client.post("/wechat", params=signed.query, data=signed.body.encode())
        assert response.status == 403  # from 127.0.0.1 directly
        # through our own proxy (127.0.0.1 is trusted), from one of WeChat's addresses
        forwarded = {"X-Forwarded-For": "203.0.113.9"}
        response = await service.client.post(
            "/wechat", params=signed.query, data=signed.body.encode(), headers=forwarded
        )
        assert response.status == 200
