"""The admin console: signed in from the chat, scoped on the server, audited."""

import re
import time
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest
from yarl import URL

from storage.models import AuditEntry, Category, ConsoleLink, HourRecord, Person, RecordStatus
from tests.console import LINK, REBIND_CODE, anonymous, sign_in
from tests.domain import a_declaration, a_registered_person, hours_of


async def test_an_admin_signs_in_from_the_chat_and_sees_the_pending_declaration(console_service, world):
    browser = await sign_in(console_service, "o_home")
    status, html = await browser.get("/admin/")
    assert status == 200 and "本单位管理员" in html and "1 条" in html
    status, html = await browser.get("/admin/review")
    assert "孙丽" in html and f"#{world['record'].id}" in html
    await browser.close()


async def test_a_sign_in_link_works_once_and_expires(console_service, world):
    reply = await console_service.user("o_home").says("后台")
    path = URL(LINK.search(reply)[1]).path
    first, second = anonymous(console_service), anonymous(console_service)
    async with first.session.post(first.url(path)) as response:  # 进入管理后台
        assert response.status == 200 and response.url.path == "/admin/"
    status, html = await second.get(path)
    assert status == 403 and "已使用过或已过期" in html
    async with second.session.post(second.url(path)) as response:
        assert response.status == 403
    assert (await second.get("/admin/"))[0] == 401

    reply = await console_service.user("o_home").says("后台")
    path = URL(LINK.search(reply)[1]).path
    await ConsoleLink.filter(used_at=None).update(expires_at=datetime.now(UTC) - timedelta(seconds=1))
    assert (await second.get(path))[0] == 403
    async with second.session.post(second.url(path)) as response:
        assert response.status == 403
    await first.close()
    await second.close()


async def test_people_who_are_not_admins_get_no_link_and_no_console(console_service, world):
    assert "仅限继续教育管理员" in await console_service.user("o_person").says("后台")
    stranger = anonymous(console_service)
    for path in ("/admin/", "/admin/review", "/admin/people", f"/admin/people/{world['person'].id}"):
        status, html = await stranger.get(path)
        assert status == 401 and "孙丽" not in html
    await stranger.close()


async def test_an_idle_session_expires(console_service, world, monkeypatch):
    browser = await sign_in(console_service, "o_home")
    later = time.time() + 31 * 60
    monkeypatch.setattr(time, "time", lambda: later)
    status, _ = await browser.get("/admin/review")
    assert status == 401
    await browser.close()


async def test_approving_several_on_the_console_notifies_like_the_chat(console_service, world):
    second = await a_declaration(world["person"], hours="4", course="第二门课")
    browser = await sign_in(console_service, "o_home")
    chosen = [("ids", world["record"].id), ("ids", second.id), ("action", "approve")]
    status, html = await browser.post("/admin/review", chosen)
    assert status == 200 and "确认通过以下 2 条学时申报" in html
    assert await HourRecord.filter(status=RecordStatus.APPROVED).count() == 0  # not before the confirmation
    status, html = await browser.post("/admin/review", [*chosen, ("confirm", "1")])
    assert status == 200 and f"#{world['record'].id} 孙丽 已通过" in html and f"#{second.id} 孙丽 已通过" in html
    assert await HourRecord.filter(status=RecordStatus.APPROVED).count() == 2
    await console_service.deliver()
    assert len([t for t in await console_service.pushed_texts("o_person") if "审核通过" in t]) == 2
    await browser.close()


def ticked(html: str) -> set[int]:
    """The declarations ticked on the review page as it came back."""
    return {int(n) for n in re.findall(r'name="ids" value="(\d+)"[^>]*\schecked>', html)}


def error_box(html: str) -> str:
    found = re.search(r'<div class="flash error" role="alert">(.*?)</div>', html, re.S)
    return found[1] if found else ""


