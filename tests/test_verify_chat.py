"""验证 in the chat tells anyone who asks only the minimum (PIPL): by certificate management number, the status,
the holder masked and the issuing body; by ID number, which needs the name too, the status and the holder masked.
Failed lookups are limited per account, per number and in all; a genuine one always answers."""

from datetime import UTC, datetime

from storage.certificates import revoke
from storage.ids import mask_cert_number, mask_id_number
from storage.models import CertificateSnapshot
from tests.conftest import make_settings, running_service
from tests.domain import a_registered_person, an_id_number
from tests.test_certificate import _certificate_link, a_person_with_hours
from tests.test_cli import jxjy

NOT_FOUND = "未查到相符的证书。请核对证书管理号，或身份证号和姓名。"
TOO_MANY = "未查到结果的验证过多，为保护个人信息，请一分钟后再试。"
UNIT, REGION = "郑州市第一人民医院", "郑州市"


def reveals_nothing_more(reply: str, person) -> None:
    """No full name, full ID number, unit, region, hours or dates."""
    for secret in (person.name, person.id_number, UNIT, REGION, "学时", "2025", "签发时间"):
        assert secret not in reply, (secret, reply)


async def test_by_certificate_number_the_reply_shows_only_the_minimum(service):
    person = await a_person_with_hours(name="李四光")
    await _certificate_link(service)
    reply = await service.user("o_hr").says(f"验证 {person.cert_number}")
    assert reply == (
        "证书验证结果：有效\n"
        f"证书管理号：{mask_cert_number(person.cert_number)}\n"
        "姓名：李*光\n"
        f"身份证号：{mask_id_number(person.id_number)}\n"
        "签发：河南省人力资源和社会保障厅"
    )
    reveals_nothing_more(reply, person)
    assert person.cert_number not in reply


async def test_the_verify_button_asks_for_the_number_and_takes_the_next_message(service):
    person = await a_person_with_hours(name="李四光")
    await _certificate_link(service)
    assert "请发送要验证的证书管理号" in await service.user("o_hr").clicks("VERIFY")
    assert "证书验证结果：有效" in await service.user("o_hr").says(person.cert_number)
    assert "请发送要验证的证书管理号" in await service.user("o_police").clicks("VERIFY")
    reply = await service.user("o_police").says(f"{person.id_number} 李四光")  # 号码 姓名 there too
    assert reply.startswith("证书验证结果：有效") and "证书管理号" not in reply


async def test_by_id_number_alone_the_name_is_asked_for(service):
    person = await a_person_with_hours(name="李四光")
    await _certificate_link(service)
    reply = await service.user("o_hr").says(f"验证 {person.id_number}")
    assert "按身份证号验证需同时提供姓名" in reply and "李*光" not in reply and "有效" not in reply


async def test_by_id_number_and_the_right_name_valid_and_masked_and_nothing_more(service):
    person = await a_person_with_hours(name="李四光")
    await _certificate_link(service)
    full_width_id = "".join(chr(ord(c) + 0xFEE0) for c in person.id_number)
    for text in (
        f"验证 {person.id_number} 李四光",
        f"验证 李四光 {person.id_number}",
        f"验证　李四光　{full_width_id}",
    ):
        reply = await service.user("o_hr").says(text)
        assert reply == f"证书验证结果：有效\n姓名：李*光\n身份证号：{mask_id_number(person.id_number)}", text
        reveals_nothing_more(reply, person)
        assert "证书管理号" not in reply and person.cert_number[-4:] not in reply and "签发" not in reply


async def test_by_id_number_and_a_wrong_name_the_reply_is_that_of_an_unknown_number(service):
    person = await a_person_with_hours(name="李四光")
    await _certificate_link(service)
    wrong_name = await service.user("o_hr").says(f"验证 {person.id_number} 李四")
    unknown = await service.user("o_hr").says(f"验证 {an_id_number(born='19800808')} 李四")
    assert wrong_name == unknown == NOT_FOUND
    assert await service.user("o_hr").says("验证 4101002026999999") == NOT_FOUND
    assert await service.user("o_hr").says("验证 一二三") == NOT_FOUND  # no number at all


async def test_a_registered_person_without_a_certificate_is_reported_as_such(service):
    person = await a_registered_person("o_p", name="王五")
    reply = await service.user("o_hr").says(f"验证 {person.cert_number}")
    assert reply.startswith("证书验证结果：无效（尚未生成电子证书）") and "王*" in reply and "王五" not in reply


async def test_a_revoked_certificate_is_reported_revoked(service):
    person = await a_person_with_hours(name="李四光")
    await _certificate_link(service)
    await revoke((await CertificateSnapshot.get()).code, "重复签发", datetime.now(UTC), "cli")
    reply = await service.user("o_hr").says(f"验证 {person.id_number} 李四光")
    assert reply.startswith("证书验证结果：无效（已撤销）") and "重复签发" not in reply


async def test_failed_lookups_are_limited_per_account(service):
    person = await a_person_with_hours(name="李四光")
    await _certificate_link(service)
    for i in range(service.settings.verify_limit_per_minute):
        assert await service.user("o_walker").says(f"验证 41010020269{i:05d}") == NOT_FOUND
    assert await service.user("o_walker").says("验证 4101002026099999") == TOO_MANY
    # Nothing is looked up for that account any more, not even a right guess: that is what stops guessing.
    assert await service.user("o_walker").says(f"验证 {person.cert_number}") == TOO_MANY
    # Genuine lookups count nothing, and another account is not held back.
    for _ in range(service.settings.verify_limit_per_minute + 5):
        assert "证书验证结果：有效" in await service.user("o_hr").says(f"验证 {person.cert_number}")
    assert await service.user("o_hr").says("验证 4101002026099999") == NOT_FOUND


