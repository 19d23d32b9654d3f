"""`jxjy chat`: talk to a running service exactly as WeChat would, signed and (with --safe) encrypted.

The message builders here are also what the tests and the benchmark post, so all three speak the
same wire format WeChat does.
"""

import asyncio
import itertools
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import defusedxml.ElementTree as safe_xml

from bot.settings import Settings
from bot.wechat.api import WeChatApi, WeChatApiError, WeChatApiUnavailable
from bot.wechat.envelope import SafeMode, signature_of

ACCOUNT = "gh_jxjy_local"  # the official account's own id, as ToUserName
_msg_ids = itertools.count(int(time.time() * 1000))


def _cdata(value: str) -> str:
    return "<![CDATA[" + value.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def text_xml(openid: str, content: str, msg_id: int | None = None, create_time: int | None = None) -> str:
    return (
        f"<xml><ToUserName>{_cdata(ACCOUNT)}</ToUserName><FromUserName>{_cdata(openid)}</FromUserName>"
        f"<CreateTime>{create_time or int(time.time())}</CreateTime><MsgType>{_cdata('text')}</MsgType>"
        f"<Content>{_cdata(content)}</Content><MsgId>{msg_id or next(_msg_ids)}</MsgId></xml>"
    )


def event_xml(openid: str, event: str, key: str = "", create_time: int | None = None) -> str:
    key_xml = f"<EventKey>{_cdata(key)}</EventKey>" if key or event == "CLICK" else ""
    return (
        f"<xml><ToUserName>{_cdata(ACCOUNT)}</ToUserName><FromUserName>{_cdata(openid)}</FromUserName>"
        f"<CreateTime>{create_time or int(time.time())}</CreateTime><MsgType>{_cdata('event')}</MsgType>"
        f"<Event>{_cdata(event)}</Event>{key_xml}</xml>"
    )


def media_xml(openid: str, msg_type: str, msg_id: int | None = None, media_id: str = "") -> str:
    """An image, voice or location message: enough of one for the service to recognise it."""
    msg_id = msg_id or next(_msg_ids)
    return (
        f"<xml><ToUserName>{_cdata(ACCOUNT)}</ToUserName><FromUserName>{_cdata(openid)}</FromUserName>"
        f"<CreateTime>{int(time.time())}</CreateTime><MsgType>{_cdata(msg_type)}</MsgType>"
        f"<MediaId>{_cdata(media_id or f'media-{msg_id}')}</MediaId><MsgId>{msg_id}</MsgId></xml>"
    )


@dataclass(frozen=True)
class SignedPost:
    query: dict[str, str]
    body: str


def sign(settings: Settings, xml: str, safe: bool = False, timestamp: int | None = None) -> SignedPost:
    """Sign (and encrypt) a message XML as WeChat's servers do before POSTing it."""
    ts = str(timestamp or int(time.time()))
    nonce = str(secrets.randbelow(10**10))
    query = {
        "signature": signature_of(settings.wechat_token, ts, nonce),
        "timestamp": ts,
        "nonce": nonce,
    }
    if not safe:
        return SignedPost(query, xml)
    sealed = SafeMode(settings).seal(xml, nonce, ts)
    encrypted = safe_xml.fromstring(sealed).findtext("Encrypt") or ""
    query |= {
        "encrypt_type": "aes",
        "msg_signature": signature_of(settings.wechat_token, ts, nonce, encrypted),
    }
    body = f"<xml><ToUserName>{_cdata(ACCOUNT)}</ToUserName><Encrypt>{_cdata(encrypted)}</Encrypt></xml>"
    return SignedPost(query, body)


def read_reply(settings: Settings, body: str, query: dict[str, str]) -> str:
    """What the user would see: the text, or the news items, of a (possibly encrypted) reply."""
    if body in ("", "success"):
        return "（无回复）"
    if query.get("encrypt_type") == "aes":
        root = safe_xml.fromstring(body)
        body = SafeMode(settings).crypto.decrypt_message(
            {"Encrypt": root.findtext("Encrypt")},
            root.findtext("MsgSignature"),
            root.findtext("TimeStamp"),
            root.findtext("Nonce"),
        )
    root = safe_xml.fromstring(body)
    if root.findtext("MsgType") == "text":
        return root.findtext("Content") or ""
    items = root.findall("Articles/item")
    return "\n".join(f"【{i.findtext('Title')}】{i.findtext('Description')}\n{i.findtext('Url')}" for i in items)


HELP = (
    "输入文字发送给服务号；/image 图片路径 发送照片（JPG、PNG 或 GIF）；/click KEY 点击菜单；"
    "/subscribe、/unsubscribe 关注事件；/quit 退出。"
)


