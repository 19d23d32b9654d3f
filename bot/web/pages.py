"""Web pages served beside the webhook: the public verification page at the root (by certificate number, or by ID
number and name), the verification page behind the QR code and the holder's certificate (signed, expiring link).
Built for the WeChat in-app browser on a phone."""

import base64
import functools
import json
from datetime import datetime
from decimal import Decimal

import aiohttp_jinja2
from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError

from bot.keys import Keys
from bot.settings import Settings
from bot.web.security import client_key
from handlers import urls
from handlers.certificate import certificate_document, document_title, signed_certificate_pdf
from handlers.links import LinkExpired, LinkInvalid, snapshot_of_holder_token
from handlers.qr_token import MIN_TOKEN_CHARS
from handlers.ratelimit import VerifyLimits
from handlers.refusals import No, Refusal, say
from handlers.urls import Urls
from handlers.verify import (
    Asked,
    Minimum,
    QrCheck,
    Status,
    Verification,
    look_up,
    read_asked,
    verify_code,
    verify_token,
    year_lines,
)
from render.cache import render_png
from render.certificate import EXTRACT_TITLE
from render.seal import seal_png
from storage.certificates import snapshot_by_id
from storage.clock import CHINA
from storage.summary import cap_notes
from storage.text import UNSAFE_TEXT, is_safe_text
from storage.vocabulary import hours_figure

EXPLANATIONS = {
    Status.VALID: "证书真实有效。这是持证人目前有效的证书。",
    Status.SUPERSEDED: "证书真实，但持证人已有更新的证书，本证书内容已被更新（学时变化如下）。",
    Status.REVOKED: "该证书已撤销，不再有效。",
    Status.INVALID: "未能验证该证书：二维码或链接无效。",
}
# A one-year extract ("证书 2025") says what it is, and never that it is the holder's certificate.
EXTRACT_EXPLANATIONS = {
    Status.VALID: "这是 {year} 年度学时证明，真实有效。它只列 {year} 年度的学时，不是持证人的完整证书。",
    Status.SUPERSEDED: "这是 {year} 年度学时证明，内容真实，但持证人已有更新的 {year} 年度学时证明，"
    "本证明内容已被更新（学时变化如下）。",
    Status.REVOKED: "这是 {year} 年度学时证明，该证明已撤销，不再有效。",
}
# 已更新 with no newer snapshot yet: a record it shows was voided or corrected since it was issued.
CORRECTED = (
    "证书真实，但其中的学时记录在签发后已作废或更正（见下），本证书内容已不是最新。"
    "持证人可在服务号发送“证书”获取更新后的证书。"
)
EXTRACT_CORRECTED = (
    "这是 {year} 年度学时证明，内容真实，但其中的学时记录在签发后已作废或更正（见下），本证明内容已不是最新。"
)
CSS_CLASSES = {
    Status.VALID: "valid",
    Status.SUPERSEDED: "superseded",
    Status.REVOKED: "revoked",
    Status.INVALID: "invalid",
}


def page(request: web.Request, template: str, status: int = 200, **context: object) -> web.Response:
    response = aiohttp_jinja2.render_template(template, request, context, status=status)
    response.headers["Cache-Control"] = "no-store"
    return response


def message(request: web.Request, heading: str, text: str, status: int) -> web.Response:
    return page(request, "message.html", status, heading=heading, text=text)


@functools.lru_cache(maxsize=64)
def _seal_data_uri(issuer: str) -> str:
    return "data:image/png;base64," + base64.b64encode(seal_png(issuer, 240)).decode()


def _changes(view: Verification) -> list[tuple[object, str]]:
    """Per year of the certificate in force: how its total differs from the superseded one's."""
    before = {y.year: Decimal(y.total) for y in view.years}
    rows = []
    for y in view.newer_years:
        old = before.get(y.year)
        if old is None:
            change = "新增年度"
        elif Decimal(y.total) == old:
            change = "无变化"
        else:
            diff = Decimal(y.total) - old
            change = f"{'增加' if diff > 0 else '减少'} {hours_figure(abs(diff))} 学时"
        rows.append((y, change))
    return rows


def checked_at() -> str:
    """When the answer was given, as a verifier notes it down."""
    return datetime.now(CHINA).strftime("%Y-%m-%d %H:%M") + "（北京时间）"


