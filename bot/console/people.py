"""People in scope: search, one person's records and certificates, unbinding a lost WeChat account (with the
one-time rebinding code the person will need), correcting a wrong unit, voiding or correcting an approved record
(with a reason the person is told). Every read of a person is audited, and every change."""

from datetime import UTC, datetime, timedelta

import aiohttp_jinja2
from aiohttp import web

from bot.console.auth import current_admin, path_id
from bot.console.paging import page_asked, page_count
from bot.settings import SETTINGS
from handlers.corrections import UNCHANGEABLE, unchanged
from handlers.hours_entry import entry_refusal, parse_hours
from handlers.refusals import No, say
from storage.audit import console_read
from storage.certificates import certificates_of
from storage.clock import CHINA
from storage.corrections import correct_record, void_record
from storage.declarations import InvalidEntry, check_hours, check_text, record_by_id, records_of
from storage.errors import OwnRecord, StillBound
from storage.ids import as_number, gender_of, mask_id_numbers_in
from storage.models import RecordStatus
from storage.people_admin import (
    change_unit,
    count_people,
    issue_rebind_code,
    person_in_scope,
    search_people,
    unbind_wechat,
)
from storage.rebind_codes import IssuedCode, live_rebind_code_expiry
from storage.scope import units_in_scope
from storage.vocabulary import hours_figure

routes = web.RouteTableDef()


PAGE = 50  # people to a page


async def _page_of_people(request: web.Request, text: str, asked: str | None) -> dict:
    """One page of the people in scope matching `text` (everyone when it is empty), oldest registration first."""
    admin = current_admin(request)
    total = await count_people(admin, text)
    pages = page_count(total, PAGE)
    page = page_asked(asked, pages)
    found = await search_people(admin, text, PAGE, (page - 1) * PAGE)
    return {"q": text, "people": found, "total": total, "page": page, "pages": pages}


@routes.get("/admin/people")
@aiohttp_jinja2.template("admin/people.html")
async def people(request: web.Request) -> dict:
    """The people in scope, a page at a time; a search is posted (below), so what was looked for never sits in a
    URL or a log."""
    return await _page_of_people(request, "", request.query.get("page"))


@routes.post("/admin/people")
@aiohttp_jinja2.template("admin/people.html")
async def search(request: web.Request) -> dict:
    form = await request.post()
    text = str(form.get("q", ""))[:100]
    context = await _page_of_people(request, text, form.get("page"))
    if text:
        # Masked before it is cut short: cut first, a number's first 17 digits would pass (the 18th is their check).
        await console_read(current_admin(request), "people_search", f"query:{mask_id_numbers_in(text)[:40]}")
    return context


UNBOUND = (
    "已解除微信绑定。本人需用新的微信号发送“注册”，输入姓名、身份证号和下面的重新绑定码，"
    "即可重新绑定（证书管理号不变）。"
)
CODE_ISSUED = "已生成新的重新绑定码，原来的重新绑定码已作废。"


async def _detail(request: web.Request, flash: list[str], code: IssuedCode | None = None) -> web.Response:
    """The person's page; `code`, just issued, is shown this once and never again."""
    admin = current_admin(request)
    person = await person_in_scope(admin, path_id(request))
    await console_read(admin, "person", f"person:{person.id}")
    expiry = await live_rebind_code_expiry(person.id, datetime.now(UTC))
    context = {
        "rebind_code": code.code if code else "",
        "rebind_code_expires": _local(code.expires_at if code else expiry),
        "person": person,
        "gender": gender_of(person.id_number),
        "records": await records_of(person),
        "certificates": await certificates_of(person),
        "units": await units_in_scope(admin, limit=500),
        "approved": RecordStatus.APPROVED,
        "flash": flash,
    }
    return aiohttp_jinja2.render_template("admin/person.html", request, context)


def _local(moment: datetime | None) -> str:
    return moment.astimezone(CHINA).strftime("%Y-%m-%d %H:%M") if moment else ""


