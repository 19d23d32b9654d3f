"""Every push WeChat documents gets the answer it should: a text or a menu click an answer, a photo or a voice
message a polite note, and every event the service has nothing to say to `success`, including the events
wechatpy has no class for. The samples follow the XML of WeChat's documentation (消息管理 › 接收普通消息 /
接收事件推送, 订阅通知, 发布能力) and of wechatpy's and WeRoBot's test suites: field names and nesting as sent."""

import pytest
from wechatpy import parse_message

from bot.wechat.endpoint import retry_key, to_incoming
from bot.wechat.envelope import screen_message
from handlers.chat import Kind
from handlers.general import WELCOME
from handlers.refusals import SENTENCES, No

HEAD = (
    "<xml><ToUserName><![CDATA[gh_jxjy_local]]></ToUserName><FromUserName><![CDATA[{openid}]]></FromUserName>"
    "<CreateTime>1348831860</CreateTime>"
)


def _message(msg_type: str, body: str) -> str:
    return HEAD + f"<MsgType><![CDATA[{msg_type}]]></MsgType>{body}</xml>"


def _event(event: str, body: str = "") -> str:
    return _message("event", f"<Event><![CDATA[{event}]]></Event>{body}")


MESSAGES = {
    "text": _message("text", "<Content><![CDATA[this is a test]]></Content><MsgId>1234567890123456</MsgId>"),
    "image": _message(
        "image",
        "<PicUrl><![CDATA[http://mmbiz.qpic.cn/pic]]></PicUrl><MediaId><![CDATA[media_id]]></MediaId>"
        "<MsgId>1234567890123457</MsgId>",
    ),
    "voice": _message(
        "voice",
        "<MediaId><![CDATA[media_id]]></MediaId><Format><![CDATA[amr]]></Format>"
        "<Recognition><![CDATA[腾讯微信团队]]></Recognition><MsgId>1234567890123458</MsgId>",
    ),
    "video": _message(
        "video",
        "<MediaId><![CDATA[media_id]]></MediaId><ThumbMediaId><![CDATA[thumb_media_id]]></ThumbMediaId>"
        "<MsgId>1234567890123459</MsgId>",
    ),
    "shortvideo": _message(
        "shortvideo",
        "<MediaId><![CDATA[media_id]]></MediaId><ThumbMediaId><![CDATA[thumb_media_id]]></ThumbMediaId>"
        "<MsgId>1234567890123460</MsgId>",
    ),
    "location": _message(
        "location",
        "<Location_X>23.134521</Location_X><Location_Y>113.358803</Location_Y><Scale>20</Scale>"
        "<Label><![CDATA[位置信息]]></Label><MsgId>1234567890123461</MsgId>",
    ),
    "link": _message(
        "link",
        "<Title><![CDATA[公众平台官网链接]]></Title><Description><![CDATA[公众平台官网链接]]></Description>"
        "<Url><![CDATA[https://mp.weixin.qq.com]]></Url><MsgId>1234567890123462</MsgId>",
    ),
}
UNSUPPORTED = ["image", "voice", "video", "shortvideo", "location", "link"]