async def test_a_rejection_without_a_reason_is_an_error_and_keeps_what_was_ticked_and_typed(console_service, world):
    second = await a_declaration(world["person"], hours="4", course="第二门课")
    browser = await sign_in(console_service, "o_home")
    status, html = await browser.post("/admin/review", [("ids", second.id), ("action", "reject"), ("reason", "  ")])
    assert status == 400 and "驳回需要填写理由" in error_box(html)
    assert '<div class="flash" role="status">' not in html  # not in the green box
    assert ticked(html) == {second.id}

    status, html = await browser.post("/admin/review", [("action", "reject"), ("reason", "证明材料不清晰")])
    assert status == 400 and "请先勾选要处理的申报" in error_box(html)
    assert 'name="reason" value="证明材料不清晰"' in html and ticked(html) == set()
    assert await HourRecord.filter(status=RecordStatus.PENDING).count() == 2

    _, html = await browser.post(
        "/admin/review", [("ids", world["record"].id), ("action", "reject"), ("reason", "证明不清")]
    )
    assert f"#{world['record'].id} 孙丽 已驳回" in html and not error_box(html)
    assert (await HourRecord.get(id=world["record"].id)).status == RecordStatus.REJECTED
    await browser.close()


async def test_a_batch_approval_names_each_record_and_waits_for_the_confirmation(console_service, world):
    first, second = world["record"], await a_declaration(world["person"], hours="4", course="第二门课")
    browser = await sign_in(console_service, "o_home")
    chosen = [("ids", first.id), ("ids", second.id), ("action", "approve")]
    status, html = await browser.post("/admin/review?year=2026", chosen)
    assert status == 200 and "确认通过以下 2 条学时申报" in html and "确认通过 2 条" in html
    assert f"#{first.id} 孙丽 · 郑州市第一人民医院 · 2026 年专业科目 · 急诊医学进展 · 6 学时" in html
    assert f"#{second.id} 孙丽 · 郑州市第一人民医院 · 2026 年专业科目 · 第二门课 · 4 学时" in html
    assert 'action="/admin/review?year=2026"' in html and 'name="csrf"' in html  # the filters come along
    assert await HourRecord.filter(status=RecordStatus.PENDING).count() == 2

    status, html = await browser.post("/admin/review", [*chosen, ("back", "1")])  # 返回修改
    assert status == 200 and ticked(html) == {first.id, second.id}
    assert await HourRecord.filter(status=RecordStatus.PENDING).count() == 2

    _, html = await browser.post("/admin/review", [*chosen, ("confirm", "1")])
    assert f"#{first.id} 孙丽 已通过" in html and f"#{second.id} 孙丽 已通过" in html
    assert await HourRecord.filter(status=RecordStatus.APPROVED).count() == 2
    await browser.close()


async def test_a_batch_with_a_record_outside_the_scope_is_refused_whole(console_service, world):
    far_person = await a_registered_person("o_far", name="周远", unit=world["far"])
    far = await a_declaration(far_person)
    browser = await sign_in(console_service, "o_home")
    for step in ([], [("confirm", "1")]):
        chosen = [("ids", world["record"].id), ("ids", far.id), ("action", "approve"), *step]
        status, html = await browser.post("/admin/review", chosen)
        assert status == 403 and f"#{far.id} 不在您的管理范围内" in error_box(html)
        assert "均未处理" in error_box(html) and "周远" not in html
        assert ticked(html) == {world["record"].id}
    assert await HourRecord.filter(status=RecordStatus.PENDING).count() == 2
    assert not await AuditEntry.filter(action="decided").exists()
    await browser.close()


@pytest.mark.parametrize("csrf", ["forged", ""])
async def test_a_confirmation_without_the_csrf_token_is_refused(console_service, world, csrf):
    browser = await sign_in(console_service, "o_home")
    await browser.get("/admin/review")
    browser.csrf = csrf
    form = aiohttp.FormData([("ids", str(world["record"].id)), ("action", "approve"), ("confirm", "1")])
    if csrf:
        form.add_field("csrf", csrf)
    async with browser.session.post(browser.url("/admin/review"), data=form) as response:
        assert response.status == 403
    assert (await HourRecord.get(id=world["record"].id)).status == RecordStatus.PENDING
    await browser.close()


