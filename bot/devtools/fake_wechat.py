"""A local stand-in for the WeChat API endpoints the service calls, for tests and for running without Tencent.

It answers with WeChat's shapes and errcodes, keeps tokens the way WeChat does (2 h; a new /cgi-bin/token cuts
the previous one to 5 minutes; stable_token hands back the same token until it expires or is force-refreshed),
records every message sent, per openid and in order, and takes faults on command under /_fake/:

    GET  /_fake/sent?openid=X&after=N   {"messages": [{"seq", "openid", "kind", "at", "payload"}]}, seq > N
    POST /_fake/faults                  {"errcode": 45015, "times": 2, "path": "/cgi-bin/...", "openid": "X"}
                                        {"latency": 2.5, "times": 3, "path": "/cgi-bin/..."}
                                        {"outage": true, "mode": "503" | "drop"}  /  {"outage": false}
    GET  /_fake/faults                  {"faults": [...still pending], "outage": null | "503" | "drop"}
    POST /_fake/advance                 {"seconds": 7200}: move the fake's clock on (tokens and media age)
    POST /_fake/reset                   forget messages, media, menu, faults, outage and call counts (not tokens)
    GET  /_fake/menu                    {"menu": the last menu created, or null}
    GET  /_fake/calls                   {"calls": {"/cgi-bin/stable_token": 1, ...}}
    GET  /_fake/scene?url=U             {"scene": what a phone scanning the QR code that holds U would send}

A fault with "times": N fails exactly the next N matching calls; `path` and `openid` narrow what matches.

Given a folder (`keep_in`; `jxjy serve` and `jxjy fake-wechat` use var/fake-wechat), the messages sent and the
media uploaded are kept there too, so what the service pushed, and the photos a declaration names, survive a
restart; /_fake/reset forgets them there as well.
"""

import asyncio
import itertools
import json
import secrets
import shutil
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from aiohttp import BodyPartReader, web
from aiohttp.web_log import AccessLogger

TOKEN_SECONDS = 7200
CALLBACK_IPS = ("127.0.0.1", "203.0.113.0/24")  # what /cgi-bin/getcallbackip answers here
SUPERSEDED_TOKEN_SECONDS = 300  # a token replaced through /cgi-bin/token keeps working this long
MEDIA_SECONDS = 3 * 24 * 3600  # temporary media
MAX_IMAGE_BYTES = 10 * 1024 * 1024
MAX_QRCODE_SECONDS = 30 * 24 * 3600
MEDIA_TYPES = {"image", "voice", "video", "thumb"}
BUTTON_TYPES = {
    "click", "view", "miniprogram", "scancode_push", "scancode_waitmsg", "pic_sysphoto", "pic_photo_or_album",
    "pic_weixin", "location_select", "media_id", "article_id", "article_view_limited",
}  # fmt: skip

# WeChat's own errmsg for each errcode; an injected fault answers with these too.
ERRMSGS = {
    -1: "system error",
    40001: "invalid credential, access_token is invalid or not latest",
    40002: "invalid grant_type",
    40003: "invalid openid",
    40004: "invalid media type",
    40005: "invalid file type",
    40007: "invalid media_id",
    40008: "invalid message type",
    40009: "invalid image size",
    40013: "invalid appid",
    40014: "invalid access_token",
    40016: "invalid button size",
    40017: "invalid button type",
    40018: "invalid button name size",
    40019: "invalid button key size",
    40020: "invalid button url size",
    40023: "invalid sub button size",
    40037: "invalid template_id",
    40052: "invalid action name",
    40053: "invalid action info",
    40125: "invalid appsecret",
    41001: "access_token missing",
    41002: "appid missing",
    41004: "appsecret missing",
    41005: "media data missing",
    42001: "access_token expired",
    43004: "require subscribe",
    44004: "empty content",
    45009: "reach max api daily quota limit",
    45015: "response out of time limit or subscription is canceled",
    45047: "out of response count limit",
    47001: "data format error",
}


class WeChatRefusal(Exception):
    def __init__(self, errcode: int, errmsg: str | None = None) -> None:
        super().__init__(errcode)
        self.errcode = errcode
        self.errmsg = errmsg or ERRMSGS.get(errcode, f"error {errcode}")


