"""The holder's page and the public verification page on a phone: Debian's Chromium at 390 px, driven by
Playwright, as WeChat's in-app browser shows them."""

from yarl import URL

import render.png
from render.cache import default_cache
from tests.browser import ARTIFACTS, PHONE
from tests.test_certificate import _certificate_link, a_person_with_hours

SMALLEST_CSS_PX = 12


async def served_at_public_url(service, page) -> None:
    """The page's links are absolute, under PUBLIC_URL, and its images may come from its own origin only: open it
    at PUBLIC_URL, answered from the test server."""

    async def from_test_server(route) -> None:
        path = URL(route.request.url).raw_path_qs
        await route.fulfill(response=await route.fetch(url=str(service.client.make_url(path))))

    await page.route(lambda url: url.startswith(service.settings.public_url + "/"), from_test_server)


async def test_no_text_in_the_certificate_image_is_under_12_css_px_on_a_phone(service, phone, monkeypatch):
    await a_person_with_hours(name="欧阳晓明")
    link = await _certificate_link(service)
    sizes: list[int] = []
    font = render.png.font
    monkeypatch.setattr(render.png, "font", lambda face, size: sizes.append(size) or font(face, size))
    default_cache.clear()  # drawn now, with every type size it uses seen

    await served_at_public_url(service, phone)
    await phone.goto(link)
    image = phone.locator("img.certificate")
    await image.evaluate("i => i.decode()")  # loaded and decoded
    shown = await image.evaluate("i => [i.getBoundingClientRect().width, i.naturalWidth]")
    assert sizes and shown[1] > 0
    smallest = min(sizes) * shown[0] / shown[1]
    assert smallest >= SMALLEST_CSS_PX, f"{min(sizes)} px in a {shown[1]} px image shown {shown[0]} CSS px wide"
    assert await phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    text = await phone.locator("main").inner_text()
    assert "长按" in text and "保存图片" in text  # how to keep the image
    assert "右上角" in text and "用其他应用打开" in text  # how to keep the PDF inside WeChat
    ARTIFACTS.mkdir(exist_ok=True)
    await phone.screenshot(path=str(ARTIFACTS / "holder-page-phone.png"), full_page=True)


async def test_a_verifier_looks_up_by_id_number_and_name_and_the_number_stays_out_of_the_url(service, phone):
    person = await a_person_with_hours(name="欧阳晓明")
    await _certificate_link(service)

    await phone.goto(str(service.client.make_url("/")))
    assert await phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    await phone.get_by_label("身份证号").fill(person.id_number)
    await phone.get_by_label("姓名").fill("欧阳晓明")
    await phone.locator("form", has=phone.get_by_label("姓名")).get_by_role("button", name="核验").click()
    await phone.wait_for_selector(".answer")

    badge = phone.locator(".answer .badge")
    assert await badge.inner_text() == "有效"
    box = await badge.bounding_box()
    assert box is not None and box["y"] + box["height"] < PHONE["height"]  # seen without scrolling
    text = await phone.locator("main").inner_text()
    assert "欧**明" in text and "核验时间：" in text and "（北京时间）" in text
    assert person.id_number not in text and person.id_number not in phone.url
    assert await phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    ARTIFACTS.mkdir(exist_ok=True)
    await phone.screenshot(path=str(ARTIFACTS / "public-verification-phone.png"), full_page=True)


async def test_a_verifier_looks_up_by_certificate_number(service, phone):
    person = await a_person_with_hours(name="欧阳晓明")
    await _certificate_link(service)
    await phone.goto(str(service.client.make_url("/")))
    await phone.get_by_label("证书管理号").fill(person.cert_number)
    await phone.locator("form", has=phone.get_by_label("证书管理号")).get_by_role("button", name="核验").click()
    await phone.wait_for_selector(".answer")
    text = await phone.locator(".answer").inner_text()
    assert "有效" in text and "河南省人力资源和社会保障厅" in text and person.cert_number not in text