# The public page's form: a field longer than this is not a number or a name, whatever it holds.
MAX_FIELD_CHARS = 64
FILL_IN = "请填写 16 位证书管理号；或填写 18 位身份证号和姓名。"
BAD_CERT_NUMBER = "证书管理号是 16 位数字（见证书上的“证书管理号”一栏），请核对后再查。"
BAD_ID_NUMBER = "身份证号是 18 位（最后一位可能是 X），姓名请填写汉字，请核对后再查。"
NEEDS_NAME = "按身份证号核验，请同时填写持证人姓名。"
TOO_LONG = "填写的内容过长，请只填写证书管理号，或身份证号和姓名。"


class FormProblem(Exception):
    """What the verifier typed is not a number (and a name) at all: say so; nothing is looked up or counted."""


def _asked(form: dict[str, str]) -> Asked:
    cert_number, id_number, name = (form.get(key, "").strip() for key in ("cert_number", "id_number", "name"))
    if any(len(value) > MAX_FIELD_CHARS for value in (cert_number, id_number, name)):
        raise FormProblem(TOO_LONG)
    if not all(is_safe_text(value) for value in (cert_number, id_number, name)):
        raise FormProblem(UNSAFE_TEXT)
    if cert_number:
        asked = read_asked(cert_number)
        if asked.kind != "cert":
            raise FormProblem(BAD_CERT_NUMBER)
        return asked
    if not id_number:
        raise FormProblem(FILL_IN)
    if not name:
        raise FormProblem(NEEDS_NAME)
    asked = read_asked(f"{id_number} {name}")
    if asked.kind != "id" or not asked.name:
        raise FormProblem(BAD_ID_NUMBER)
    return asked


def home_page(
    request: web.Request,
    status: int = 200,
    problem: str = "",
    found: Minimum | None = None,
    not_found: str = "",
    checked_at: str = "",
) -> web.Response:
    """The form; above it a problem with what was typed, or the answer and when it was given."""
    return page(request, "home.html", status, problem=problem, found=found, not_found=not_found, checked_at=checked_at)


def _is_test(qr: QrCheck | None, keys: Keys) -> bool:
    """测试证书: the service signs with a test key (a PDF signing certificate of the test CA, or the QR key),
    or the token was signed with one."""
    return keys.is_test or (qr is not None and qr.genuine and qr.test_key)


def _json(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2)


def _explanation(view: Verification) -> str:
    if view.status == Status.SUPERSEDED and not view.newer_code:
        return CORRECTED if view.extract_year is None else EXTRACT_CORRECTED.format(year=view.extract_year)
    if view.extract_year is None or view.status == Status.INVALID:
        return EXPLANATIONS[view.status]
    return EXTRACT_EXPLANATIONS[view.status].format(year=view.extract_year)


