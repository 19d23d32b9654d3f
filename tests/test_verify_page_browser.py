"""The verification page as a verifier sees it: Debian's Chromium at a phone's size, driven by Playwright."""

from pathlib import Path

import pytest
from playwright.async_api import async_playwright

from storage.models import CertificateSnapshot
from tests.test_certificate import _certificate_link, a_person_with_hours

ARTIFACTS = Path(__file__).parent / "artifacts"
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
WECHAT_ANDROID = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Mobile Safari/537.36 "
    "MicroMessenger/8.0.50.2701 NetType/WIFI Language/zh_CN"
)


@pytest.fixture
async def phone():
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is not installed (make test installs it)")
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = await browser.new_context(
            viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True, user_agent=WECHAT_ANDROID
        )
        yield await context.new_page()
        await browser.close()


async def test_a_verifier_scanning_the_qr_sees_at_once_that_it_is_genuine(service, phone, database_url):
    person = await a_person_with_hours(name="欧阳晓明")
    await _certificate_link(service)
    code = (await CertificateSnapshot.get()).code

    await phone.goto(str(service.client.make_url(f"/v/{code}")))
    badge = phone.locator(".badge")
    assert await badge.inner_text() == "有效"
    box = await badge.bounding_box()
    assert box is not None and box["y"] + box["height"] < 844  # visible without scrolling
    text = await phone.locator("main").inner_text()
    assert person.cert_number in text and "欧**明" in text
    assert person.id_number not in text and "欧阳晓明" not in text
    assert await phone.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scrolling

    ARTIFACTS.mkdir(exist_ok=True)
    backend = "postgres" if database_url.startswith("postgres") else "sqlite"
    await phone.screenshot(path=str(ARTIFACTS / f"verify-page-phone-{backend}.png"), full_page=True)


async def test_a_forged_code_shows_invalid_in_the_browser(service, phone):
    await phone.goto(str(service.client.make_url("/v/FORGEDFORGEDFORGE")))
    assert await phone.locator(".badge").inner_text() == "无效"