SILENT_EVENTS = {
    "LOCATION": _event(
        "LOCATION", "<Latitude>23.137466</Latitude><Longitude>113.352425</Longitude><Precision>119.385040</Precision>"
    ),
    "VIEW": _event("VIEW", "<EventKey><![CDATA[https://jxjy.example.gov.cn/]]></EventKey><MenuId>208379533</MenuId>"),
    "TEMPLATESENDJOBFINISH": _event(
        "TEMPLATESENDJOBFINISH", "<MsgID>200163836</MsgID><Status><![CDATA[success]]></Status>"
    ),
    "MASSSENDJOBFINISH": _event(
        "MASSSENDJOBFINISH",
        "<MsgID>1000001625</MsgID><Status><![CDATA[err(30003)]]></Status><TotalCount>0</TotalCount>"
        "<FilterCount>0</FilterCount><SentCount>0</SentCount><ErrorCount>0</ErrorCount>"
        "<CopyrightCheckResult><Count>2</Count><ResultList><item><ArticleIdx>1</ArticleIdx>"
        "<UserDeclareState>0</UserDeclareState><AuditState>2</AuditState>"
        "<OriginalArticleUrl><![CDATA[Url_1]]></OriginalArticleUrl><OriginalArticleType>1</OriginalArticleType>"
        "<CanReprint>1</CanReprint><NeedReplaceContent>1</NeedReplaceContent><NeedShowReprintSource>1"
        "</NeedShowReprintSource></item><item><ArticleIdx>2</ArticleIdx><UserDeclareState>0</UserDeclareState>"
        "<AuditState>2</AuditState><OriginalArticleUrl><![CDATA[Url_2]]></OriginalArticleUrl>"
        "<OriginalArticleType>1</OriginalArticleType><CanReprint>1</CanReprint>"
        "<NeedReplaceContent>1</NeedReplaceContent><NeedShowReprintSource>1</NeedShowReprintSource></item>"
        "</ResultList><CheckState>2</CheckState></CopyrightCheckResult>"
        "<ArticleUrlResult><Count>1</Count><ResultList><item><ArticleIdx>1</ArticleIdx>"
        "<ArticleUrl><![CDATA[Url]]></ArticleUrl></item></ResultList></ArticleUrlResult>",
    ),
    "scancode_push": _event(
        "scancode_push",
        "<EventKey><![CDATA[6]]></EventKey><ScanCodeInfo><ScanType><![CDATA[qrcode]]></ScanType>"
        "<ScanResult><![CDATA[1]]></ScanResult></ScanCodeInfo>",
    ),
    "pic_sysphoto": _event(
        "pic_sysphoto",
        "<EventKey><![CDATA[6]]></EventKey><SendPicsInfo><Count>1</Count><PicList><item>"
        "<PicMd5Sum><![CDATA[1b5f7c23b5bf75682a53e7b6d163e185]]></PicMd5Sum></item></PicList></SendPicsInfo>",
    ),
    "location_select": _event(
        "location_select",
        "<EventKey><![CDATA[6]]></EventKey><SendLocationInfo><Location_X><![CDATA[23]]></Location_X>"
        "<Location_Y><![CDATA[113]]></Location_Y><Scale><![CDATA[15]]></Scale><Label><![CDATA[广州市海珠区]]>"
        "</Label><Poiname><![CDATA[]]></Poiname></SendLocationInfo>",
    ),
}
# Events wechatpy has no class for: it parses them as UnknownMessage.
UNKNOWN_EVENTS = {
    "subscribe_msg_popup_event": _event(
        "subscribe_msg_popup_event",
        "<SubscribeMsgPopupEvent><List><TemplateId><![CDATA[VRR0UEO9VJOLs0MHlU0OilqX6MVFDwH3_3gz3Oc0NIc]]>"
        "</TemplateId><SubscribeStatusString><![CDATA[accept]]></SubscribeStatusString><PopupScene>2</PopupScene>"
        "</List><List><TemplateId><![CDATA[9nLIlbOQZC5Y89AZteFEux3WCXRRRG5Wfzkpssu4bLI]]></TemplateId>"
        "<SubscribeStatusString><![CDATA[reject]]></SubscribeStatusString><PopupScene>2</PopupScene></List>"
        "</SubscribeMsgPopupEvent>",
    ),
    "subscribe_msg_change_event": _event(
        "subscribe_msg_change_event",
        "<SubscribeMsgChangeEvent><List><TemplateId><![CDATA[VRR0UEO9VJOLs0MHlU0OilqX6MVFDwH3_3gz3Oc0NIc]]>"
        "</TemplateId><SubscribeStatusString><![CDATA[reject]]></SubscribeStatusString></List>"
        "</SubscribeMsgChangeEvent>",
    ),
    "subscribe_msg_sent_event": _event(
        "subscribe_msg_sent_event",
        "<SubscribeMsgSentEvent><List><TemplateId><![CDATA[VRR0UEO9VJOLs0MHlU0OilqX6MVFDwH3_3gz3Oc0NIc]]>"
        "</TemplateId><MsgID>1700827132819554304</MsgID><ErrorCode>0</ErrorCode>"
        "<ErrorStatus><![CDATA[success]]></ErrorStatus></List></SubscribeMsgSentEvent>",
    ),
    "PUBLISHJOBFINISH": _event(
        "PUBLISHJOBFINISH",
        "<PublishEventInfo><publish_id>2247503051</publish_id><publish_status>0</publish_status>"
        "<article_id><![CDATA[b5O2OUs25HBxRceL7hfReg-U9QGeq9zQjiDvyWP4Hq4]]></article_id>"
        "<article_detail><count>1</count><item><idx>1</idx><article_url><![CDATA[ARTICLE_URL]]></article_url>"
        "</item></article_detail></PublishEventInfo>",
    ),
}
SILENT_EVENTS |= UNKNOWN_EVENTS


