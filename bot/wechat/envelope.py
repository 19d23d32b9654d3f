"""The WeChat envelope: signatures, the replay window, safe-mode AES, and XML that is safe to parse.

Everything here either returns the plaintext message XML or raises Forbidden (403) / BadRequest (400)
before anything else has looked at the request.
"""

import hmac
import time
from collections.abc import Mapping
from xml.etree.ElementTree import Element

import defusedxml.ElementTree as safe_xml
from wechatpy.crypto import WeChatCrypto
from wechatpy.utils import WeChatSigner

from bot.settings import Settings
from storage.ids import is_digits


class Forbidden(Exception):
    """Not from WeChat: bad or missing signature, or outside the replay window."""


class BadRequest(Exception):
    """Signed, but not a message we can read."""


def signature_of(*parts: str) -> str:
    signer = WeChatSigner()
    signer.add_data(*parts)
    return signer.signature


def _same(expected: str, given: str) -> bool:
    return hmac.compare_digest(expected.encode(), given.encode("utf-8", "replace"))


def check_query_signature(settings: Settings, query: Mapping[str, str], now: float | None = None) -> None:
    """`signature` = sha1 of the sorted token, timestamp and nonce; the timestamp must be recent."""
    signature, timestamp, nonce = (query.get(k, "") for k in ("signature", "timestamp", "nonce"))
    if not (signature and is_digits(timestamp) and nonce):
        raise Forbidden("missing signature, timestamp or nonce")
    if not _same(signature_of(settings.wechat_token, timestamp, nonce), signature):
        raise Forbidden("bad signature")
    now = time.time() if now is None else now
    # Seconds since 1970 have 10 digits; int() of thousands of them raises rather than answer.
    if len(timestamp) > 20 or abs(now - int(timestamp)) > settings.signature_max_age_seconds:
        raise Forbidden("timestamp outside the replay window")


def screen_xml(text: str) -> Element:
    """WeChat never sends a DTD; refusing one rules out XXE and entity bombs before any parser sees it.
    Returns the parsed root, so that nobody parses the text again."""
    try:
        root = safe_xml.fromstring(text, forbid_dtd=True)
    except Exception as error:  # ParseError, DTDForbidden, EntitiesForbidden, ...
        raise BadRequest(f"unreadable XML: {type(error).__name__}") from None
    if root.tag != "xml":
        raise BadRequest("root element is not <xml>")
    return root


# Fields the service reads: each must be one element holding text only. Numbers are at most 20 digits
# (MsgId is a 64-bit integer; CreateTime seconds since 1970).
_TEXT_FIELDS = frozenset(
    {"ToUserName", "FromUserName", "MsgType", "Content", "Event", "EventKey", "MediaId", "PicUrl", "Ticket"}
)
_NUMBER_FIELDS = frozenset({"CreateTime", "MsgId"})
# <xml> and WeChat's deepest pushes: a menu's photo event (SendPicsInfo > PicList > item > PicMd5Sum), a mass
# send's copyright check (CopyrightCheckResult > ResultList > item > ArticleIdx), a publish job's article list
# (PublishEventInfo > article_detail > item > idx).
_MAX_DEPTH = 5


def screen_message(text: str) -> None:
    """The message XML has the shape WeChat sends: one <xml> of fields, each field once, the fields the
    service reads holding text (numbers where numbers belong), nesting no deeper than WeChat's own."""
    root = screen_xml(text)
    seen: set[str] = set()
    for field in root:
        if field.tag in seen:
            raise BadRequest(f"{field.tag} appears twice")
        seen.add(field.tag)
        if field.tag in _TEXT_FIELDS | _NUMBER_FIELDS and len(field):
            raise BadRequest(f"{field.tag} holds elements")
        if field.tag in _NUMBER_FIELDS and not (is_digits(field.text or "") and len(field.text or "") <= 20):
            raise BadRequest(f"{field.tag} is not a number")
    if _depth(root) > _MAX_DEPTH:
        raise BadRequest("nested too deep")


def _depth(element, limit: int = _MAX_DEPTH + 1) -> int:
    if limit == 0 or not len(element):
        return 1
    return 1 + max(_depth(child, limit - 1) for child in element)


def decode_body(body: bytes) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        raise BadRequest("body is not UTF-8") from None


class SafeMode:
    """AES-256-CBC with the EncodingAESKey, as WeChat's safe mode (encrypt_type=aes) specifies."""

    def __init__(self, settings: Settings) -> None:
        self.token = settings.wechat_token
        self.crypto = WeChatCrypto(settings.wechat_token, settings.wechat_aes_key, settings.wechat_app_id)

    def open(self, outer_xml: str, query: Mapping[str, str]) -> str:
        """The plaintext message inside an encrypted envelope whose msg_signature checks out."""
        encrypted = screen_xml(outer_xml).findtext("Encrypt") or ""
        timestamp, nonce = query.get("timestamp", ""), query.get("nonce", "")
        msg_signature = query.get("msg_signature", "")
        if not (encrypted and msg_signature):
            raise Forbidden("missing Encrypt or msg_signature")
        if not _same(signature_of(self.token, timestamp, nonce, encrypted), msg_signature):
            raise Forbidden("bad msg_signature")
        try:
            inner = self.crypto.decrypt_message({"Encrypt": encrypted}, msg_signature, timestamp, nonce)
        except Exception as error:  # bad base64, bad padding, wrong app id, bad UTF-8 inside
            raise BadRequest(f"cannot decrypt: {type(error).__name__}") from None
        screen_message(inner)
        return inner

    def seal(self, reply_xml: str, nonce: str, timestamp: str | None = None) -> str:
        return self.crypto.encrypt_message(reply_xml, nonce, timestamp or str(int(time.time())))