def pushed_text(message: dict) -> str:
    """A message the service pushed through the API, as the user would read it."""
    payload = message["payload"]
    if "text" in payload:
        return payload["text"]["content"]
    if "data" in payload:
        return "\n".join(item["value"] for item in payload["data"].values())
    return f"[{message['kind']}]"


async def _show_pushes(session: aiohttp.ClientSession, api_url: str, openid: str) -> None:
    """Print what the fake WeChat API records as pushed to this user, as it arrives."""
    sent = f"{api_url.rstrip('/')}/_fake/sent"
    after = None
    while True:
        try:
            params = {"openid": openid} | ({"after": str(after)} if after is not None else {})
            async with session.get(sent, params=params) as response:
                messages = (await response.json())["messages"] if response.status == 200 else []
            for message in messages:
                if after is not None:
                    print("\n服务号推送> " + pushed_text(message).replace("\n", "\n            ") + "\n你> ", end="")
                after = max(after or 0, message["seq"])
            after = after or 0
        except (aiohttp.ClientError, ValueError, KeyError):
            pass  # no fake there (a real API, or not started): nothing to show
        await asyncio.sleep(1)


async def run_chat_client(settings: Settings, openid: str, url: str, safe: bool) -> None:
    print(f"以 {openid} 的身份与 {url} 对话（{'安全模式' if safe else '明文模式'}）。{HELP}")
    async with aiohttp.ClientSession() as session:
        pushes = asyncio.create_task(_show_pushes(session, settings.wechat_api_url, openid))
        # Where WeChat keeps a photo the user sends: the (fake) API's media store, which the service reads back.
        api = WeChatApi(settings.wechat_api_url, settings.wechat_app_id, settings.wechat_app_secret, session=session)
        try:
            await _converse(session, api, settings, openid, url, safe)
        finally:
            pushes.cancel()


async def _converse(
    session: aiohttp.ClientSession, api: WeChatApi, settings: Settings, openid: str, url: str, safe: bool
) -> None:
    while True:
        try:
            line = (await asyncio.to_thread(input, "你> ")).strip()
        except (EOFError, KeyboardInterrupt):
            return
        if not line:
            continue
        if line in ("/quit", "/exit"):
            return
        command, _, argument = line.partition(" ")
        if command == "/image":
            xml = await image_xml(api, openid, argument.strip())
            if xml is None:
                continue
        else:
            xml = _xml_for(openid, line)
        if xml is None:
            print(HELP)
            continue
        post = sign(settings, xml, safe)
        try:
            async with session.post(url, params=post.query, data=post.body.encode()) as response:
                text = await response.text()
                if response.status != 200:
                    print(f"[HTTP {response.status}] {text}")
                    continue
        except aiohttp.ClientError as error:
            print(f"[连接失败] {error}（服务是否已用 `make run` 启动？）")
            continue
        print("服务号> " + read_reply(settings, text, post.query).replace("\n", "\n        "))


def _read_file(path: str) -> bytes:
    return Path(path).expanduser().read_bytes()


UPLOAD_REFUSED = {40005: "不是图片：只能发送 JPG、PNG 或 GIF。", 40009: "图片过大：不能超过 10 MB。"}


async def image_xml(api: WeChatApi, openid: str, path: str) -> str | None:
    """A photo sent as WeChat delivers one: uploaded to the API's media store first, then an image message naming
    its MediaId. None, with the reason printed, when there is nothing to send."""
    if not path:
        print("请在 /image 后写图片文件的路径，如 /image ~/证明.jpg")
        return None
    try:
        data = await asyncio.to_thread(_read_file, path)
    except OSError as error:
        print(f"[无法读取图片] {path}：{error.strerror or error}")
        return None
    try:
        media_id = await api.upload_image(data, Path(path).name)
    except WeChatApiError as error:
        print(f"[图片未发送] {UPLOAD_REFUSED.get(error.errcode, str(error))}")
        return None
    except WeChatApiUnavailable as error:
        print(f"[图片未发送] 微信接口无应答：{error}（服务是否已用 `make run` 启动？）")
        return None
    return media_xml(openid, "image", media_id=media_id)


def _xml_for(openid: str, line: str) -> str | None:
    if not line.startswith("/"):
        return text_xml(openid, line)
    command, _, argument = line.partition(" ")
    if command == "/click" and argument:
        return event_xml(openid, "CLICK", argument.strip())
    if command in ("/subscribe", "/unsubscribe"):
        return event_xml(openid, command[1:])
    return None
