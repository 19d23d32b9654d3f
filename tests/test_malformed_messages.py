"""Malformed but signed input is refused with 400, never a 500 and never a traceback in the log.

Valid messages of each kind are mutated at random (hypothesis): fields replaced by odd text or by hundreds
of digits, duplicated, emptied, removed, filled with elements, nested deep. Whatever comes of it, the status
is one of 200 (a message the service can read), 400, 403 or 413.
"""

import logging
import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.devtools.chat_client import event_xml, media_xml, sign, text_xml
from bot.wechat.envelope import signature_of

VALID = [
    text_xml("o_fuzz", "学时", msg_id=1),
    text_xml("o_fuzz", "帮助", msg_id=2),
    event_xml("o_fuzz", "CLICK", "HOURS"),
    event_xml("o_fuzz", "subscribe", "qrscene_123"),
    media_xml("o_fuzz", "image", msg_id=3, media_id="m1"),
]
FIELDS = ["ToUserName", "FromUserName", "CreateTime", "MsgType", "Content", "MsgId", "Event", "EventKey", "MediaId"]
odd_text = st.one_of(
    st.text(max_size=40),
    st.text(alphabet="0123456789", min_size=1, max_size=400),
    st.sampled_from(["", "-1", "1e5", "0x10", "９９", "NaN", "text", "event", "<", "]]>"]),
)


def _cdata(value: str) -> str:
    return "<![CDATA[" + value.replace("]]>", "]]]]><![CDATA[>") + "]]>"


@st.composite
def mutated(draw) -> str:
    xml = draw(st.sampled_from(VALID))
    for _ in range(draw(st.integers(1, 3))):
        field = draw(st.sampled_from(FIELDS))
        pattern = re.compile(rf"<{field}>.*?</{field}>", re.S)
        whole = pattern.search(xml)
        how = draw(st.sampled_from(["replace", "duplicate", "element", "remove", "nest", "add"]))
        if how == "add" or whole is None:
            xml = xml.replace("</xml>", f"<{field}>{_cdata(draw(odd_text))}</{field}></xml>")
        elif how == "replace":
            xml = xml.replace(whole[0], f"<{field}>{_cdata(draw(odd_text))}</{field}>", 1)
        elif how == "duplicate":
            xml = xml.replace(whole[0], whole[0] * 2, 1)
        elif how == "element":
            xml = xml.replace(whole[0], f"<{field}><a>{draw(st.text(max_size=10)).replace('<', '')}</a></{field}>", 1)
        elif how == "remove":
            xml = xml.replace(whole[0], "", 1)
        else:
            depth = draw(st.integers(2, 60))
            xml = xml.replace(whole[0], f"<{field}>" + "<n>" * depth + "x" + "</n>" * depth + f"</{field}>", 1)
    return xml


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(xml=mutated(), safe=st.booleans())
async def test_a_mutated_message_gets_a_calm_status_and_no_traceback(service, caplog, xml, safe):
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        signed = sign(service.settings, xml, safe=safe)
        response = await service.client.post("/wechat", params=signed.query, data=signed.body.encode())
        assert response.status in (200, 400, 403, 413), (response.status, xml)
    tracebacks = [record for record in caplog.records if record.exc_info]
    assert not tracebacks, (xml, tracebacks[0].getMessage())


async def test_a_four_hundred_digit_msgid_or_createtime_is_a_bad_request(service):
    for field, value in (("MsgId", "9" * 400), ("CreateTime", "9" * 400), ("CreateTime", "-5")):
        xml = re.sub(rf"<{field}>.*?</{field}>", f"<{field}>{value}</{field}>", text_xml("o_x", "学时", msg_id=1))
        signed = sign(service.settings, xml)
        response = await service.client.post("/wechat", params=signed.query, data=signed.body.encode())
        assert response.status == 400, field


async def test_a_sender_given_as_an_element_or_twice_is_a_bad_request(service):
    valid = text_xml("o_x", "学时", msg_id=1)
    for xml in (
        valid.replace("<FromUserName><![CDATA[o_x]]></FromUserName>", "<FromUserName><a>o_x</a></FromUserName>"),
        valid.replace("<Content>", "<Content><b>x</b>", 1),
        valid.replace("</xml>", "<FromUserName>o_admin</FromUserName></xml>"),
    ):
        signed = sign(service.settings, xml)
        response = await service.client.post("/wechat", params=signed.query, data=signed.body.encode())
        assert response.status == 400, xml


async def test_a_signed_url_with_a_timestamp_of_thousands_of_digits_is_refused_calmly(service, caplog):
    """int() refuses more than 4,300 digits; the window check must not be where that surfaces."""
    for timestamp in ("9" * 400, "9" * 5000, "１７００００００００", "-1"):
        query = {"signature": signature_of(service.settings.wechat_token, timestamp, "7"), "timestamp": timestamp}
        query["nonce"] = "7"
        caplog.clear()
        response = await service.client.post("/wechat", params=query, data=text_xml("o_x", "学时").encode())
        assert response.status == 403, timestamp
        assert not [record for record in caplog.records if record.exc_info], timestamp
        response = await service.client.get("/wechat", params=query | {"echostr": "e"})
        assert response.status == 403, timestamp
