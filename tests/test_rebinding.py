"""No takeover after an unbinding: a new WeChat account binds an unbound record only with the admin's one-time
code, and tries at a registered ID number are limited per account and per ID number, and audited."""

from datetime import UTC, datetime, timedelta

from storage.models import AuditEntry, Person, RebindCode
from storage.people_admin import unbind_wechat
from tests.console import REBIND_CODE, sign_in
from tests.domain import a_registered_person, a_unit, an_admin


async def an_unbound_person(service, name: str = "孙丽"):
    """A registered person whose lost WeChat account their unit's admin unbound; and the code they were given."""
    unit = await a_unit()
    admin = await an_admin("o_unit_admin", "unit", unit=unit)
    person = await a_registered_person("o_lost_phone", name=name, unit=unit)
    unbound = await unbind_wechat(admin, person.id, datetime.now(UTC), timedelta(days=3), service.settings.secret_key)
    return person, unbound.code.code


async def _at_code_step(user, person) -> str:
    await user.says("注册")
    await user.says(person.name)
    return await user.says(person.id_number)


async def _audited_outcomes(person) -> list[str]:
    entries = await AuditEntry.filter(action="registration_hit", target=f"person:{person.id}").order_by("id")
    return [entry.after["outcome"] for entry in entries]


async def test_the_person_rebinds_with_the_code_and_keeps_their_number(service):
    person, code = await an_unbound_person(service)
    new_phone = service.user("o_new_phone")
    assert "重新绑定码" in await _at_code_step(new_phone, person)
    reply = await new_phone.says(f"{code[:4]} {code[4:]}")  # spaces as people type them
    assert "已重新绑定" in reply and person.cert_number in reply
    assert (await Person.get(id=person.id)).openid == "o_new_phone"
    assert (await RebindCode.get(person_id=person.id)).used_at is not None


async def test_a_stranger_with_the_name_and_id_number_but_no_code_cannot_take_the_record(service):
    person, code = await an_unbound_person(service)
    stranger = service.user("o_stranger")
    await _at_code_step(stranger, person)
    for guess in ("ABCDEFGH", "孙丽"):
        reply = await stranger.says(guess)
        assert "重新绑定码不正确或已过期" in reply and person.cert_number not in reply
    assert (await Person.get(id=person.id)).openid is None
    assert await _audited_outcomes(person) == ["asked_for_rebind_code"] + ["wrong_rebind_code"] * 2
    entry = await AuditEntry.filter(action="registration_hit").first()
    assert entry.actor == "openid:o_stranger" and person.id_number not in str(entry.after)
    # The code still works for the person (two more tries at the record: five in the hour, the limit)
    real = service.user("o_real_owner")
    await _at_code_step(real, person)
    assert "已重新绑定" in await real.says(code)


async def test_the_right_code_with_a_guessed_name_is_refused_and_the_code_is_not_spent(service):
    person, code = await an_unbound_person(service, name="孙丽")
    stranger = service.user("o_stranger")
    await stranger.says("注册")
    await stranger.says("孙莉")  # the masked name's missing character, guessed wrong
    assert "重新绑定码" in await stranger.says(person.id_number)
    assert "重新绑定码不正确或已过期" in await stranger.says(code)
    assert (await Person.get(id=person.id)).openid is None
    assert (await RebindCode.get(person_id=person.id)).used_at is None


async def test_an_expired_code_is_refused(service):
    person, code = await an_unbound_person(service)
    await RebindCode.filter(person_id=person.id).update(expires_at=datetime.now(UTC) - timedelta(seconds=1))
    new_phone = service.user("o_new_phone")
    await _at_code_step(new_phone, person)
    assert "重新绑定码不正确或已过期" in await new_phone.says(code)
    assert (await Person.get(id=person.id)).openid is None


async def test_a_code_works_once(service):
    person, code = await an_unbound_person(service)
    first = service.user("o_new_phone")
    await _at_code_step(first, person)
    assert "已重新绑定" in await first.says(code)
    await Person.filter(id=person.id).update(openid=None)  # unbound once more, without a new code
    second = service.user("o_second_phone")
    await _at_code_step(second, person)
    assert "重新绑定码不正确或已过期" in await second.says(code)
    assert (await Person.get(id=person.id)).openid is None


