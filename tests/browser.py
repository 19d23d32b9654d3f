"""Debian's chromium, driven by Playwright, as a phone in WeChat's in-app browser. Never `playwright install`."""

import re
import subprocess
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, async_playwright
from yarl import URL

from tests.console import LINK

ARTIFACTS = Path(__file__).parent / "artifacts"  # screenshots kept from each run (git-ignored)
CHROMIUM = "/usr/bin/chromium"
# As in the probe of this machine: no background traffic, nothing the closed network would refuse.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"width": 390, "height": 844}
A4 = {"width": 794, "height": 1123}  # 210 x 297 mm at 96 dpi
WECHAT_ANDROID = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Mobile Safari/537.36 "
    "MicroMessenger/8.0.50.2701 NetType/WIFI Language/zh_CN"
)


@pytest.fixture
async def chromium():
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is not installed (make test installs it)")
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        await browser.close()


@pytest.fixture
async def phone(chromium):
    context = await chromium.new_context(
        viewport=PHONE, device_scale_factor=2, is_mobile=True, user_agent=WECHAT_ANDROID
    )
    yield await context.new_page()
    await context.close()


async def console_page(service, browser: Browser, openid: str, phone: bool) -> Page:
    """A fresh browser signed in by tapping the link that 后台 sends."""
    if phone:
        context = await browser.new_context(
            viewport=PHONE, device_scale_factor=2, is_mobile=True, user_agent=WECHAT_ANDROID
        )
    else:
        context = await browser.new_context(viewport=A4)
    page = await context.new_page()
    reply = await service.user(openid).says("后台")
    await page.goto(str(service.client.make_url(URL(LINK.search(reply)[1]).path)))
    await page.get_by_role("button", name="进入管理后台").click()
    await page.wait_for_url("**/admin/")
    return page


async def phone_screenshot(service, browser: Browser, openid: str, path: str, name: str) -> str:
    """The page at a phone's size, fitting its width; returns its text."""
    page = await console_page(service, browser, openid, phone=True)
    response = await page.goto(str(service.client.make_url(path)))
    assert response.status == 200
    assert await page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]  # no sideways scrolling
    ARTIFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    text = await page.locator("main").inner_text()
    await page.context.close()
    return text


async def print_page_artifacts(service, browser: Browser, openid: str, path: str, name: str, tmp_path) -> str:
    """Screenshot `path` on a phone and as printed on A4 (also as a PDF), check what a reader would notice, and
    return the printed page's text."""
    ARTIFACTS.mkdir(exist_ok=True)
    phone = await console_page(service, browser, openid, phone=True)
    response = await phone.goto(str(service.client.make_url(path)))
    assert response.status == 200
    assert await phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]  # no sideways scrolling
    assert await phone.evaluate("[...document.images].every(i => i.complete && i.naturalWidth > 0)")
    await phone.screenshot(path=str(ARTIFACTS / f"{name}-phone.png"), full_page=True)

    desk = await console_page(service, browser, openid, phone=False)
    await desk.goto(str(service.client.make_url(path)))
    await desk.emulate_media(media="print")
    for chrome in ("header", "nav.console", ".actions", "form[action='/admin/logout']"):
        assert not await desk.locator(chrome).first.is_visible(), chrome  # print shows the form only
    await desk.screenshot(path=str(ARTIFACTS / f"{name}-a4-print.png"), full_page=True)
    pdf = await desk.pdf(prefer_css_page_size=True, print_background=True)
    (ARTIFACTS / f"{name}.pdf").write_bytes(pdf)
    assert len(re.findall(rb"/Type\s*/Page[^s]", pdf)) == 1  # one A4 sheet
    subprocess.run(
        ["pdftoppm", "-r", "60", "-png", "-singlefile", str(ARTIFACTS / f"{name}.pdf"), str(ARTIFACTS / f"{name}-pdf")],
        check=True,
    )
    text = await desk.locator("article.paper").inner_text()
    await phone.context.close()
    await desk.context.close()
    return text