async def test_failed_lookups_are_limited_per_number_whichever_accounts_ask(service):
    person = await a_person_with_hours(name="李四光")
    await _certificate_link(service)
    names = ["李一", "李二", "李三", "李五", "李六"]
    assert len(names) == service.settings.verify_failures_per_number_per_minute
    for i, name in enumerate(names):  # two accounts take turns guessing the name for one ID number
        reply = await service.user(f"o_guesser_{i % 2}").says(f"验证 {person.id_number} {name}")
        assert reply == NOT_FOUND
    # The number is held for a minute, for every account and even for the right name: no lookup, no answer.
    assert await service.user("o_guesser_2").says(f"验证 {person.id_number} 李四光") == TOO_MANY
    assert await service.user("o_guesser_0").says(f"验证 {person.id_number} 李七") == TOO_MANY
    # Other numbers answer as before, the same person's certificate number too.
    assert "证书验证结果：有效" in await service.user("o_guesser_0").says(f"验证 {person.cert_number}")
    assert await service.user("o_guesser_1").says("验证 4101002026099999") == NOT_FOUND


async def test_failed_lookups_are_limited_in_all_and_a_genuine_lookup_still_answers(database_url):
    async with running_service(make_settings(database_url, verify_failures_total_per_minute=6)) as service:
        person = await a_person_with_hours(name="李四光")
        await _certificate_link(service)
        for i in range(6):  # many accounts, one number each: no account or number limit is reached
            assert await service.user(f"o_bot_{i}").says(f"验证 41010020269{i:05d}") == NOT_FOUND
        assert await service.user("o_bot_6").says("验证 4101002026999996") == TOO_MANY
        assert await service.user("o_bot_7").says(f"验证 {an_id_number(born='19800808')} 李四") == TOO_MANY
        # A flood of failures does not silence verification by certificate number, which has nothing to guess.
        assert "证书验证结果：有效" in await service.user("o_hr").says(f"验证 {person.cert_number}")
        # By ID number it waits: a right guess answering while wrong ones are refused would make the refusal itself
        # the answer, and many accounts could then guess an ID number's birth date at their own pace.
        assert await service.user("o_hr").says(f"验证 {person.id_number} 李四光") == TOO_MANY


async def test_a_walk_through_id_numbers_for_one_name_is_limited_whichever_accounts_ask(service):
    """The name and the masked ID number are known (a certificate number gives both): the eight hidden digits are
    a birth date, a few thousand candidates, each a number of its own."""
    person = await a_person_with_hours(name="李四光")
    await _certificate_link(service)
    for i in range(service.settings.verify_failures_per_number_per_minute):
        candidate = an_id_number(born=f"1970{i + 1:02d}15")
        assert await service.user(f"o_walker_{i}").says(f"验证 {candidate} 李四光") == NOT_FOUND
    assert await service.user("o_walker_9").says(f"验证 {person.id_number} 李四光") == TOO_MANY
    # Another name is not held back.
    assert await service.user("o_walker_9").says(f"验证 {an_id_number(born='19800808')} 王五") == NOT_FOUND


async def test_verification_reports_the_full_certificate_not_a_one_year_extract(service):
    person = await a_person_with_hours(name="李四光")
    await _certificate_link(service)
    full = await CertificateSnapshot.get()
    await _certificate_link(service, text="证书 2025")
    await revoke(full.code, "重复签发", datetime.now(UTC), "cli")
    # The valid extract is no certificate: the full one, revoked, is what a verifier hears about.
    by_number = await service.user("o_hr").says(f"验证 {person.cert_number}")
    by_id = await service.user("o_hr").says(f"验证 {person.id_number} 李四光")
    assert by_number.startswith("证书验证结果：无效（已撤销）")
    assert by_id.startswith("证书验证结果：无效（已撤销）")


async def test_verification_reports_the_seal_of_the_full_certificate(service, tmp_path):
    person = await a_person_with_hours(name="李四光")
    await _certificate_link(service)
    status, output = await jxjy(service.settings.database_url, "seal", "file", "--region", "410100", cwd=tmp_path)
    assert status == 0, output
    await _certificate_link(service, text="证书 2026")  # a later extract, under the region's seal
    reply = await service.user("o_hr").says(f"验证 {person.cert_number}")
    assert reply.startswith("证书验证结果：有效") and reply.endswith("签发：河南省人力资源和社会保障厅")


async def test_a_person_with_only_one_year_extracts_has_no_certificate_yet(service):
    person = await a_person_with_hours(name="李四光")
    await _certificate_link(service, text="证书 2025")
    await _certificate_link(service, text="证书 2026")
    by_number = await service.user("o_hr").says(f"验证 {person.cert_number}")
    by_id = await service.user("o_hr").says(f"验证 {person.id_number} 李四光")
    assert by_number.startswith("证书验证结果：无效（尚未生成电子证书）") and by_number.endswith("签发：—")
    assert by_id.startswith("证书验证结果：无效（尚未生成电子证书）")