@dataclass
class _Token:
    kind: str  # "token" or "stable": WeChat keeps the two apart, neither replaces the other
    expires_at: float
    revoked_at: float | None = None


@dataclass
class _Media:
    data: bytes
    content_type: str
    filename: str
    created_at: float


@dataclass
class Fault:
    times: int
    path: str | None = None
    openid: str | None = None
    errcode: int | None = None
    errmsg: str | None = None
    latency: float | None = None

    def matches(self, path: str, openid: str | None) -> bool:
        return (self.path is None or self.path == path) and (self.openid is None or self.openid == openid)

    def as_json(self) -> dict[str, Any]:
        return {key: value for key, value in vars(self).items() if value is not None}


class FakeWeChat:
    def __init__(
        self, app_id: str, app_secret: str, clock: Callable[[], float] = time.time, keep_in: Path | None = None
    ) -> None:
        self.app_id = app_id
        self.app_secret = app_secret
        self._clock = clock
        self.keep_in = keep_in
        self.offset = 0.0  # moved on by /_fake/advance
        self.tokens: dict[str, _Token] = {}
        self.current_stable: str | None = None
        self._forget()
        self._load()

    def reset(self) -> None:
        self._forget()
        if self.keep_in is not None:
            shutil.rmtree(self.keep_in, ignore_errors=True)

    def _forget(self) -> None:
        self.sent: list[dict[str, Any]] = []
        self.media: dict[str, _Media] = {}
        self.menu: dict[str, Any] | None = None
        self.scenes: dict[str, str] = {}  # a QR code's url -> its scene, as WeChat knows it when it is scanned
        self.faults: list[Fault] = []
        self.outage: str | None = None
        self.calls: Counter[str] = Counter()
        self._sequence = itertools.count(1)

    # -- what is kept in `keep_in`: sent.jsonl, a line per message; media/<media_id>.json and .bin

    def _load(self) -> None:
        if self.keep_in is None:
            return
        sent = self.keep_in / "sent.jsonl"
        for line in sent.read_text(encoding="utf-8").splitlines() if sent.exists() else ():
            try:
                self.sent.append(json.loads(line))
            except ValueError:
                continue  # a line cut short when the process was killed
        self._sequence = itertools.count(max((message["seq"] for message in self.sent), default=0) + 1)
        for meta in sorted((self.keep_in / "media").glob("*.json")):
            try:
                data = meta.with_suffix(".bin").read_bytes()
                self.media[meta.stem] = _Media(data=data, **json.loads(meta.read_text(encoding="utf-8")))
            except (OSError, ValueError, TypeError):
                continue

    def _keep_message(self, message: dict[str, Any]) -> None:
        if self.keep_in is not None:
            self.keep_in.mkdir(parents=True, exist_ok=True)
            with (self.keep_in / "sent.jsonl").open("a", encoding="utf-8") as sent:
                sent.write(json.dumps(message, ensure_ascii=False) + "\n")

    def _keep_media(self, media_id: str, media: _Media) -> None:
        if self.keep_in is not None:
            folder = self.keep_in / "media"
            folder.mkdir(parents=True, exist_ok=True)
            (folder / f"{media_id}.bin").write_bytes(media.data)
            meta = {key: value for key, value in asdict(media).items() if key != "data"}
            (folder / f"{media_id}.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")

    def now(self) -> float:
        return self._clock() + self.offset

    # -- what every /cgi-bin call goes through

    def take_fault(self, path: str, openid: str | None, latency: bool) -> Fault | None:
        """Use up one matching fault. No await in here: concurrent calls cannot both take the last one."""
        for fault in self.faults:
            if (fault.latency is not None) == latency and fault.matches(path, openid):
                fault.times -= 1
                if fault.times == 0:
                    self.faults.remove(fault)
                return fault
        return None

    def fail_if_faulted(self, path: str, openid: str | None = None) -> None:
        fault = self.take_fault(path, openid, latency=False)
        if fault is not None and fault.errcode is not None:
            raise WeChatRefusal(fault.errcode, fault.errmsg)

    def authorise(self, request: web.Request) -> None:
        value = request.query.get("access_token", "")
        if not value:
            raise WeChatRefusal(41001)
        token = self.tokens.get(value)
        now = self.now()
        if token is None or (token.revoked_at is not None and now >= token.revoked_at):
            raise WeChatRefusal(40001)
        if now >= token.expires_at:
            raise WeChatRefusal(42001)

    def check_credentials(self, grant_type: object, app_id: object, secret: object) -> None:
        if grant_type != "client_credential":
            raise WeChatRefusal(40002)
        if not app_id:
            raise WeChatRefusal(41002)
        if app_id != self.app_id:
            raise WeChatRefusal(40013)
        if not secret:
            raise WeChatRefusal(41004)
        if secret != self.app_secret:
            raise WeChatRefusal(40125)

    def issue(self, kind: str) -> str:
        value = secrets.token_urlsafe(96)
        self.tokens[value] = _Token(kind, self.now() + TOKEN_SECONDS)
        return value

    def expires_in(self, value: str) -> int:
        return int(self.tokens[value].expires_at - self.now())

    def live(self, value: str | None) -> bool:
        token = self.tokens.get(value or "")
        now = self.now()
        return token is not None and now < token.expires_at and (token.revoked_at is None or now < token.revoked_at)

    def record(self, openid: str, kind: str, payload: dict[str, Any]) -> int:
        seq = next(self._sequence)
        self.sent.append({"seq": seq, "openid": openid, "kind": kind, "at": self.now(), "payload": payload})
        self._keep_message(self.sent[-1])
        return seq

    def live_media(self, media_id: object) -> _Media:
        media = self.media.get(str(media_id or ""))
        if media is None or self.now() >= media.created_at + MEDIA_SECONDS:
            raise WeChatRefusal(40007)
        return media

    # -- /cgi-bin

    async def token(self, request: web.Request) -> web.Response:
        query = request.query
        self.check_credentials(query.get("grant_type"), query.get("appid"), query.get("secret"))
        self.fail_if_faulted(request.path)
        # WeChat keeps the previous token working for 5 minutes after a new one is issued, then drops it.
        cut_off = self.now() + SUPERSEDED_TOKEN_SECONDS
        for token in self.tokens.values():
            if token.kind == "token" and token.revoked_at is None:
                token.revoked_at = min(cut_off, token.expires_at)
        value = self.issue("token")
        return web.json_response({"access_token": value, "expires_in": TOKEN_SECONDS})

    async def stable_token(self, request: web.Request) -> web.Response:
        body = await _json_body(request)
        self.check_credentials(body.get("grant_type"), body.get("appid"), body.get("secret"))
        self.fail_if_faulted(request.path)
        force = body.get("force_refresh", False)
        if not isinstance(force, bool):
            raise WeChatRefusal(47001)
        if force or not self.live(self.current_stable):
            if self.current_stable in self.tokens:
                self.tokens[self.current_stable].revoked_at = self.now()  # forcing voids the previous one at once
            self.current_stable = self.issue("stable")
        assert self.current_stable is not None
        return web.json_response(
            {"access_token": self.current_stable, "expires_in": self.expires_in(self.current_stable)}
        )

    async def template_send(self, request: web.Request) -> web.Response:
        self.authorise(request)
        body = await _json_body(request)
        openid = _openid(body)
        self.fail_if_faulted(request.path, openid)
        if not body.get("template_id"):
            raise WeChatRefusal(40037)
        data = body.get("data")
        if not isinstance(data, dict) or not all(
            isinstance(item, dict) and isinstance(item.get("value"), str) for item in data.values()
        ):
            raise WeChatRefusal(47001)
        msgid = 2_000_000_000 + self.record(openid, "template", body)
        return web.json_response({"errcode": 0, "errmsg": "ok", "msgid": msgid})

    async def custom_send(self, request: web.Request) -> web.Response:
        self.authorise(request)
        body = await _json_body(request)
        openid = _openid(body)
        self.fail_if_faulted(request.path, openid)
        kind = body.get("msgtype")
        if kind == "text":
            content = (body.get("text") or {}).get("content")
            if not isinstance(content, str) or not content:
                raise WeChatRefusal(44004)
        elif kind == "image":
            self.live_media((body.get("image") or {}).get("media_id"))
        else:
            raise WeChatRefusal(40008)
        self.record(openid, kind, body)
        return web.json_response({"errcode": 0, "errmsg": "ok"})

    async def media_upload(self, request: web.Request) -> web.Response:
        self.authorise(request)
        self.fail_if_faulted(request.path)
        media_type = request.query.get("type", "")
        if media_type not in MEDIA_TYPES:
            raise WeChatRefusal(40004)
        media = None
        if request.content_type.startswith("multipart/"):
            async for part in await request.multipart():
                if isinstance(part, BodyPartReader) and part.name == "media" and part.filename:
                    media = (await part.read(), part.filename)
                    break
        if media is None:
            raise WeChatRefusal(41005)
        data, filename = media
        if media_type != "image":
            raise WeChatRefusal(40004)  # only images are faked; nothing here sends voice or video
        content_type = _image_type(data)
        if content_type is None:
            raise WeChatRefusal(40005)
        if len(data) > MAX_IMAGE_BYTES:
            raise WeChatRefusal(40009)
        media_id = secrets.token_urlsafe(48)
        created_at = self.now()
        self.media[media_id] = _Media(bytes(data), content_type, filename, created_at)
        self._keep_media(media_id, self.media[media_id])
        return web.json_response({"type": media_type, "media_id": media_id, "created_at": int(created_at)})

    async def media_get(self, request: web.Request) -> web.Response:
        self.authorise(request)
        self.fail_if_faulted(request.path)
        media = self.live_media(request.query.get("media_id"))
        return web.Response(
            body=media.data,
            content_type=media.content_type,
            headers={"Content-Disposition": f'attachment; filename="{media.filename}"'},
        )

    async def qrcode_create(self, request: web.Request) -> web.Response:
        self.authorise(request)
        body = await _json_body(request)
        self.fail_if_faulted(request.path)
        action = body.get("action_name")
        if action not in ("QR_SCENE", "QR_STR_SCENE", "QR_LIMIT_SCENE", "QR_LIMIT_STR_SCENE"):
            raise WeChatRefusal(40052)
        scene = (body.get("action_info") or {}).get("scene") or {}
        if action.endswith("STR_SCENE"):
            value = scene.get("scene_str")
            if not isinstance(value, str) or not 1 <= len(value) <= 64:
                raise WeChatRefusal(40053)
        else:
            value = scene.get("scene_id")
            if not isinstance(value, int) or value <= 0:
                raise WeChatRefusal(40053)
        ticket = secrets.token_urlsafe(72)
        answer: dict[str, Any] = {"ticket": ticket, "url": f"http://weixin.qq.com/q/{secrets.token_urlsafe(18)}"}
        self.scenes[answer["url"]] = str(value)
        if not action.startswith("QR_LIMIT"):
            # Like WeChat: 60 s when absent, never longer than 30 days.
            expire = body.get("expire_seconds", 60)
            if not isinstance(expire, int) or expire <= 0:
                raise WeChatRefusal(47001)
            answer["expire_seconds"] = min(expire, MAX_QRCODE_SECONDS)
        return web.json_response(answer)

    async def callback_ips(self, request: web.Request) -> web.Response:
        """The addresses WeChat's servers call from (a documentation range here, and this machine)."""
        self.authorise(request)
        self.fail_if_faulted(request.path)
        return web.json_response({"ip_list": list(CALLBACK_IPS)})

    async def menu_create(self, request: web.Request) -> web.Response:
        self.authorise(request)
        body = await _json_body(request)
        self.fail_if_faulted(request.path)
        _check_menu(body)
        self.menu = body
        return web.json_response({"errcode": 0, "errmsg": "ok"})

    # -- /_fake

    async def get_scene(self, request: web.Request) -> web.Response:
        scene = self.scenes.get(request.query.get("url", ""))
        if scene is None:
            return web.json_response({"errcode": 40053, "errmsg": "no such QR code"}, status=404)
        return web.json_response({"scene": scene})

    async def get_sent(self, request: web.Request) -> web.Response:
        openid = request.query.get("openid")
        try:
            after = int(request.query.get("after", "0"))
        except ValueError:
            raise web.HTTPBadRequest(text="after must be a number") from None
        messages = [m for m in self.sent if m["seq"] > after and (openid is None or m["openid"] == openid)]
        return web.json_response({"messages": messages})

    async def post_faults(self, request: web.Request) -> web.Response:
        try:
            body = await request.json()
            if not isinstance(body, dict):
                raise ValueError("a JSON object")
            if "outage" in body:
                self.outage = _outage_mode(body)
            else:
                self.faults.append(_fault(body))
        except (ValueError, TypeError) as error:
            raise web.HTTPBadRequest(text=f"bad fault: {error}") from None
        return await self.get_faults(request)

    async def get_faults(self, request: web.Request) -> web.Response:
        return web.json_response({"faults": [fault.as_json() for fault in self.faults], "outage": self.outage})

    async def post_advance(self, request: web.Request) -> web.Response:
        try:
            seconds = float((await request.json())["seconds"])
        except (ValueError, TypeError, KeyError):
            raise web.HTTPBadRequest(text='expected {"seconds": number}') from None
        if seconds < 0:
            raise web.HTTPBadRequest(text="the clock does not go back")
        self.offset += seconds
        return web.json_response({"now": self.now()})

    async def post_reset(self, request: web.Request) -> web.Response:
        self.reset()
        return web.json_response({"ok": True})

    async def get_menu(self, request: web.Request) -> web.Response:
        return web.json_response({"menu": self.menu})

    async def get_calls(self, request: web.Request) -> web.Response:
        return web.json_response({"calls": dict(self.calls)})


