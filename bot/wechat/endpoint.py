"""The /wechat endpoint: verify, decrypt, parse, de-duplicate, serialise per user, dispatch, reply."""

import hashlib
import logging
import time
from collections.abc import Hashable, Mapping
from datetime import UTC, datetime
from ipaddress import ip_address

from aiohttp import web
from wechatpy import parse_message
from wechatpy.events import BaseEvent
from wechatpy.messages import BaseMessage, UnknownMessage
from wechatpy.replies import ArticlesReply, TextReply

from bot.settings import Settings
from bot.web.security import client_address
from bot.wechat.envelope import BadRequest, Forbidden, SafeMode, check_query_signature, decode_body, screen_message
from bot.wechat.gate import Gate, ReusedUrl
from handlers.chat import Incoming, JourneyConfig, Kind
from handlers.conversation import converse
from handlers.refusals import Refusal
from handlers.replies import News, Reply, Text

log = logging.getLogger(__name__)

BUSY = "系统繁忙，请稍后再试。您刚才的操作如未完成，可以重新发送。"
NOTHING = "success"  # what WeChat expects when there is nothing to say

_EVENT_KINDS = {
    "subscribe": Kind.SUBSCRIBE,
    "subscribe_scan": Kind.SUBSCRIBE,
    "unsubscribe": Kind.UNSUBSCRIBE,
    "scan": Kind.SCAN,
    "click": Kind.CLICK,
}


class WeChatEndpoint:
    def __init__(self, settings: Settings, gate: Gate, journey_config: JourneyConfig) -> None:
        self.settings = settings
        self.gate = gate
        self.safe_mode = SafeMode(settings) if settings.safe_mode else None
        self.journey_config = journey_config

    async def verify(self, request: web.Request) -> web.Response:
        """WeChat's server-address check: echo `echostr` only to a correctly signed request."""
        try:
            check_query_signature(self.settings, request.query)
        except Forbidden:
            raise web.HTTPForbidden(text="bad signature") from None
        return web.Response(text=request.query.get("echostr", ""))

    async def receive(self, request: web.Request) -> web.Response:
        query = request.query
        encrypted = query.get("encrypt_type", "raw").lower() == "aes"
        try:
            self._check_sender_address(request)
            check_query_signature(self.settings, query)
            if self.settings.encrypted_only and not encrypted:
                # the URL signature covers no part of the body: a plaintext body could be anyone's
                raise Forbidden(f"plaintext POST refused in {self.settings.wechat_encryption} mode")
            body = decode_body(await request.read())  # over client_max_size: 413
            if encrypted:
                if self.safe_mode is None:
                    raise BadRequest("safe mode is not configured (WECHAT_AES_KEY)")
                body = self.safe_mode.open(body, query)
            else:
                screen_message(body)
            message = _parse(body)
            incoming = to_incoming(message)
        except Forbidden as refused:
            log.warning("refused a POST to /wechat: %s", refused)
            raise web.HTTPForbidden(text="bad signature") from None
        except BadRequest as bad:
            log.warning("unreadable POST to /wechat: %s", bad)
            raise web.HTTPBadRequest(text="bad request") from None

        # The URL's nonce is bound to this message in the gate, with the message's other shared state.
        url = (query["timestamp"], query["nonce"], incoming.message_key)
        try:
            reply_xml = await self.gate.once(
                retry_key(message), incoming.openid, lambda: self._answer(message, incoming), url
            )
        except ReusedUrl as refused:
            log.warning("refused a POST to /wechat: %s", refused)
            raise web.HTTPForbidden(text="bad signature") from None
        except Exception:
            # The shared state (Redis) failed, or the user's previous message held the lock too long.
            log.exception("%s from %s not handled", incoming.kind, incoming.openid)
            reply_xml = render_reply(Text(BUSY), message)
        return self._respond(reply_xml, encrypted, query)

    def _respond(self, reply_xml: str, encrypted: bool, query: Mapping[str, str]) -> web.Response:
        if encrypted and reply_xml != NOTHING and self.safe_mode is not None:
            reply_xml = self.safe_mode.seal(reply_xml, query.get("nonce", ""))
        return web.Response(text=reply_xml, content_type="application/xml" if reply_xml != NOTHING else "text/plain")

    def _check_sender_address(self, request: web.Request) -> None:
        """With WECHAT_CALLBACK_IPS set, only WeChat's servers may post (a second wall behind the signature)."""
        allowed = self.settings.wechat_callback_ips
        if not allowed:
            return
        try:
            sender = ip_address(client_address(request, self.settings.trusted_proxies))
        except ValueError:
            raise Forbidden("sender address unreadable") from None
        if not any(sender in network for network in allowed):
            raise Forbidden(f"{sender} is not one of WeChat's callback addresses")

    async def _answer(self, message: BaseMessage, incoming: Incoming) -> str:
        try:
            reply = await converse(incoming, self.journey_config)
        except Refusal as refusal:
            reply = Text(refusal.message)
        except Exception:
            log.exception("handling %s from %s failed", incoming.kind, incoming.openid)
            reply = Text(BUSY)
        return render_reply(reply, message)