class Pages:
    def __init__(self, settings: Settings, verify_limits: VerifyLimits, keys: Keys) -> None:
        self.settings = settings
        self.keys = keys
        self.published_keys = keys.by_kid()
        self.urls = Urls(settings.public_url)
        self.verify_limits = verify_limits

    def add_routes(self, app: web.Application) -> None:
        app.router.add_get(urls.HOME, self.home)
        app.router.add_post(urls.HOME, self.home_look_up)
        app.router.add_get(urls.VERIFICATION, self.verification)
        app.router.add_get(urls.PUBLISHED_KEYS, self.published_keys_json)
        app.router.add_get(urls.HOLDER_PAGE, self.holder_page)
        app.router.add_get(urls.HOLDER_PNG, self.holder_png)
        app.router.add_get(urls.HOLDER_PDF, self.holder_pdf)

    async def home(self, request: web.Request) -> web.Response:
        return home_page(request)

    async def home_look_up(self, request: web.Request) -> web.Response:
        """The chat's `验证`, as a form: the same rule, limits and disclosure (handlers/verify.py `look_up`). A POST,
        so an ID number never sits in a URL, a browser's history or an access log; nothing is redirected."""
        try:
            form = {key: value for key, value in (await request.post()).items() if isinstance(value, str)}
            asked = _asked(form)
        except web.HTTPRequestEntityTooLarge:
            return home_page(request, 413, problem=TOO_LONG)
        except (ValueError, HttpProcessingError):  # not a form at all, or a broken one
            return home_page(request, 400, problem=FILL_IN)
        except FormProblem as problem:
            return home_page(request, 400, problem=str(problem))
        client = client_key(request, self.settings.trusted_proxies)
        try:
            found: Minimum | None = await look_up(asked, self.verify_limits, client)
        except Refusal as refusal:
            if refusal.code == No.TOO_MANY_VERIFICATIONS:
                return home_page(request, 429, problem=say(refusal.code))
            if refusal.code != No.NOTHING_TO_VERIFY:
                raise
            found = None
        return home_page(request, found=found, not_found=say(No.NOTHING_TO_VERIFY), checked_at=checked_at())

    async def verification(self, request: web.Request) -> web.Response:
        code = request.match_info["code"]
        if len(code) >= MIN_TOKEN_CHARS:
            view, qr = await verify_token(code, self.published_keys)
        else:  # a QR code printed before tokens: its snapshot code alone
            view, qr = await verify_code(code, self.settings.secret_key), None
        # Only failures count, per client: someone guessing codes is slowed down, and a genuine code always
        # answers, so nobody can lock verifiers out by failing on purpose.
        genuine = view.status != Status.INVALID or (qr is not None and qr.genuine)
        if not genuine and not await self.verify_limits.per_account.allow(
            client_key(request, self.settings.trusted_proxies)
        ):
            return message(request, "请稍后再试", "无效的验证请求过多，请一分钟后再试。", 429)
        return page(
            request,
            "verify.html",
            200 if view.status != Status.INVALID else 404,
            v=view,
            css_class=CSS_CLASSES[view.status],
            explanation=_explanation(view),
            document="证书" if view.extract_year is None else "证明",
            heading="证书" if view.extract_year is None else EXTRACT_TITLE.format(year=view.extract_year),
            seal_src=_seal_data_uri(view.issuer) if view.issuer else "",
            newer_url=self.urls.verification(view.newer_code),
            newer_changes=_changes(view),
            qr=qr,
            test_certificate=_is_test(qr, self.keys),
            keys_url=self.urls.published_keys(),
            home_url=self.urls.home(),
            checked_at=checked_at(),
        )

    async def published_keys_json(self, request: web.Request) -> web.Response:
        response = web.json_response(self.keys.published_json(), dumps=_json)
        response.headers["Cache-Control"] = "public, max-age=3600"
        return response

    async def _snapshot(self, request: web.Request):
        """The snapshot the holder's link names; a revoked certificate shows why, and no image or PDF."""
        try:
            snapshot_id = snapshot_of_holder_token(
                request.match_info["token"], self.settings.secret_key, self.settings.holder_link_days
            )
        except LinkExpired:
            raise refused(request, 410, "链接已过期", EXPIRED) from None
        except LinkInvalid:
            raise refused(request, 404, "链接无效", INVALID_LINK) from None
        snapshot = await snapshot_by_id(snapshot_id)
        if snapshot is None:
            raise refused(request, 404, "链接无效", INVALID_LINK)
        if snapshot.revoked_at is not None:
            raise refused(request, 410, "证书已撤销", REVOKED.format(reason=snapshot.revoke_reason))
        return snapshot

    async def holder_page(self, request: web.Request) -> web.Response:
        snapshot = await self._snapshot(request)
        token = request.match_info["token"]
        years = year_lines(snapshot.facts)
        return page(
            request,
            "holder.html",
            cert_number=snapshot.facts["cert_number"],
            years=years,
            cap_note=cap_notes(y.summary for y in years),
            title=document_title(snapshot),
            png_url=self.urls.holder_png(token),
            pdf_url=self.urls.holder_pdf(token),
            days=self.settings.holder_link_days,
        )

    async def holder_png(self, request: web.Request) -> web.Response:
        document = certificate_document(await self._snapshot(request), self.urls, self.keys.qr)
        body = await render_png(document)
        return web.Response(body=body, content_type="image/png", headers={"Cache-Control": "private, max-age=3600"})

    async def holder_pdf(self, request: web.Request) -> web.Response:
        snapshot = await self._snapshot(request)
        signer = self.keys.pdf_signer_for(snapshot.seal_region_id)
        body = await signed_certificate_pdf(snapshot, self.urls, self.keys.qr, signer, self.settings.pdf_engine)
        filename = f"certificate-{snapshot.facts['cert_number']}.pdf"
        return web.Response(
            body=body,
            content_type="application/pdf",
            headers={"Content-Disposition": f'inline; filename="{filename}"', "Cache-Control": "private, max-age=3600"},
        )


EXPIRED = "为保护您的个人信息，证书链接有效期有限。请在服务号发送“证书”获取新的链接。"
INVALID_LINK = "请在服务号发送“证书”获取证书链接。"
REVOKED = "该证书已被撤销（原因：{reason}），不再提供图片和 PDF。如有疑问，请联系所在单位的继续教育管理员。"


_HTTP_ERRORS: dict[int, type[web.HTTPException]] = {403: web.HTTPForbidden, 404: web.HTTPNotFound, 410: web.HTTPGone}


def refused(request: web.Request, status: int, heading: str, text: str) -> web.HTTPException:
    html = aiohttp_jinja2.render_string("message.html", request, {"heading": heading, "text": text})
    return _HTTP_ERRORS[status](text=html, content_type="text/html")