def _code_valid_for(request: web.Request) -> tuple[timedelta, str]:
    settings = request.app[SETTINGS]
    return timedelta(days=settings.rebind_code_days), settings.secret_key


@routes.get("/admin/people/{id}")
async def person_page(request: web.Request) -> web.Response:
    return await _detail(request, [])


@routes.post("/admin/people/{id}/unbind")
async def unbind(request: web.Request) -> web.Response:
    valid_for, pepper = _code_valid_for(request)
    try:
        unbound = await unbind_wechat(current_admin(request), path_id(request), datetime.now(UTC), valid_for, pepper)
    except OwnRecord:
        return await _detail(request, [say(No.OWN_UNBINDING)])
    return await _detail(request, [UNBOUND], unbound.code)


@routes.post("/admin/people/{id}/rebind-code")
async def new_rebind_code(request: web.Request) -> web.Response:
    valid_for, pepper = _code_valid_for(request)
    try:
        code = await issue_rebind_code(current_admin(request), path_id(request), datetime.now(UTC), valid_for, pepper)
    except StillBound:
        return await _detail(request, [say(No.STILL_BOUND)])
    return await _detail(request, [CODE_ISSUED], code)


@routes.post("/admin/people/{id}/unit")
async def move(request: web.Request) -> web.Response:
    form = await request.post()
    unit_id = as_number(form.get("unit")) or 0
    person = await change_unit(current_admin(request), path_id(request), unit_id)
    return await _detail(request, [f"单位已更正为：{person.unit.name}"])


VOIDED = "#{id} 已作废，理由已通知本人。"
CORRECTED = "#{id} 已更正为《{course}》{hours} 学时，理由已通知本人。"


async def _record_of_page(request: web.Request) -> int | None:
    """The record named in the path, if it is the page's person's; the storage call checks the scope again."""
    person = await person_in_scope(current_admin(request), path_id(request))
    record_id = path_id(request, "record")
    record = await record_by_id(record_id)
    return record_id if record is not None and record.person_id == person.id else None


@routes.post("/admin/people/{id}/records/{record}/void")
async def void(request: web.Request) -> web.Response:
    record_id = await _record_of_page(request)
    if record_id is None:
        return await _detail(request, [say(No.RECORD_NOT_FOUND, id=request.match_info["record"][:12])])
    reason = str((await request.post()).get("reason", "")).strip()
    if not reason:
        return await _detail(request, [say(No.CORRECTION_WITHOUT_REASON)])
    try:
        await void_record(current_admin(request), record_id, reason, datetime.now(UTC))
    except UNCHANGEABLE as why:
        return await _detail(request, [unchanged(record_id, why)])
    return await _detail(request, [VOIDED.format(id=record_id)])


@routes.post("/admin/people/{id}/records/{record}/correct")
async def correct(request: web.Request) -> web.Response:
    record_id = await _record_of_page(request)
    if record_id is None:
        return await _detail(request, [say(No.RECORD_NOT_FOUND, id=request.match_info["record"][:12])])
    form = await request.post()
    reason = str(form.get("reason", "")).strip()
    if not reason:
        return await _detail(request, [say(No.CORRECTION_WITHOUT_REASON)])
    try:
        hours = check_hours(parse_hours(str(form.get("hours", ""))))
        course = check_text(str(form.get("course", "")))
    except InvalidEntry as invalid:
        today = datetime.now(CHINA).date()
        return await _detail(request, [f"#{record_id} 未更正：" + entry_refusal(invalid.problem, today).message])
    try:
        record = await correct_record(current_admin(request), record_id, hours, course, reason, datetime.now(UTC))
    except UNCHANGEABLE as why:
        return await _detail(request, [unchanged(record_id, why)])
    return await _detail(
        request, [CORRECTED.format(id=record_id, course=record.course, hours=hours_figure(record.hours))]
    )