async def test_unbinding_a_lost_wechat_account_lets_the_person_bind_a_new_one(console_service, world):
    person = world["person"]
    browser = await sign_in(console_service, "o_home")
    status, html = await browser.post(f"/admin/people/{person.id}/unbind")
    assert status == 200 and "已解除微信绑定" in html
    assert (await Person.get(id=person.id)).openid is None
    assert await AuditEntry.filter(action="unbound_wechat", target=f"person:{person.id}").exists()
    await browser.close()


async def test_correcting_a_unit_is_audited_and_kept_within_scope(console_service, world):
    person = world["person"]
    region_admin = await sign_in(console_service, "o_zhengzhou")
    status, html = await region_admin.post(f"/admin/people/{person.id}/unit", {"unit": world["neighbour"].id})
    assert status == 200 and "郑州市中心医院" in html
    entry = await AuditEntry.get(action="changed_unit")
    assert entry.before == {"unit_id": world["home"].id} and entry.after == {"unit_id": world["neighbour"].id}
    status, _ = await region_admin.post(f"/admin/people/{person.id}/unit", {"unit": world["far"].id})
    assert status == 403  # Luoyang is not Zhengzhou's
    assert (await Person.get(id=person.id)).unit_id == world["neighbour"].id
    await region_admin.close()


async def test_reading_a_persons_page_is_audited(console_service, world):
    browser = await sign_in(console_service, "o_home")
    status, html = await browser.get(f"/admin/people/{world['person'].id}")
    assert status == 200 and world["person"].id_number in html  # in scope: the full number
    assert await AuditEntry.filter(action="read:person", target=f"person:{world['person'].id}").exists()
    await browser.close()


async def test_only_the_province_browses_the_audit_log(console_service, world):
    province = await sign_in(console_service, "o_province")
    status, html = await province.get("/admin/audit")
    assert status == 200 and "console_sign_in" in html
    region = await sign_in(console_service, "o_zhengzhou")
    assert (await region.get("/admin/audit"))[0] == 403
    await province.close()
    await region.close()


# The scope matrix: every console route that shows or changes one person's data, and who must be refused.
OUTSIDERS = ("o_neighbour", "o_luoyang")
INSIDERS = ("o_home", "o_zhengzhou", "o_province")


def person_routes(world) -> list[tuple[str, str, object]]:
    person, record = world["person"], world["record"]
    return [
        ("GET", f"/admin/people/{person.id}", None),
        ("GET", f"/admin/review/{record.id}/evidence", None),
        ("POST", f"/admin/people/{person.id}/unbind", None),
        ("POST", f"/admin/people/{person.id}/rebind-code", None),
        ("POST", f"/admin/people/{person.id}/unit", {"unit": world["home"].id}),
    ]


@pytest.mark.parametrize("outsider", OUTSIDERS)
async def test_admins_outside_the_scope_are_refused_on_every_route(console_service, world, outsider):
    browser = await sign_in(console_service, outsider)
    for method, path, data in person_routes(world):
        status, html = await (browser.get(path) if method == "GET" else browser.post(path, data))
        assert status == 403, (method, path)
        assert world["person"].id_number not in html
    person = world["person"]
    for path in ("/admin/review", "/admin/people"):
        status, html = await browser.get(path)
        assert status == 200 and person.cert_number not in html and "郑州市第一人民医院" not in html, path
    status, html = await browser.post("/admin/people", {"q": "孙丽"})
    assert status == 200 and person.cert_number not in html and "郑州市第一人民医院" not in html
    _, html = await browser.post("/admin/review", [("ids", world["record"].id), ("action", "approve")])
    assert "不在您的管理范围内" in html
    person = await Person.get(id=person.id)
    assert person.openid == "o_person" and person.unit_id == world["home"].id
    assert (await HourRecord.get(id=world["record"].id)).status == RecordStatus.PENDING
    await browser.close()


@pytest.mark.parametrize("insider", INSIDERS)
async def test_admins_within_the_scope_see_the_person(console_service, world, insider):
    browser = await sign_in(console_service, insider)
    status, html = await browser.post("/admin/people", {"q": "孙丽"})
    assert status == 200 and "孙丽" in html
    status, _ = await browser.get(f"/admin/people/{world['person'].id}")
    assert status == 200
    await browser.close()