FAKE_WECHAT = web.AppKey("fake_wechat", FakeWeChat)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def make_fake_wechat(
    app_id: str, app_secret: str, clock: Callable[[], float] = time.time, keep_in: Path | None = None
) -> web.Application:
    """`clock` (seconds, like time.time) lets a test age tokens and media without waiting; `keep_in`, a folder
    where what was sent and uploaded outlives the process."""
    fake = FakeWeChat(app_id, app_secret, clock, keep_in)

    @web.middleware
    async def like_wechat(request: web.Request, handler: Handler) -> web.StreamResponse:
        if not request.path.startswith("/cgi-bin/"):
            return await handler(request)
        fake.calls[request.path] += 1
        if fake.outage == "drop":
            _drop_connection(request)
        if fake.outage is not None:
            raise web.HTTPServiceUnavailable()
        delay = fake.take_fault(request.path, None, latency=True)
        if delay is not None and delay.latency:
            await asyncio.sleep(delay.latency)
        try:
            return await handler(request)
        except WeChatRefusal as refusal:
            rid = f"{int(fake.now()):x}-{secrets.token_hex(4)}-{secrets.token_hex(4)}"
            return web.json_response({"errcode": refusal.errcode, "errmsg": f"{refusal.errmsg} rid: {rid}"})

    # Large enough for a 10 MB image, so an oversize one gets WeChat's 40009 rather than aiohttp's 413.
    app = web.Application(middlewares=[like_wechat], client_max_size=MAX_IMAGE_BYTES * 2)
    app[FAKE_WECHAT] = fake
    app.router.add_get("/cgi-bin/token", fake.token)
    app.router.add_post("/cgi-bin/stable_token", fake.stable_token)
    app.router.add_post("/cgi-bin/message/template/send", fake.template_send)
    app.router.add_post("/cgi-bin/message/custom/send", fake.custom_send)
    app.router.add_post("/cgi-bin/media/upload", fake.media_upload)
    app.router.add_get("/cgi-bin/media/get", fake.media_get)
    app.router.add_post("/cgi-bin/qrcode/create", fake.qrcode_create)
    app.router.add_post("/cgi-bin/menu/create", fake.menu_create)
    app.router.add_get("/cgi-bin/getcallbackip", fake.callback_ips)
    app.router.add_get("/_fake/sent", fake.get_sent)
    app.router.add_get("/_fake/faults", fake.get_faults)
    app.router.add_post("/_fake/faults", fake.post_faults)
    app.router.add_post("/_fake/advance", fake.post_advance)
    app.router.add_post("/_fake/reset", fake.post_reset)
    app.router.add_get("/_fake/menu", fake.get_menu)
    app.router.add_get("/_fake/calls", fake.get_calls)
    app.router.add_get("/_fake/scene", fake.get_scene)
    return app


