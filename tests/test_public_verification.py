"""The root page is verification for everyone: by certificate management number, or by ID number and name, with
the chat's `验证` rule, limits and disclosure (handlers/verify.py `look_up`), masked answers and the time of the
check. The ID number travels in a POST body only: never in a URL or a log line."""

import logging
import re
from datetime import UTC, datetime

from handlers.qr_token import MIN_TOKEN_CHARS
from storage.certificates import revoke
from storage.clock import CHINA
from storage.ids import mask_cert_number, mask_id_number
from storage.models import CertificateSnapshot
from tests.domain import a_registered_person, an_id_number
from tests.test_certificate import _certificate_link, a_person_with_hours
from tests.test_pages_security import assert_security_headers

NOT_FOUND = "未查到相符的证书。请核对证书管理号，或身份证号和姓名。"
TOO_MANY = "未查到结果的验证过多，为保护个人信息，请一分钟后再试。"
CHECKED_AT = re.compile(r"核验时间：(\d{4}-\d\d-\d\d \d\d:\d\d)（北京时间）")


async def look_up(service, address: str = "198.51.100.7", **form: str) -> tuple[int, str]:
    """The form as a browser behind our proxy posts it, from `address`."""
    response = await service.client.post("/", data=form, headers={"X-Forwarded-For": address})
    return response.status, await response.text()


def answer(html: str) -> str:
    """The page's answer, without the forms and notes that are on every page."""
    found = re.search(r'<section class="card answer[^"]*"[^>]*>(.*?)</section>', html, re.S)
    assert found, html
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", found[1])).strip()


def assert_checked_just_now(html: str) -> None:
    found = CHECKED_AT.search(html)
    assert found, html
    checked = datetime.strptime(found[1], "%Y-%m-%d %H:%M").replace(tzinfo=CHINA)
    assert abs((datetime.now(UTC) - checked).total_seconds()) < 120


async def test_the_home_page_offers_both_lookups_as_post_forms(service):
    response = await service.client.get("/")
    html = await response.text()
    assert response.status == 200
    assert_security_headers(response)
    forms = re.findall(r"<form[^>]*>", html)
    assert len(forms) == 2 and all('method="post"' in form and 'action="/"' in form for form in forms)
    assert 'name="cert_number"' in html and 'name="id_number"' in html and 'name="name"' in html


async def test_by_certificate_number_the_answer_is_the_chats_minimum_with_the_time_of_the_check(service):
    person = await a_person_with_hours(name="李四光")
    await _certificate_link(service)
    status, html = await look_up(service, cert_number=person.cert_number)
    assert status == 200
    assert answer(html) == (
        f"有效 证书管理号 {mask_cert_number(person.cert_number)} 姓名 李*光 "
        f"身份证号 {mask_id_number(person.id_number)} 签发 河南省人力资源和社会保障厅"
    )
    assert_checked_just_now(html)
    for secret in (person.name, person.id_number, person.cert_number, "郑州市第一人民医院", "学时"):
        assert secret not in html, secret


async def test_by_id_number_and_name_the_answer_is_status_and_masked_holder_only(service):
    person = await a_person_with_hours(name="李四光")
    await _certificate_link(service)
    full_width_id = "".join(chr(ord(c) + 0xFEE0) for c in person.id_number)
    for id_number in (person.id_number, full_width_id, person.id_number.lower() + " "):
        status, html = await look_up(service, id_number=id_number, name=" 李四光")
        assert status == 200
        assert answer(html) == f"有效 姓名 李*光 身份证号 {mask_id_number(person.id_number)}", id_number
        assert person.id_number not in html and person.cert_number not in html and "签发" not in answer(html)
        assert_checked_just_now(html)