async def test_after_unbinding_the_person_binds_a_new_wechat_account_and_keeps_their_number(console_service, world):
    person = world["person"]
    browser = await sign_in(console_service, "o_home")
    _, html = await browser.post(f"/admin/people/{person.id}/unbind")
    code = REBIND_CODE.search(html)[1]
    await browser.close()
    new_phone = console_service.user("o_new_phone")
    await new_phone.says("注册")
    await new_phone.says(person.name)
    assert "重新绑定码" in await new_phone.says(person.id_number)
    reply = await new_phone.says(code.lower())  # typed in any case
    assert "已重新绑定" in reply and person.cert_number in reply
    assert (await Person.get(id=person.id)).openid == "o_new_phone"
    assert await AuditEntry.filter(action="rebound_wechat", actor="openid:o_new_phone").exists()
    assert "计入" in await new_phone.says("学时")


async def test_a_person_search_by_id_number_is_audited_masked(console_service, world):
    browser = await sign_in(console_service, "o_home")
    await browser.post("/admin/people", {"q": world["person"].id_number})
    entry = await AuditEntry.get(action="read:people_search")
    assert world["person"].id_number not in entry.target and "********" in entry.target
    await browser.close()


async def test_the_people_list_and_a_search_page_by_fifty_and_an_odd_page_number_shows_a_real_page(
    console_service, world
):
    for n in range(60):
        await a_registered_person(f"o_many{n}", name="李娜" if n % 10 == 0 else "孙丽", unit=world["home"])
    browser = await sign_in(console_service, "o_home")
    status, html = await browser.get("/admin/people")
    assert status == 200 and "共 61 人，第 1/2 页" in html and html.count('href="/admin/people/') == 50
    status, html = await browser.get("/admin/people", page="2")
    assert "第 2/2 页" in html and html.count('href="/admin/people/') == 11 and "上一页" in html
    for odd in ("0", "-1", "abc", "99999999999999", "9"):
        status, html = await browser.get("/admin/people", page=odd)
        assert status == 200 and ("第 1/2 页" in html or "第 2/2 页" in html), odd
    # A search (posted, so the name stays out of the URL) pages by posting again.
    status, html = await browser.post("/admin/people", {"q": "孙丽"})
    assert "共 55 人，第 1/2 页" in html and 'name="page" value="2"' in html
    status, html = await browser.post("/admin/people", {"q": "孙丽", "page": "2"})
    assert "第 2/2 页" in html and html.count('href="/admin/people/') == 5 and "孙丽" in html and "李娜" not in html
    await browser.close()


@pytest.mark.parametrize("path", ["/admin/people/²", "/admin/people/99999999999999999999", "/admin/review/²/evidence"])
async def test_odd_ids_in_console_paths_are_refused_not_crashed(console_service, world, path):
    browser = await sign_in(console_service, "o_home")
    status, _ = await browser.get(path)
    assert status == 403  # the same answer as for a record out of scope: existence is not revealed
    await browser.close()


async def test_the_review_list_pages_through_a_long_queue_oldest_first_keeping_the_filters(console_service, world):
    for _ in range(120):
        await hours_of(world["person"], 2026, Category.PUBLIC, "2", status=RecordStatus.PENDING)
    browser = await sign_in(console_service, "o_home")
    status, html = await browser.get("/admin/review")
    assert status == 200 and "共 121 条待审核，从最早的开始；第 1 / 3 页" in html
    assert html.count('name="ids"') == 50 and f'value="{world["record"].id}"' in html  # the oldest first

    status, html = await browser.get("/admin/review", category="public", page="3")
    assert "共 120 条待审核，从最早的开始；第 3 / 3 页" in html and html.count('name="ids"') == 20
    assert 'href="?category=public&amp;page=2"' in html
    status, html = await browser.get("/admin/review", page="7")
    assert "第 3 / 3 页" in html and html.count('name="ids"') == 21
    for hostile in ("0", "-4", "abc", "9" * 40):
        status, html = await browser.get("/admin/review", page=hostile)
        assert status == 200 and "条待审核" in html
    await browser.close()