class ApiCallsLogged(AccessLogger):
    """The fake's access log: the service's calls to the API, not `jxjy chat` asking /_fake/sent every second."""

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        if not request.path.startswith("/_fake/"):
            super().log(request, response, time)


def fake_wechat_runner(app_id: str, app_secret: str, keep_in: Path | None = None) -> web.AppRunner:
    return web.AppRunner(make_fake_wechat(app_id, app_secret, keep_in=keep_in), access_log_class=ApiCallsLogged)


def run_fake_wechat(host: str, port: int, app_id: str, app_secret: str, keep_in: Path | None = None) -> None:
    """Serve the fake until interrupted; point WECHAT_API_URL at http://host:port."""
    app = make_fake_wechat(app_id, app_secret, keep_in=keep_in)
    web.run_app(app, host=host, port=port, access_log_class=ApiCallsLogged)


async def _json_body(request: web.Request) -> dict[str, Any]:
    # WeChat reads the body as JSON whatever the Content-Type says.
    try:
        body = json.loads(await request.read())
    except ValueError:
        raise WeChatRefusal(47001) from None
    if not isinstance(body, dict):
        raise WeChatRefusal(47001)
    return body


def _openid(body: dict[str, Any]) -> str:
    openid = body.get("touser")
    if not isinstance(openid, str) or not openid:
        raise WeChatRefusal(40003)
    return openid