def _parse(xml: str) -> BaseMessage:
    try:
        message = parse_message(xml)
        if not (message.source and message.target) or len(message.source) > 64:
            raise BadRequest("missing sender or receiver")
        message.time  # noqa: B018  (CreateTime must be a number)
    except BadRequest:
        raise
    except Exception as error:  # KeyError (no MsgType), ValueError, TypeError from odd shapes
        raise BadRequest(f"not a WeChat message: {type(error).__name__}") from None
    return message


def retry_key(message: BaseMessage) -> Hashable:
    """How WeChat identifies a retry: MsgId and sender; events have no MsgId, so sender, time, event and key."""
    if isinstance(message, BaseEvent):
        return ("event", message.source, message.time, message.event, _event_key(message))
    if (event := _unknown_event(message)) is not None:
        return ("event", message.source, message.time, event, "")
    return ("message", message.source, message.id)


def _unknown_event(message: BaseMessage) -> str | None:
    """The name of an event wechatpy has no class for (subscribe_msg_popup_event, PUBLISHJOBFINISH, …), or None.
    wechatpy keeps such a push as an UnknownMessage whose parsed fields are its `_data`."""
    if not isinstance(message, UnknownMessage):
        return None
    data = getattr(message, "_data", {})
    if str(data.get("MsgType") or "").lower() != "event":
        return None
    return str(data.get("Event") or "")


def message_digest(message: BaseMessage) -> str:
    """A short, stable name for the message a retry key identifies (what a nonce is bound to)."""
    return hashlib.sha256(repr(retry_key(message)).encode()).hexdigest()[:32]


def _event_key(message: BaseMessage) -> str:
    return str(getattr(message, "key", None) or getattr(message, "scene_id", None) or "")


def to_incoming(message: BaseMessage) -> Incoming:
    now, source, key = datetime.now(UTC), message.source, message_digest(message)
    if isinstance(message, BaseEvent):
        kind = _EVENT_KINDS.get(message.event, Kind.EVENT)
        return Incoming(source, kind, now, key=_event_key(message), message_key=key)
    if _unknown_event(message) is not None:  # a push about something the service does not do: nothing to say
        return Incoming(source, Kind.EVENT, now, message_key=key)
    if message.type == "text":
        return Incoming(source, Kind.TEXT, now, text=message.content or "", message_key=key)
    if message.type == "image":
        return Incoming(source, Kind.IMAGE, now, media_id=message.media_id or "", message_key=key)
    return Incoming(source, Kind.OTHER, now, message_key=key)


def _cdata_safe(text: str) -> str:
    # wechatpy writes strings into CDATA sections verbatim; "]]>" would end one early.
    return text.replace("]]>", "]]]]><![CDATA[>")


def render_reply(reply: Reply, message: BaseMessage) -> str:
    now = int(time.time())
    if reply is None:
        return NOTHING
    if isinstance(reply, Text):
        return TextReply(message=message, content=_cdata_safe(reply.content), time=now).render()
    if isinstance(reply, News):
        articles = [{k: _cdata_safe(v) for k, v in vars(article).items()} for article in reply.articles[:8]]
        return ArticlesReply(message=message, articles=articles, time=now).render()
    raise TypeError(f"cannot render {reply!r}")