async def _post(service, xml: str, openid: str) -> str:
    response, _signed = await service.post(xml.format(openid=openid))
    assert response.status == 200, (response.status, xml)
    return await response.text()


def _content(reply_xml: str) -> str:
    return reply_xml.split("<Content><![CDATA[", 1)[1].split("]]></Content>", 1)[0]


async def test_a_text_gets_an_answer(service):
    reply = await _post(service, MESSAGES["text"], "o_text")
    assert "没有理解“this is a test”" in _content(reply)


@pytest.mark.parametrize("kind", UNSUPPORTED)
async def test_a_photo_a_voice_a_video_a_place_or_a_link_gets_the_note_that_the_account_reads_text(service, kind):
    assert _content(await _post(service, MESSAGES[kind], f"o_{kind}")) == SENTENCES[No.UNSUPPORTED]


async def test_a_follow_with_or_without_a_scene_gets_the_welcome_and_a_scan_gets_help(service):
    plain = await _post(service, _event("subscribe", "<EventKey><![CDATA[]]></EventKey>"), "o_follow")
    assert _content(plain).startswith(WELCOME.strip())
    scene = _event("subscribe", "<EventKey><![CDATA[qrscene_123123]]></EventKey><Ticket><![CDATA[TICKET]]></Ticket>")
    assert _content(await _post(service, scene, "o_follow_scene")).startswith(WELCOME.strip())
    scan = _event("SCAN", "<EventKey><![CDATA[123123]]></EventKey><Ticket><![CDATA[TICKET]]></Ticket>")
    assert "本服务号可以办理" in _content(await _post(service, scan, "o_scan"))


async def test_a_menu_click_gets_its_journeys_answer(service):
    click = _event("CLICK", "<EventKey><![CDATA[HOURS]]></EventKey>")
    assert "发送“注册”" in _content(await _post(service, click, "o_click"))  # 学时 asks a stranger to register


@pytest.mark.parametrize("event", sorted(SILENT_EVENTS))
async def test_an_event_with_nothing_to_say_gets_success(service, event):
    assert await _post(service, SILENT_EVENTS[event], f"o_{event[:20]}") == "success"


@pytest.mark.parametrize("xml", [*MESSAGES.values(), *SILENT_EVENTS.values()])
def test_every_sample_passes_the_screen(xml):
    screen_message(xml.format(openid="o_screen"))


def test_two_unknown_events_at_the_same_second_are_two_pushes_and_a_retry_is_one():
    popup, published = (
        parse_message(UNKNOWN_EVENTS[e].format(openid="o_same"))
        for e in ("subscribe_msg_popup_event", "PUBLISHJOBFINISH")
    )
    assert retry_key(popup) != retry_key(published)
    assert retry_key(popup) == retry_key(
        parse_message(UNKNOWN_EVENTS["subscribe_msg_popup_event"].format(openid="o_same"))
    )
    later = UNKNOWN_EVENTS["subscribe_msg_popup_event"].replace("1348831860", "1348831861")
    assert retry_key(popup) != retry_key(parse_message(later.format(openid="o_same")))
    assert to_incoming(popup).kind == Kind.EVENT