def _image_type(data: bytes) -> str | None:
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    return None


def _check_menu(menu: dict[str, Any]) -> None:
    buttons = menu.get("button")
    if not isinstance(buttons, list) or not 1 <= len(buttons) <= 3:
        raise WeChatRefusal(40016)
    for top in buttons:
        if not isinstance(top, dict):
            raise WeChatRefusal(47001)
        subs = top.get("sub_button")
        if subs:
            if not isinstance(subs, list) or len(subs) > 5:
                raise WeChatRefusal(40023)
            _check_button(top, max_name_bytes=16, needs_action=False)
            for sub in subs:
                if not isinstance(sub, dict):
                    raise WeChatRefusal(47001)
                _check_button(sub, max_name_bytes=60, needs_action=True)
        else:
            _check_button(top, max_name_bytes=16, needs_action=True)


def _check_button(button: dict[str, Any], max_name_bytes: int, needs_action: bool) -> None:
    name = button.get("name")
    if not isinstance(name, str) or not 0 < len(name.encode()) <= max_name_bytes:
        raise WeChatRefusal(40018)
    if not needs_action:
        return
    kind = button.get("type")
    if kind not in BUTTON_TYPES:
        raise WeChatRefusal(40017)
    if kind == "view" and not 0 < len(str(button.get("url", "")).encode()) <= 1024:
        raise WeChatRefusal(40020)
    if kind not in ("view", "miniprogram", "media_id", "article_id", "article_view_limited"):
        if not 0 < len(str(button.get("key", "")).encode()) <= 128:
            raise WeChatRefusal(40019)