async def test_only_a_hash_of_the_code_is_stored(service):
    person, code = await an_unbound_person(service)
    stored = await RebindCode.get(person_id=person.id)
    assert code not in stored.code_hash and len(stored.code_hash) == 64
    assert all(code not in str(entry.after) for entry in await AuditEntry.all())


async def test_tries_at_a_registered_id_number_are_limited_per_wechat_account(service):
    person, code = await an_unbound_person(service)
    stranger = service.user("o_stranger")
    await _at_code_step(stranger, person)  # the first try: the ID number
    for guess in ("AAAAAAAA", "BBBBBBBB", "CCCCCCCC", "DDDDDDDD"):
        assert "不正确" in await stranger.says(guess)
    assert "尝试次数过多" in await stranger.says(code)  # the sixth within the hour, even a right code
    assert (await Person.get(id=person.id)).openid is None
    assert (await _audited_outcomes(person))[-1] == "limited"
    # Another registered ID number from the same account is the same account's tries
    other = await a_registered_person("o_other", id_number=None)
    await stranger.says("取消")
    await stranger.says("注册")
    await stranger.says(other.name)
    assert "尝试次数过多" in await stranger.says(other.id_number)


async def test_tries_at_a_registered_id_number_are_limited_per_id_number(service):
    person, _ = await an_unbound_person(service)
    for i in range(5):  # five accounts, one try each
        assert "重新绑定码" in await _at_code_step(service.user(f"o_stranger_{i}"), person)
    latecomer = service.user("o_latecomer")
    assert "尝试次数过多" in await _at_code_step(latecomer, person)
    assert (await Person.get(id=person.id)).openid is None


async def test_tries_at_a_bound_id_number_are_limited_and_audited_too(service):
    person = await a_registered_person("o_owner")
    stranger = service.user("o_stranger")
    await stranger.says("注册")
    await stranger.says("李明")
    for _ in range(5):
        assert "已经注册" in await stranger.says(person.id_number)
    assert "尝试次数过多" in await stranger.says(person.id_number)
    assert await _audited_outcomes(person) == ["id_taken"] * 5 + ["limited"]
    assert (await Person.get(id=person.id)).openid == "o_owner"


async def test_unbinding_on_the_console_shows_the_code_once(console_service, world):
    person = world["person"]
    browser = await sign_in(console_service, "o_home")
    _, html = await browser.post(f"/admin/people/{person.id}/unbind")
    code = REBIND_CODE.search(html)[1]
    assert "当面或电话" in html and "有效至" in html
    _, again = await browser.get(f"/admin/people/{person.id}")
    assert code not in again and "有效至" in again  # the page says a code is live, never which
    entry = await AuditEntry.get(action="unbound_wechat", target=f"person:{person.id}")
    assert "rebind_code_expires_at" in entry.after and code not in str(entry.after)
    await browser.close()


async def test_a_fresh_code_replaces_the_old_one(console_service, world):
    person = world["person"]
    browser = await sign_in(console_service, "o_zhengzhou")
    _, html = await browser.post(f"/admin/people/{person.id}/unbind")
    old_code = REBIND_CODE.search(html)[1]
    _, html = await browser.post(f"/admin/people/{person.id}/rebind-code")
    new_code = REBIND_CODE.search(html)[1]
    assert "原来的重新绑定码已作废" in html and new_code != old_code
    await browser.close()
    new_phone = console_service.user("o_new_phone")
    await _at_code_step(new_phone, person)
    assert "不正确" in await new_phone.says(old_code)
    assert "已重新绑定" in await new_phone.says(new_code)


async def test_no_code_is_issued_for_a_person_still_bound(console_service, world):
    person = world["person"]
    browser = await sign_in(console_service, "o_home")
    status, html = await browser.post(f"/admin/people/{person.id}/rebind-code")
    assert status == 200 and "仍在绑定中" in html and not REBIND_CODE.search(html)
    assert not await RebindCode.exists()
    await browser.close()
