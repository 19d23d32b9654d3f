"""The console in a real browser at a phone's size: Debian's chromium, driven by Playwright."""

import re

from playwright.async_api import Page
from yarl import URL

from storage.models import HourRecord, RecordStatus
from tests.browser import ARTIFACTS
from tests.console import LINK
from tests.domain import a_declaration


async def open_console(service, page: Page, openid: str) -> None:
    """Tap the link that 后台 sends in the chat."""
    reply = await service.user(openid).says("后台")
    await page.goto(str(service.client.make_url(URL(LINK.search(reply)[1]).path)))
    await page.get_by_role("button", name="进入管理后台").click()
    await page.wait_for_url("**/admin/")


async def test_an_admin_signs_in_from_the_chat_link_and_approves_a_declaration(console_service, world, phone):
    await open_console(console_service, phone, "o_home")
    assert "本单位管理员" in await phone.locator("header").inner_text()
    await phone.get_by_role("link", name="审核").first.click()
    await phone.wait_for_url(re.compile(r"/admin/review"))
    await phone.locator("label.record", has_text="孙丽").locator("input[type=checkbox]").check()
    ARTIFACTS.mkdir(exist_ok=True)
    await phone.screenshot(path=str(ARTIFACTS / "console-review-phone.png"), full_page=True)
    await phone.get_by_role("button", name="通过所选").click()
    await phone.get_by_role("button", name="确认通过 1 条").wait_for()
    assert "孙丽" in await phone.locator("ol.confirm-items").inner_text()
    assert (await HourRecord.get(id=world["record"].id)).status == RecordStatus.PENDING
    await phone.get_by_role("button", name="确认通过 1 条").click()
    await phone.wait_for_selector(".flash")
    assert "已通过" in await phone.locator(".flash").first.inner_text()
    assert (await HourRecord.get(id=world["record"].id)).status == RecordStatus.APPROVED


async def test_select_all_ticks_the_page_and_a_refusal_keeps_the_ticks(console_service, world, phone):
    second = await a_declaration(world["person"], hours="4", course="第二门课")
    await open_console(console_service, phone, "o_home")
    await phone.goto(str(console_service.client.make_url("/admin/review")))
    boxes = phone.locator("label.record input[type=checkbox]")
    select_all = phone.get_by_label("全选本页（2 条）")
    await select_all.check()
    assert [await box.is_checked() for box in await boxes.all()] == [True, True]
    await boxes.first.uncheck()
    assert await select_all.evaluate("box => box.indeterminate && !box.checked")
    await select_all.check()
    await phone.get_by_role("button", name="驳回所选").click()  # no reason typed
    alert = phone.get_by_role("alert")
    assert "驳回需要填写理由" in await alert.inner_text()
    assert [await box.is_checked() for box in await boxes.all()] == [True, True]
    assert await select_all.is_checked()
    await phone.get_by_label("驳回理由").fill("证明材料不清晰")
    await phone.get_by_role("button", name="驳回所选").click()
    await phone.wait_for_selector(".flash[role=status]")
    statuses = {r.status for r in await HourRecord.filter(id__in=[world["record"].id, second.id])}
    assert statuses == {RecordStatus.REJECTED}


async def test_the_link_cannot_be_opened_twice(console_service, world, phone):
    reply = await console_service.user("o_home").says("后台")
    url = str(console_service.client.make_url(URL(LINK.search(reply)[1]).path))
    await phone.goto(url)
    await phone.get_by_role("button", name="进入管理后台").click()
    await phone.wait_for_url("**/admin/")
    await phone.context.clear_cookies()
    response = await phone.goto(url)
    assert response.status == 403
    assert "已使用过或已过期" in await phone.locator("main").inner_text()
