"""帮助 in the middle of a dialog answers, then asks again the question the dialog waits on."""

from datetime import date
from types import SimpleNamespace

import pytest

from handlers.router import JOURNEYS
from storage.models import DialogState
from tests.domain import a_registered_person, a_unit, an_admin, an_id_number


async def test_help_during_registration_repeats_the_pending_question(service):
    user = service.user("o_new")
    await user.says("注册")
    await user.says("王芳")
    reply = await user.says("帮助")
    assert "本服务号可以办理" in reply and reply.endswith("第 2 步：请输入您的 18 位居民身份证号码。")
    assert "第 3 步" in await user.says(an_id_number())  # the dialog goes on where it was


async def test_help_during_a_declaration_repeats_the_shared_hours_steps_question(service):
    await a_registered_person("o_person")
    user = service.user("o_person")
    for answer in ("申报", "2025", "1", "课程名称", "机构名称"):
        await user.says(answer)
    assert "第 5 步：请输入学习日期（如 2025-03-15" in await user.says("帮助")
    assert "第 6 步" in await user.says("2025-03-15")


async def test_help_at_a_transfers_confirmation_repeats_what_to_reply(service):
    unit = await a_unit()
    await an_admin("o_admin", "unit", unit=unit)
    person = await a_registered_person("o_person", unit=unit)
    admin = service.user("o_admin")
    for answer in ("转登", person.cert_number):
        await admin.says(answer)
    assert (await admin.says("帮助")).endswith("第 2 步：请输入纸质证书编号。")


@pytest.mark.parametrize("journey", [j for j in JOURNEYS if j.steps], ids=lambda j: j.name)
def test_every_step_of_every_dialog_says_its_question(journey):
    """A step added without its question would leave 帮助 with nothing to ask again."""
    chat = SimpleNamespace(
        form=SimpleNamespace(year=2025, choices=[1, 2]),
        config=SimpleNamespace(paper_certificates_void_after=date(2019, 10, 30)),
        today=date(2026, 6, 1),
    )
    for step in journey.steps:
        assert journey.question(step, chat), (journey.name, step.__name__)


async def test_a_menu_button_mid_dialog_asks_before_dropping_it_and_no_keeps_it(service):
    await a_registered_person("o_person")
    user = service.user("o_person")
    await user.says("申报")
    await user.says("2025")
    asked = await user.clicks("REGISTER")
    assert "您正在办理「申报」，要放弃并开始「注册」吗？" in asked
    assert "第 2 步：科目类别" in await user.says("继续")
    assert "第 3 步" in await user.says("1")


async def test_yes_drops_the_dialog_and_starts_the_buttons_journey(service):
    user = service.user("o_new")
    await user.says("注册")
    await user.says("王芳")
    assert "要放弃并开始「验证」吗" in await user.clicks("VERIFY")
    assert "请发送要验证的证书管理号" in await user.says("是")
    assert (await DialogState.get(openid="o_new")).dialog == "verify"


async def test_another_answer_to_the_question_answers_the_old_dialog(service):
    user = service.user("o_new")
    await user.says("注册")
    await user.says("王芳")
    await user.clicks("VERIFY")
    assert "第 3 步" in await user.says(an_id_number())  # the pending ID number, not a refusal


async def test_a_button_that_starts_no_dialog_just_answers_and_the_dialog_stays(service):
    user = service.user("o_new")
    await user.says("注册")
    await user.says("王芳")
    assert "要放弃" not in await user.clicks("HELP")
    assert "第 3 步" in await user.says(an_id_number())