async def test_a_revoked_certificate_and_a_person_without_one_are_reported_as_in_the_chat(service):
    person = await a_person_with_hours(name="李四光")
    await _certificate_link(service)
    await revoke((await CertificateSnapshot.get()).code, "重复签发", datetime.now(UTC), "cli")
    _, html = await look_up(service, id_number=person.id_number, name="李四光")
    assert answer(html).startswith("无效（已撤销）") and "重复签发" not in html
    newcomer = await a_registered_person("o_new", name="王五")
    _, html = await look_up(service, cert_number=newcomer.cert_number)
    assert answer(html).startswith("无效（尚未生成电子证书）") and answer(html).endswith("签发 —")


async def test_a_wrong_name_gets_the_same_answer_as_an_unknown_number(service):
    person = await a_person_with_hours(name="李四光")
    await _certificate_link(service)
    wrong_name = await look_up(service, id_number=person.id_number, name="李四")
    unknown_id = await look_up(service, id_number=an_id_number(born="19800808"), name="李四")
    unknown_number = await look_up(service, cert_number="4101002026999999")
    assert wrong_name[0] == unknown_id[0] == unknown_number[0] == 200
    assert answer(wrong_name[1]) == answer(unknown_id[1]) == answer(unknown_number[1]) == NOT_FOUND
    assert CHECKED_AT.sub("", wrong_name[1]) == CHECKED_AT.sub("", unknown_id[1])


async def test_failed_lookups_are_limited_per_address_and_a_right_guess_then_answers_nothing(service):
    person = await a_person_with_hours(name="李四光")
    await _certificate_link(service)
    for i in range(service.settings.verify_limit_per_minute):
        status, html = await look_up(service, "203.0.113.9", cert_number=f"41010020269{i:05d}")
        assert (status, answer(html)) == (200, NOT_FOUND)
    status, html = await look_up(service, "203.0.113.9", cert_number=person.cert_number)
    assert (status, answer(html)) == (429, TOO_MANY) and "李*光" not in html
    # Another address is not held back, and genuine lookups never count.
    for _ in range(service.settings.verify_limit_per_minute + 2):
        status, html = await look_up(service, "198.51.100.20", cert_number=person.cert_number)
        assert status == 200 and answer(html).startswith("有效")


async def test_addresses_of_one_ipv6_network_share_their_limit(service):
    """One subscriber is given a whole /64: each of its addresses is not another client."""
    person = await a_person_with_hours(name="李四光")
    await _certificate_link(service)
    for i in range(service.settings.verify_limit_per_minute):
        status, html = await look_up(service, f"2001:db8:5:7::{i + 1:x}", cert_number=f"41010020269{i:05d}")
        assert (status, answer(html)) == (200, NOT_FOUND)
    status, html = await look_up(service, "2001:db8:5:7:ffff::1", cert_number=person.cert_number)
    assert (status, answer(html)) == (429, TOO_MANY)
    status, html = await look_up(service, "2001:db8:5:8::1", cert_number=person.cert_number)
    assert status == 200 and answer(html).startswith("有效")


async def test_failed_lookups_of_one_id_number_are_limited_across_the_chat_and_the_page(service):
    person = await a_person_with_hours(name="李四光")
    await _certificate_link(service)
    guesses = ["李一", "李二", "李三", "李五", "李六"]
    assert len(guesses) == service.settings.verify_failures_per_number_per_minute
    for i, name in enumerate(guesses):  # addresses and a chat account take turns on one ID number
        if i % 2:
            assert await service.user("o_guesser").says(f"验证 {person.id_number} {name}") == NOT_FOUND
        else:
            status, html = await look_up(service, f"203.0.113.{i}", id_number=person.id_number, name=name)
            assert (status, answer(html)) == (200, NOT_FOUND)
    status, html = await look_up(service, "203.0.113.99", id_number=person.id_number, name="李四光")
    assert (status, answer(html)) == (429, TOO_MANY)
    assert await service.user("o_hr").says(f"验证 {person.id_number} 李四光") == TOO_MANY


async def test_the_page_and_its_answers_send_security_headers_and_are_never_cached(service):
    person = await a_person_with_hours(name="李四光")
    await _certificate_link(service)
    for form in ({"cert_number": person.cert_number}, {"cert_number": "12"}, {}):
        response = await service.client.post("/", data=form)
        assert_security_headers(response)
        assert response.headers["Cache-Control"] == "no-store"


