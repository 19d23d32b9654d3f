"""注册: the story, each unhappy path, and one number per person under concurrency."""

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from bot.devtools.chat_client import read_reply, text_xml
from handlers.chat import CHINA
from storage.dialogs import DatabaseDialogStore, Dialog
from storage.models import DialogState, Person
from tests.conftest import make_settings, running_service
from tests.domain import a_registered_person, a_unit, an_id_number, with_wrong_check_character


async def test_a_professional_registers_and_gets_a_certificate_number(service):
    await a_unit("郑州市第一人民医院", "410100")
    wang = service.user("o_wang", safe=True)
    id_number = an_id_number(born="19850312")

    assert "第 1 步" in await wang.says("注册")
    assert "第 2 步" in await wang.says("王 芳")
    assert "第 3 步" in await wang.says(id_number.lower())  # a lower-case x is fine too
    choices = await wang.says("人民医院")
    assert "1. 郑州市第一人民医院（郑州市）" in choices
    confirmation = await wang.says("1")
    assert "王芳" in confirmation and "1985-03-12" in confirmation
    assert id_number not in confirmation  # the ID is shown masked
    done = await wang.says("确认")

    person = await Person.get(openid="o_wang")
    assert person.name == "王芳" and person.id_number == id_number
    assert person.cert_number == f"410100{datetime.now(CHINA).year}000001"
    assert f"证书管理号：{person.cert_number}" in done
    assert not await DialogState.exists()


async def test_numbers_count_up_within_a_region_and_year(service):
    unit = await a_unit(region="410300")
    first = await a_registered_person("o_1", unit=unit)
    second = await a_registered_person("o_2", unit=unit)
    assert first.cert_number == "4103002026000001"
    assert second.cert_number == "4103002026000002"
    other_region = await a_registered_person("o_3", unit=await a_unit(region="410181"))
    assert other_region.cert_number == "4101812026000001"


async def _at_id_step(user) -> None:
    await user.says("注册")
    await user.says("李明")


async def test_an_id_number_with_a_wrong_check_character_is_refused(service):
    li = service.user("o_li")
    await _at_id_step(li)
    reply = await li.says(with_wrong_check_character(an_id_number()))
    assert "校验码" in reply
    assert (await DialogState.get(openid="o_li")).step == "id_number"  # still waiting for a good one


@pytest.mark.parametrize("born", ["19850230", "19851301", "20991231", "18991231"])
async def test_an_id_number_with_an_impossible_or_future_birth_date_is_refused(service, born):
    li = service.user("o_li")
    await _at_id_step(li)
    reply = await li.says(an_id_number(born=born))
    assert "出生日期" in reply
    assert (await DialogState.get(openid="o_li")).step == "id_number"


async def test_malformed_id_numbers_get_the_format_explained(service):
    li = service.user("o_li")
    await _at_id_step(li)
    for bad in ("12345", "4101051985031212AB", "41010519850312123Y"):
        assert "18 位" in await li.says(bad)
    assert not await Person.exists()


async def test_an_id_number_already_registered_gets_the_masked_number_and_what_to_do(service):
    id_number = an_id_number()
    existing = await a_registered_person("o_first_phone", id_number=id_number)
    newcomer = service.user("o_new_phone")
    await _at_id_step(newcomer)
    reply = await newcomer.says(id_number)
    assert existing.cert_number[:6] + "******" + existing.cert_number[-4:] in reply
    assert existing.cert_number not in reply
    assert "管理员" in reply and "一人一证一号" in reply
    assert await Person.filter(id_number=id_number).count() == 1


async def test_an_openid_already_bound_is_told_its_number_instead_of_registering_again(service):
    person = await a_registered_person("o_bound")
    reply = await service.user("o_bound").says("注册")
    assert person.cert_number in reply and "无需再次注册" in reply
    assert not await DialogState.exists()


async def test_an_id_registered_by_someone_else_while_confirming_is_refused_cleanly(service):
    unit = await a_unit()
    id_number = an_id_number()
    slow = service.user("o_slow")
    await _at_id_step(slow)
    await slow.says(id_number)
    await slow.says(unit.name[:4])
    await slow.says("1")
    await a_registered_person("o_fast", id_number=id_number, unit=unit)  # wins the race
    reply = await slow.says("确认")
    assert "已经注册" in reply
    assert await Person.filter(id_number=id_number).count() == 1
    assert await Person.get_or_none(openid="o_slow") is None


async def test_a_unit_that_cannot_be_found_gets_advice_and_another_try(service):
    await a_unit("洛阳市建筑设计研究院", "410300")
    zhao = service.user("o_zhao")
    await _at_id_step(zhao)
    await zhao.says(an_id_number())
    reply = await zhao.says("不存在的单位")
    assert "没有找到" in reply and "统一社会信用代码" in reply
    assert (await DialogState.get(openid="o_zhao")).step == "unit"
    assert "1. 洛阳市建筑设计研究院" in await zhao.says("建筑设计")
    assert "序号" in await zhao.says("7")  # not on the list
    assert (await DialogState.get(openid="o_zhao")).step == "unit_pick"


