"""The verification page as a verifier sees it: Debian's Chromium at a phone's size, driven by Playwright."""

from storage.models import CertificateSnapshot
from tests.browser import ARTIFACTS
from tests.test_certificate import _certificate_link, a_person_with_hours


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