async def test_the_id_number_reaches_no_url_and_no_log_line(service, caplog):
    person = await a_person_with_hours(name="李四光")
    await _certificate_link(service)
    caplog.set_level(logging.INFO)  # the service's level (bot/logs.py), where the access log writes too
    response = await service.client.post("/", data={"id_number": person.id_number, "name": "李四光"})
    assert response.status == 200 and len(response.history) == 0  # answered in place: no redirect to a URL
    assert person.id_number not in str(response.url)
    await look_up(service, id_number=person.id_number, name="李四")
    await look_up(service, id_number=person.id_number + "9" * 100, name="李四光")
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert person.id_number not in logged


async def test_malformed_and_oversized_input_is_answered_politely_and_counts_nothing(service):
    person = await a_person_with_hours(name="李四光")
    await _certificate_link(service)
    cases = [
        ({}, 400, "请填写 16 位证书管理号"),
        ({"cert_number": "   "}, 400, "请填写 16 位证书管理号"),
        ({"cert_number": "12345"}, 400, "证书管理号是 16 位数字"),
        ({"cert_number": person.id_number}, 400, "证书管理号是 16 位数字"),
        ({"id_number": person.id_number}, 400, "请同时填写持证人姓名"),
        ({"id_number": "4101", "name": "李四光"}, 400, "身份证号是 18 位"),
        ({"id_number": person.id_number, "name": "李4光"}, 400, "身份证号是 18 位"),
        ({"cert_number": "1" * 5000}, 400, "填写的内容过长"),
        ({"name": "<script>alert(1)</script>", "id_number": "<b>"}, 400, "身份证号是 18 位"),
    ]
    for _ in range(2):
        for form, status, text in cases * (service.settings.verify_limit_per_minute // len(cases) + 1):
            got, html = await look_up(service, "203.0.113.50", **form)
            assert (got, text in answer(html)) == (status, True), (form, html)
            assert "<script>alert" not in html
    huge = await service.client.post("/", data={"cert_number": "1" * (service.settings.max_body_bytes + 10)})
    assert huge.status == 413 and "填写的内容过长" in await huge.text()
    garbled = (
        (b"cert_number=%FF%FE&name=\xff", "application/x-www-form-urlencoded"),
        (b"--x\r\nnot a part", "multipart/form-data; boundary=x"),
        (b'{"cert_number": "4101002026999999"}', "application/json"),
    )
    for body, content_type in garbled:
        response = await service.client.post("/", data=body, headers={"Content-Type": content_type})
        assert response.status == 400 and "请填写" in await response.text(), (body, response.status)
    # None of that was a failed lookup: the address still gets its answers.
    status, html = await look_up(service, "203.0.113.50", cert_number="4101002026999999")
    assert (status, answer(html)) == (200, NOT_FOUND)


async def test_an_invalid_code_says_what_to_do_next_and_nothing_irrelevant(service):
    response = await service.client.get("/v/FORGEDFORGEDFORGE")
    html = await response.text()
    assert response.status == 404
    assert "证书核验页" in html and 'href="https://jxjy.example.gov.cn/"' in html and "签发机关" in html
    for irrelevant in ("部分隐去", "公钥", "jxjy-keys.json", "签名密钥"):
        assert irrelevant not in html, irrelevant
    html = await (await service.client.get(f"/v/{'A' * MIN_TOKEN_CHARS}")).text()  # a QR token's length, no token
    assert "二维码签名：<strong>无效</strong>" in html and "证书核验页" in html
    assert "部分隐去" not in html and "公钥" not in html


async def test_a_genuine_code_still_shows_the_masking_note_and_the_time_of_the_check(service):
    await a_person_with_hours(name="李四光")
    await _certificate_link(service)
    code = (await CertificateSnapshot.get()).code
    html = await (await service.client.get(f"/v/{code}")).text()
    assert "部分隐去" in html and "证书核验页" not in html
    assert_checked_just_now(html)