def _fault(body: dict[str, Any]) -> Fault:
    times = body.get("times", 1)
    if not isinstance(times, int) or isinstance(times, bool) or times < 1:
        raise ValueError("times must be a whole number of at least 1")
    path = body.get("path")
    if path is not None and (not isinstance(path, str) or not path.startswith("/cgi-bin/")):
        raise ValueError("path must start with /cgi-bin/")
    openid = body.get("openid")
    if openid is not None and not isinstance(openid, str):
        raise ValueError("openid must be a string")
    if "errcode" in body:
        errcode, errmsg = body["errcode"], body.get("errmsg")
        if not isinstance(errcode, int) or isinstance(errcode, bool) or errcode == 0:
            raise ValueError("errcode must be a non-zero whole number")
        if errmsg is not None and not isinstance(errmsg, str):
            raise ValueError("errmsg must be a string")
        return Fault(times, path, openid, errcode=errcode, errmsg=errmsg)
    if "latency" in body:
        latency = body["latency"]
        if not isinstance(latency, int | float) or isinstance(latency, bool) or latency <= 0:
            raise ValueError("latency must be a positive number of seconds")
        if openid is not None:
            raise ValueError("latency applies by path only")
        return Fault(times, path, latency=float(latency))
    raise ValueError('expected "errcode", "latency" or "outage"')


def _outage_mode(body: dict[str, Any]) -> str | None:
    outage, mode = body["outage"], body.get("mode", "503")
    if not isinstance(outage, bool):
        raise ValueError("outage must be true or false")
    if mode not in ("503", "drop"):
        raise ValueError('mode must be "503" or "drop"')
    return mode if outage else None


def _drop_connection(request: web.Request) -> None:
    # Hang up without a word, as a dead load balancer does; the client sees the connection close.
    if request.transport is not None:
        request.transport.abort()
    raise asyncio.CancelledError
