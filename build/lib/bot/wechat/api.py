"""Outbound calls to the WeChat API, asyncio-native.

wechatpy's client blocks (requests), so the few endpoints we need are called here with aiohttp. Every call
either returns WeChat's answer, raises `WeChatApiError` (WeChat said no: the errcode decides what to do) or
raises `WeChatApiUnavailable` (no answer: network, timeout, HTTP error; retry later with backoff).
"""

import asyncio
import json
import mimetypes
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import aiohttp

# Errcodes a caller decides on. 45015 and 45047 mean "use a template message instead" or "wait".
SYSTEM_BUSY = -1
INVALID_OPENID = 40003
USER_NOT_SUBSCRIBED = 43004
REPLY_WINDOW_CLOSED = 45015  # more than 48 h since the user last wrote: customer-service messages refused
CUSTOM_MESSAGE_QUOTA = 45047  # customer-service messages used up until the user writes again
# The token was rejected: invalid (40001, 40014) or expired (42001). The client refreshes it and retries once.
TOKEN_ERRCODES = frozenset({40001, 40014, 42001})

MAX_QRCODE_SECONDS = 30 * 24 * 3600  # temporary QR codes live at most 30 days


class WeChatApiError(Exception):
    """WeChat answered with a non-zero errcode."""

    def __init__(self, errcode: int, errmsg: str) -> None:
        super().__init__(f"WeChat errcode {errcode}: {errmsg}")
        self.errcode = errcode
        self.errmsg = errmsg


class WeChatApiUnavailable(Exception):
    """No usable answer (connection refused or dropped, timeout, HTTP error, garbled body): worth retrying later."""


@dataclass(frozen=True, eq=False)
class AccessToken:
    """One fetched token. Compared by identity: a refresh may hand back the same string, yet it is a new fetch."""

    value: str
    fresh_until: float = field(repr=False)


# fetch(force_refresh) -> (access_token, expires_in seconds)
FetchToken = Callable[[bool], Awaitable[tuple[str, int]]]


class TokenStore(Protocol):
    """Where the access_token lives between calls.

    `MemoryTokenStore` serves one process. A Redis version keeps the same two methods and guarantees for a
    service of several processes: `get` reads the shared key and, when it is missing, lets one process fetch
    under a lock while the others wait and re-read; `invalidate` deletes the key only if it still holds the
    token that failed (compare-and-delete, matching value and fetch time), and records `force_refresh`.
    """

    async def get(self, fetch: FetchToken) -> AccessToken:
        """The cached token, or one fresh from `fetch`, which runs once however many callers are waiting."""
        ...

    async def invalidate(self, token: AccessToken, force_refresh: bool = False) -> None:
        """Forget `token` if it is still the current one; with `force_refresh` the next fetch forces a new one."""
        ...


class MemoryTokenStore:
    # Refresh this long before WeChat's expiry, so a token is never used in its last seconds.
    def __init__(self, margin_seconds: float = 300.0, clock: Callable[[], float] = time.monotonic) -> None:
        self._margin = margin_seconds
        self._clock = clock
        self._current: AccessToken | None = None
        self._force_next = False
        self._refreshing: asyncio.Task[AccessToken] | None = None

    async def get(self, fetch: FetchToken) -> AccessToken:
        current = self._current
        if current is not None and self._clock() < current.fresh_until:
            return current
        if self._refreshing is None:
            # A shared task, not a lock: waiters share its result and its failure, so an outage costs one
            # timeout, not one per waiter in turn.
            self._refreshing = asyncio.create_task(self._refresh(fetch))
            self._refreshing.add_done_callback(_retrieve_exception)
        # shield: one impatient caller being cancelled must not cancel the fetch the others are waiting for
        return await asyncio.shield(self._refreshing)

    async def invalidate(self, token: AccessToken, force_refresh: bool = False) -> None:
        if self._current is token:
            self._current = None
            self._force_next = self._force_next or force_refresh

    async def _refresh(self, fetch: FetchToken) -> AccessToken:
        try:
            value, expires_in = await fetch(self._force_next)
            # A stable_token near its end reports little time left: keep it for half of that, not for nothing.
            keep = max(expires_in - self._margin, expires_in / 2)
            self._current = AccessToken(value, self._clock() + keep)
            self._force_next = False
            return self._current
        finally:
            self._refreshing = None


