"""People in scope: search, one person's records and certificates, unbinding a lost WeChat account (with the
one-time rebinding code the person will need), correcting a wrong unit. Every read of a person is audited."""

from datetime import UTC, datetime, timedelta

import aiohttp_jinja2
from aiohttp import web

from bot.console.auth import current_admin
from bot.settings import SETTINGS
from handlers.refusals import No, say
from storage.audit import console_read
from storage.certificates import certificates_of
from storage.clock import CHINA
from storage.declarations import records_of
from storage.errors import StillBound
from storage.ids import as_number, gender_of
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
from storage.vocabulary import CATEGORY_NAMES, RECORD_STATUS_NAMES, SOURCE_NAMES

routes = web.RouteTableDef()


def _person_id(request: web.Request) -> int:
    text = request.match_info["id"]
    return as_number(text) or 0


PAGE = 50  # people to a page


async def _page_of_people(request: web.Request, text: str, page_asked: str | None) -> dict:
    """One page of the people in scope matching `text` (everyone when it is empty), oldest registration first."""
    admin = current_admin(request)
    total = await count_people(admin, text)
    pages = max(1, -(-total // PAGE))
    page = min(max(as_number(page_asked) or 1, 1), pages)
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
        await console_read(current_admin(request), "people_search", f"query:{text[:40]}")  # the audit log masks IDs
    return context


UNBOUND = (
    "已解除微信绑定。本人需用新的微信号发送“注册”，输入姓名、身份证号和下面的重新绑定码，"
    "即可重新绑定（证书管理号不变）。"
)
CODE_ISSUED = "已生成新的重新绑定码，原来的重新绑定码已作废。"


async def _detail(request: web.Request, flash: list[str], code: IssuedCode | None = None) -> web.Response:
    """The person's page; `code`, just issued, is shown this once and never again."""
    admin = current_admin(request)
    person = await person_in_scope(admin, _person_id(request))
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
        "categories": CATEGORY_NAMES,
        "sources": SOURCE_NAMES,
        "statuses": RECORD_STATUS_NAMES,
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
    unbound = await unbind_wechat(current_admin(request), _person_id(request), datetime.now(UTC), valid_for, pepper)
    return await _detail(request, [UNBOUND], unbound.code)


@routes.post("/admin/people/{id}/rebind-code")
async def new_rebind_code(request: web.Request) -> web.Response:
    valid_for, pepper = _code_valid_for(request)
    try:
        code = await issue_rebind_code(
            current_admin(request), _person_id(request), datetime.now(UTC), valid_for, pepper
        )
    except StillBound:
        return await _detail(request, [say(No.STILL_BOUND)])
    return await _detail(request, [CODE_ISSUED], code)


@routes.post("/admin/people/{id}/unit")
async def move(request: web.Request) -> web.Response:
    form = await request.post()
    unit_id = as_number(form.get("unit")) or 0
    person = await change_unit(current_admin(request), _person_id(request), unit_id)
    return await _detail(request, [f"单位已更正为：{person.unit.name}"])
