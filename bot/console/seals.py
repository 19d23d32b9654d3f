"""电子签章 (附件2): a region applies to use its own seal, the province files (备案) or rejects the application, and
the application prints in the attachment's form.

Unit admins see which seal their region's certificates carry, read-only; the applications themselves (and their
print pages) belong to the region and the province.
"""

import base64
from datetime import UTC, date, datetime

import aiohttp_jinja2
from aiohttp import web

from bot.console.auth import current_admin, path_id
from bot.settings import SETTINGS
from handlers.chat import CHINA
from render.seal import seal_png
from storage.errors import AlreadyDecided, OutOfScope
from storage.filings import (
    ISSUER_LENGTH,
    InvalidSealApplication,
    OpenApplicationExists,
    ReasonRequired,
    apply_for_seal,
    decide_seal_application,
    default_applicant,
    seal_application_in_scope,
    seal_applications_in_scope,
    seal_status_in_scope,
)
from storage.models import AdminRole, ApplicationStatus, SealApplication
from storage.vocabulary import SEAL_STATUS_NAMES

routes = web.RouteTableDef()

APPLIED = "申请已提交，等待省人力资源和社会保障厅备案。请打印申请表，加盖公章后报送。"
PROBLEMS = {
    "applicant": "请填写申请单位全称（4–100 个字）。",
    "issuer": f"请填写签章上的单位名称（{ISSUER_LENGTH[0]}–{ISSUER_LENGTH[1]} 个字）。",
    "applied_on": "请填写申请日期（不晚于今天）。",
}
STILL_OPEN = "本地区已有一份待备案的申请（#{id}），省厅处理后才能再次申请。"
FILED = "已备案：{region}今后新生成的电子证书加盖“{issuer}”签章；此前生成的证书保持原签章。"
REJECTED = "已退回 #{id}，理由：{reason}"
NEEDS_REASON = "退回申请需要填写理由。"
ALREADY = "该申请已由{who}处理（{status}），未重复处理。"


def _today() -> date:
    return datetime.now(CHINA).date()


async def _page(
    request: web.Request, flash: list[str], errors: list[str] | None = None, form: dict | None = None
) -> web.Response:
    admin = current_admin(request)
    statuses = await seal_status_in_scope(admin)
    applications = await seal_applications_in_scope(admin) if admin.role != AdminRole.UNIT else []
    if form is None and admin.role == AdminRole.REGION:
        form = {"applicant": default_applicant(admin.region), "issuer": default_applicant(admin.region)}
        form["applied_on"] = _today().isoformat()
    context = {
        "statuses": statuses,
        "applications": applications,
        "waiting": next((a for a in applications if a.status == ApplicationStatus.SUBMITTED), None),
        "form": form or {},
        "flash": flash,
        "errors": errors or [],
        "issuer_max": ISSUER_LENGTH[1],
    }
    return aiohttp_jinja2.render_template("admin/seal.html", request, context)


@routes.get("/admin/seal")
async def seal_page(request: web.Request) -> web.Response:
    return await _page(request, [])


@routes.post("/admin/seal")
async def apply(request: web.Request) -> web.Response:
    form = await request.post()
    values = {key: str(form.get(key, "")).strip() for key in ("applicant", "issuer", "applied_on")}
    try:
        applied_on = date.fromisoformat(values["applied_on"])
    except ValueError:
        return await _page(request, [], [PROBLEMS["applied_on"]], values)
    try:
        application = await apply_for_seal(
            current_admin(request),
            values["applicant"],
            values["issuer"],
            applied_on,
            _today(),
            request.app[SETTINGS].pilot_start,
        )
    except InvalidSealApplication as invalid:
        return await _page(request, [], [PROBLEMS[invalid.field]], values)
    except OpenApplicationExists as open_one:
        return await _page(request, [], [STILL_OPEN.format(id=open_one.application_id)], values)
    raise web.HTTPSeeOther(f"/admin/seal/{application.id}/print?submitted=1")


@routes.post("/admin/seal/{id}/decision")
async def decide(request: web.Request) -> web.Response:
    form = await request.post()
    approve = form.get("action") == "approve"
    reason = str(form.get("reason", ""))
    if approve and form.get("confirm") != "1":
        return await _confirmation(request)
    try:
        application = await decide_seal_application(
            current_admin(request), path_id(request), approve, reason, datetime.now(UTC)
        )
    except ReasonRequired:
        return await _page(request, [], [NEEDS_REASON])
    except AlreadyDecided as decided:
        status = SEAL_STATUS_NAMES.get(ApplicationStatus(decided.status), decided.status)
        return await _page(request, [], [ALREADY.format(who=decided.decided_by or "他人", status=status)])
    if approve:
        return await _page(request, [FILED.format(region=application.region.name, issuer=application.issuer)])
    return await _page(request, [REJECTED.format(id=application.id, reason=application.reject_reason)])


async def _confirmation(request: web.Request) -> web.Response:
    """备案 changes every certificate the region issues from then on: the province confirms it on a page that names
    the application (it works without script)."""
    admin = current_admin(request)
    if admin.role != AdminRole.PROVINCE:
        raise OutOfScope(path_id(request))
    application = await seal_application_in_scope(admin, path_id(request))
    if application.status != ApplicationStatus.SUBMITTED:
        status = SEAL_STATUS_NAMES[ApplicationStatus(application.status)]
        who = application.decided_by.name if application.decided_by else "他人"
        return await _page(request, [], [ALREADY.format(who=who, status=status)])
    region = application.region.name
    context = {
        "heading": "确认备案",
        "question": "确认为以下 1 份电子签章申请备案？",
        "items": [f"#{application.id} {region}：{application.applicant}，签章名称“{application.issuer}”"],
        "note": "备案后，" + FILED.format(region=region, issuer=application.issuer).removeprefix("已备案："),
        "action": request.path,
        "fields": [("action", "approve")],
        "confirm_label": "确认备案",
        "back_label": "返回",
        "back_href": "/admin/seal",
    }
    return aiohttp_jinja2.render_template("admin/confirm.html", request, context)


def seal_data_uri(issuer: str) -> str:
    return "data:image/png;base64," + base64.b64encode(seal_png(issuer, 360)).decode()


@routes.get("/admin/seal/{id}/print")
@aiohttp_jinja2.template("admin/seal_print.html")
async def print_page(request: web.Request) -> dict:
    application: SealApplication = await seal_application_in_scope(current_admin(request), path_id(request))
    return {
        "application": application,
        "seal": seal_data_uri(application.issuer),
        "notice": APPLIED if request.query.get("submitted") and application.status == "submitted" else "",
    }


@routes.get("/admin/seal/{id}/seal.png")
async def seal_image(request: web.Request) -> web.Response:
    application = await seal_application_in_scope(current_admin(request), path_id(request))
    return web.Response(body=seal_png(application.issuer, 240), content_type="image/png")