def _retrieve_exception(task: asyncio.Task[AccessToken]) -> None:
    # Every waiter gets the exception; this only keeps asyncio quiet when no waiter is left.
    if not task.cancelled():
        task.exception()


class WeChatApi:
    """The WeChat endpoints the service uses. Pass `session` to share a connection pool; otherwise the client
    opens its own on first use and `close()` closes it."""

    def __init__(
        self,
        base_url: str,
        app_id: str,
        app_secret: str,
        session: aiohttp.ClientSession | None = None,
        timeout: float = 5.0,
        tokens: TokenStore | None = None,
    ) -> None:
        self._base_url = base_url.rstrip("/")
        self._app_id = app_id
        self._app_secret = app_secret
        self._session = session
        self._owns_session = session is None
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._tokens: TokenStore = tokens if tokens is not None else MemoryTokenStore()

    async def close(self) -> None:
        if self._owns_session and self._session is not None:
            await self._session.close()
            self._session = None

    async def __aenter__(self) -> "WeChatApi":
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.close()

    async def access_token(self) -> str:
        return (await self._tokens.get(self._fetch_token)).value

    async def send_template(
        self, openid: str, template_id: str, data: Mapping[str, str | Mapping[str, str]], url: str = ""
    ) -> int:
        """A template message; `data` maps each template key to its text or to WeChat's {"value": text}."""
        payload: dict[str, Any] = {
            "touser": openid,
            "template_id": template_id,
            "data": {key: {"value": value} if isinstance(value, str) else dict(value) for key, value in data.items()},
        }
        if url:
            payload["url"] = url
        answer = await self._call("POST", "/cgi-bin/message/template/send", payload=payload)
        return int(answer["msgid"])

    async def send_text(self, openid: str, content: str) -> None:
        """A customer-service text: only within 48 h of the user's last message (else REPLY_WINDOW_CLOSED)."""
        await self._send_custom({"touser": openid, "msgtype": "text", "text": {"content": content}})

    async def send_image(self, openid: str, media_id: str) -> None:
        await self._send_custom({"touser": openid, "msgtype": "image", "image": {"media_id": media_id}})

    async def upload_image(self, data: bytes, filename: str) -> str:
        """A temporary image (WeChat keeps it 3 days); returns its media_id."""
        answer = await self._call("POST", "/cgi-bin/media/upload", params={"type": "image"}, media=(data, filename))
        return str(answer["media_id"])

    async def get_media(self, media_id: str) -> bytes:
        body = await self._call("GET", "/cgi-bin/media/get", params={"media_id": media_id}, binary=True)
        assert isinstance(body, bytes)
        return body

    async def create_qrcode(self, scene_str: str, expire_seconds: int) -> tuple[str, str]:
        """A temporary QR code carrying `scene_str`; returns (ticket, url).

        Temporary because permanent ones are capped at 100,000 per account.
        """
        if not 1 <= len(scene_str) <= 64:
            raise ValueError("scene_str must be 1 to 64 characters")
        if not 1 <= expire_seconds <= MAX_QRCODE_SECONDS:
            raise ValueError(f"expire_seconds must be 1 to {MAX_QRCODE_SECONDS}")
        payload = {
            "expire_seconds": expire_seconds,
            "action_name": "QR_STR_SCENE",
            "action_info": {"scene": {"scene_str": scene_str}},
        }
        answer = await self._call("POST", "/cgi-bin/qrcode/create", payload=payload)
        return str(answer["ticket"]), str(answer["url"])

    async def callback_ips(self) -> list[str]:
        """The addresses (single IPs or CIDR ranges) WeChat's servers push messages from."""
        answer = await self._call("GET", "/cgi-bin/getcallbackip")
        return [str(ip) for ip in answer.get("ip_list", [])]

    async def create_menu(self, menu: Mapping[str, Any]) -> None:
        await self._call("POST", "/cgi-bin/menu/create", payload=dict(menu))

    async def _send_custom(self, payload: dict[str, Any]) -> None:
        await self._call("POST", "/cgi-bin/message/custom/send", payload=payload)

    async def _fetch_token(self, force_refresh: bool) -> tuple[str, int]:
        # stable_token, unlike /cgi-bin/token, does not cut short the token other processes hold.
        payload = {
            "grant_type": "client_credential",
            "appid": self._app_id,
            "secret": self._app_secret,
            "force_refresh": force_refresh,
        }
        answer = await self._request("POST", "/cgi-bin/stable_token", {}, payload, None, binary=False)
        return str(answer["access_token"]), int(answer["expires_in"])

    async def _call(
        self,
        method: str,
        path: str,
        params: Mapping[str, str] | None = None,
        payload: dict[str, Any] | None = None,
        media: tuple[bytes, str] | None = None,
        binary: bool = False,
    ) -> Any:
        """One call with the access_token; a rejected token is refreshed and the call retried once."""

        async def attempt(token: AccessToken) -> Any:
            query = {**(params or {}), "access_token": token.value}
            return await self._request(method, path, query, payload, media, binary)

        token = await self._tokens.get(self._fetch_token)
        try:
            return await attempt(token)
        except WeChatApiError as error:
            if error.errcode not in TOKEN_ERRCODES:
                raise
            # Only the first of N calls failing with this token drops it, so they share one refresh.
            await self._tokens.invalidate(token)
        token = await self._tokens.get(self._fetch_token)
        try:
            return await attempt(token)
        except WeChatApiError as error:
            if error.errcode in TOKEN_ERRCODES:
                # Rejected twice: stable_token keeps handing back a bad token until we force a new one.
                await self._tokens.invalidate(token, force_refresh=True)
            raise

    async def _request(
        self,
        method: str,
        path: str,
        params: Mapping[str, str],
        payload: dict[str, Any] | None,
        media: tuple[bytes, str] | None,
        binary: bool,
    ) -> Any:
        data: Any = None
        headers = {}
        if payload is not None:
            # Chinese as UTF-8, not \u escapes: WeChat has shown escapes verbatim in menus and messages.
            data = json.dumps(payload, ensure_ascii=False).encode()
            headers["Content-Type"] = "application/json; charset=utf-8"
        elif media is not None:
            data = aiohttp.FormData()  # built per attempt: a FormData can be sent only once
            media_type = mimetypes.guess_type(media[1])[0] or "application/octet-stream"
            data.add_field("media", media[0], filename=media[1], content_type=media_type)
        try:
            async with self._client().request(
                method, self._base_url + path, params=params, data=data, headers=headers, timeout=self._timeout
            ) as response:
                status, content_type, body = response.status, response.content_type, await response.read()
        except (aiohttp.ClientError, TimeoutError) as error:
            # The URL is not in the message: its query carries the access_token.
            raise WeChatApiUnavailable(f"{method} {path}: {type(error).__name__}: {error}") from error
        if status != 200:
            raise WeChatApiUnavailable(f"{method} {path}: HTTP {status}")
        if binary and not (body.startswith(b"{") or "json" in content_type or content_type.startswith("text/")):
            return body
        try:
            answer = json.loads(body)
        except ValueError:
            raise WeChatApiUnavailable(f"{method} {path}: answer is not JSON") from None
        if not isinstance(answer, dict):
            raise WeChatApiUnavailable(f"{method} {path}: answer is not a JSON object")
        errcode = int(answer.get("errcode") or 0)
        if errcode:
            raise WeChatApiError(errcode, str(answer.get("errmsg", "")))
        return body if binary else answer

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession()
        return self._session
