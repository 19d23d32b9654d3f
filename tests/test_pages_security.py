"""Every page sends security headers; the console's one-time link is spent only by pressing its button."""

import pytest
from yarl import URL

from storage.console_sessions import close_sessions_of
from storage.models import Admin, ConsoleLink, ConsoleSession
from tests.console import LINK, anonymous, sign_in
from tests.test_certificate import _certificate_link, a_person_with_hours


def assert_security_headers(response) -> None:
    csp = response.headers["Content-Security-Policy"]
    assert (
        "frame-ancestors 'none'" in csp
        and "script-src 'self'" in csp
        and "unsafe-inline" not in csp.split("style-src")[0]
    )
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"


async def test_public_pages_and_errors_send_security_headers(service):
    for path in ("/healthz", "/v/NOTACODE", "/c/not-a-token", "/static/pages.js", "/no-such-page"):
        response = await service.client.get(path)
        assert_security_headers(response)


async def test_holder_pages_and_their_files_are_never_cached(service):
    await a_person_with_hours()
    link = URL(await _certificate_link(service))
    for path in (link.path, f"{link.path}/certificate.png", f"{link.path}/certificate.pdf"):
        response = await service.client.get(path)
        assert response.status == 200 and response.headers["Cache-Control"] == "no-store", path
        assert_security_headers(response)


async def test_console_pages_are_never_cached_and_carry_no_inline_script(console_service, world):
    browser = await sign_in(console_service, "o_province")
    for path in ("/admin/", "/admin/review", "/admin/people", f"/admin/people/{world['person'].id}", "/admin/filings"):
        async with browser.session.get(browser.url(path)) as response:
            html = await response.text()
            assert response.status == 200 and response.headers["Cache-Control"] == "no-store", path
            assert_security_headers(response)
            assert "onclick=" not in html and "onsubmit=" not in html and "<script>" not in html
    await browser.close()


@pytest.mark.parametrize("method", ["GET", "HEAD"])
async def test_opening_or_previewing_the_sign_in_link_does_not_spend_it(console_service, world, method):
    reply = await console_service.user("o_home").says("后台")
    path = URL(LINK.search(reply)[1]).path
    visitor = anonymous(console_service)
    for _ in range(3):  # a link previewer, then the admin's own tap
        async with visitor.session.request(method, visitor.url(path)) as response:
            assert response.status == 200
    assert await ConsoleLink.filter(used_at=None).count() == 1
    async with visitor.session.post(visitor.url(path)) as response:
        assert response.status == 200 and response.url.path == "/admin/"
    async with visitor.session.post(visitor.url(path)) as response:
        assert response.status == 403 and "已使用过或已过期" in await response.text()
    await visitor.close()


async def test_a_sign_in_posted_from_another_site_is_refused(console_service, world):
    reply = await console_service.user("o_home").says("后台")
    path = URL(LINK.search(reply)[1]).path
    visitor = anonymous(console_service)
    async with visitor.session.post(visitor.url(path), headers={"Origin": "https://evil.example"}) as response:
        assert response.status == 403
    assert await ConsoleLink.filter(used_at=None).count() == 1
    await visitor.close()


def _cookie(browser) -> str:
    return next(c.value for c in browser.session.cookie_jar if c.key == "jxjy_console")


async def test_the_cookie_holds_only_a_random_id_new_at_every_sign_in(console_service, world):
    browser = await sign_in(console_service, "o_home")
    first = _cookie(browser)
    assert len(first) >= 40 and first.replace("-", "").replace("_", "").isalnum()  # random, no data in it
    assert await ConsoleSession.filter(token_hash=first).count() == 0  # only its hash is stored
    again = await sign_in(console_service, "o_home")
    assert _cookie(again) != first
    await browser.close()
    await again.close()


async def test_a_session_ended_on_the_server_is_over_for_a_copied_cookie_too(console_service, world):
    browser = await sign_in(console_service, "o_home")
    stolen = anonymous(console_service)
    stolen.session.cookie_jar.update_cookies({"jxjy_console": _cookie(browser)}, URL(browser.url("/admin/")))
    assert (await stolen.get("/admin/"))[0] == 200
    await browser.post("/admin/logout")
    assert (await stolen.get("/admin/"))[0] == 401
    await browser.close()
    await stolen.close()


async def test_an_admin_removed_or_given_another_scope_is_signed_out_at_once(console_service, world):
    unit_admin = await sign_in(console_service, "o_home")
    await Admin.filter(openid="o_home").update(unit_id=world["far"].id)  # moved to a unit in Luoyang
    status, html = await unit_admin.get("/admin/")
    assert status == 401 and "孙丽" not in html
    region_admin = await sign_in(console_service, "o_zhengzhou")
    await Admin.filter(openid="o_zhengzhou").delete()
    assert (await region_admin.get("/admin/review"))[0] == 401
    await unit_admin.close()
    await region_admin.close()


async def test_an_admin_removed_while_signing_in_is_not_let_in(console_service, world):
    """Removal ends the sessions and links it finds; a link written, or a session begun, by a request already
    under way as the removal commits must not outlive it."""
    reply = await console_service.user("o_home").says("后台")
    path = URL(LINK.search(reply)[1]).path
    await Admin.filter(openid="o_home").update(openid=None)  # removed after the link was made, its expiry missed
    visitor = anonymous(console_service)
    async with visitor.session.post(visitor.url(path)) as response:
        assert response.status == 403
    assert not await ConsoleSession.exists()
    await visitor.close()

    browser = await sign_in(console_service, "o_zhengzhou")
    await Admin.filter(openid="o_zhengzhou").update(openid=None)  # the session was begun after the removal's sweep
    status, html = await browser.get("/admin/review")
    assert status == 401 and "孙丽" not in html
    assert not await ConsoleSession.exists()
    await browser.close()


async def test_every_session_of_an_admin_can_be_ended_together(console_service, world):
    phone, desk = await sign_in(console_service, "o_home"), await sign_in(console_service, "o_home")
    admin = await Admin.get(openid="o_home")
    assert await close_sessions_of(admin.id) == 2
    assert (await phone.get("/admin/"))[0] == 401 and (await desk.get("/admin/"))[0] == 401
    await phone.close()
    await desk.close()