async def test_a_unit_can_be_found_by_its_credit_code(service):
    unit = await a_unit("许昌市中心医院", "411000")
    zhao = service.user("o_zhao")
    await _at_id_step(zhao)
    await zhao.says(an_id_number())
    assert "1. 许昌市中心医院（许昌市）" in await zhao.says(unit.credit_code.lower())


async def test_cancel_midway_leaves_nothing_behind(service):
    await a_unit()
    zhou = service.user("o_zhou")
    await _at_id_step(zhou)
    await zhou.says(an_id_number())
    assert "已取消" in await zhou.says("取消")
    assert not await DialogState.exists()
    assert not await Person.exists()
    assert "没有正在办理" in await zhou.says("取消")


async def test_a_bad_name_is_refused(service):
    sun = service.user("o_sun")
    await sun.says("注册")
    for bad in ("A", "张", "张3", "x" * 30):
        assert "2–20 个汉字" in await sun.says(bad)
    assert "第 2 步" in await sun.says("买买提·艾力")


async def test_help_midway_keeps_the_dialog(service):
    sun = service.user("o_sun")
    await sun.says("注册")
    assert "正在办理" in await sun.says("帮助")
    assert "第 2 步" in await sun.says("孙丽")


async def test_restart_from_the_confirmation_step(service):
    await a_unit()
    qian = service.user("o_qian")
    await _at_id_step(qian)
    await qian.says(an_id_number())
    await qian.says("医院")
    await qian.says("1")
    assert "请回复“确认”" in await qian.says("好的吧")
    assert "第 1 步" in await qian.says("重填")
    assert "第 2 步" in await qian.says("钱多多")
    assert (await DialogState.get(openid="o_qian")).step == "id_number"
    assert not await Person.exists()


async def test_a_dialog_resumes_after_a_restart(database_url):
    settings = make_settings(database_url)
    async with running_service(settings) as service:
        await a_unit()
        await _at_id_step(service.user("o_wu"))
    async with running_service(settings) as restarted:
        reply = await restarted.user("o_wu").says(an_id_number())
        assert "第 3 步" in reply


async def test_a_dialog_idle_for_more_than_30_minutes_expires(service):
    await a_unit()
    zheng = service.user("o_zheng")
    await _at_id_step(zheng)
    long_ago = datetime.now(UTC) - timedelta(minutes=31)
    await DialogState.filter(openid="o_zheng").update(updated_at=long_ago)
    reply = await zheng.says(an_id_number())
    assert "超过 30 分钟" in reply
    assert not await Person.exists()
    assert not await DialogState.exists()


async def test_a_dialog_idle_for_29_minutes_continues(service):
    zheng = service.user("o_zheng")
    await _at_id_step(zheng)
    await DialogState.filter(openid="o_zheng").update(updated_at=datetime.now(UTC) - timedelta(minutes=29))
    assert "第 3 步" in await zheng.says(an_id_number())


@pytest.mark.postgres_only
async def test_100_concurrent_registrations_in_one_region_get_100_distinct_serials(service):
    unit = await a_unit(region="410700")
    now, dialogs = datetime.now(UTC), DatabaseDialogStore()
    for i in range(100):
        data = {"name": "并发测试", "id_number": an_id_number(sequence=i), "unit_id": unit.id}
        await dialogs.save(f"o_rush_{i}", Dialog("register", "confirm", data), now)

    async def confirm(i: int) -> str:
        response, signed = await service.post(text_xml(f"o_rush_{i}", "确认"))
        return read_reply(service.settings, await response.text(), signed.query)

    replies = await asyncio.gather(*(confirm(i) for i in range(100)))
    assert all("注册成功" in reply for reply in replies)
    numbers = await Person.all().values_list("cert_number", flat=True)
    assert sorted(numbers) == [f"410700{datetime.now(CHINA).year}{serial:06d}" for serial in range(1, 101)]


async def test_names_with_rarer_han_characters_are_accepted(service):
    sun = service.user("o_liu")
    await sun.says("注册")
    assert "第 2 步" in await sun.says("刘䶮")


async def test_a_photo_where_words_are_wanted_is_refused_and_the_step_waits(service):
    user = service.user("o_photo")
    await user.says("注册")
    assert "请用文字回复" in await user.sends("image")
    assert (await DialogState.get(openid="o_photo")).step == "name"
    assert "第 2 步" in await user.says("周敏")


async def test_an_id_number_pasted_from_a_phone_with_invisible_marks_is_read_as_typed(service):
    await a_unit("郑州市第一人民医院", "410100")
    li = service.user("o_li")
    await _at_id_step(li)
    id_number = an_id_number()
    assert "第 3 步" in await li.says(f"\u202d{id_number[:6]}\u200b{id_number[6:]}\ufeff\u202c")
    assert (await DialogState.get(openid="o_li")).data["id_number"] == id_number


async def test_an_id_number_of_no_province_and_one_born_in_the_future_each_get_their_own_sentence(service):
    li = service.user("o_li")
    await _at_id_step(li)
    assert "前两位" in await li.says(an_id_number(region="990102"))
    assert "前两位" in await li.says(an_id_number(region="000000"))
    assert "晚于今天" in await li.says(an_id_number(born=f"{datetime.now(CHINA).year + 1}0101"))
    assert (await DialogState.get(openid="o_li")).step == "id_number"
    assert not await Person.exists()
