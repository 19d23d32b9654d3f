"""Journeys declare themselves: what a declaration refuses at import, what the router derives from the
declarations, and what happens to a stored dialog the code no longer fits."""

import importlib
import importlib.util
import sys
import tomllib
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

import bot.wechat.menu
from bot.wechat.menu import check_claimed, click_keys, load_menu
from handlers.chat import Chat, Incoming, Kind, UndeclaredStep
from handlers.journeys import Command, DeclarationError, Journey
from handlers.refusals import SENTENCES, No, Refusal
from handlers.replies import Text
from handlers.router import JOURNEYS, ROUTER, Router, menu_keys
from storage.models import Admin, DialogState, HourRecord
from tests.domain import a_registered_person, a_unit, an_admin, an_id_number

A_JOURNEY_WITH_A_TYPO = """
from handlers.journeys import Command, Journey


async def start(chat):
    await chat.goto(on_frist)


async def on_first(chat):
    return None


async def on_frist(chat):  # not declared below
    return None


JOURNEY = Journey(name="typo", commands=(Command(("开始",), "开始", start),), steps=(on_first,))
"""

A_COMMAND_ONLY_JOURNEY = """
from handlers.access import Guard
from handlers.journeys import Command, Journey
from handlers.replies import Text


async def greet(chat):
    return Text("您好，管理员。")


JOURNEY = Journey(
    name="greeting", commands=(Command(("问好",), "向管理员问好", greet, menu_key="GREET"),), guard=Guard.ADMINS
)
"""


def _import_module(path, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[name]
    return module


def test_a_goto_to_an_undeclared_step_fails_at_import(tmp_path):
    path = tmp_path / "typo_journey.py"
    path.write_text(A_JOURNEY_WITH_A_TYPO, encoding="utf-8")
    with pytest.raises(DeclarationError, match=r"goto\(on_frist\) is not a step the journey 'typo' declares"):
        _import_module(path, "typo_journey")

    path.write_text(A_JOURNEY_WITH_A_TYPO.replace("steps=(on_first,)", "steps=(on_first, on_frist)"), "utf-8")
    assert _import_module(path, "typo_journey").JOURNEY.step_named("frist") is not None


def test_a_goto_to_a_step_computed_at_run_time_fails_at_import(tmp_path):
    path = tmp_path / "computed_journey.py"
    path.write_text(A_JOURNEY_WITH_A_TYPO.replace("chat.goto(on_frist)", "chat.goto(STEPS[0])"), encoding="utf-8")
    with pytest.raises(DeclarationError, match="goto takes a step function by name"):
        _import_module(path, "computed_journey")


def test_a_goto_next_from_the_last_step_fails_at_import(tmp_path):
    path = tmp_path / "no_next_journey.py"
    path.write_text(
        A_JOURNEY_WITH_A_TYPO.replace("await chat.goto(on_frist)", "pass").replace(
            "async def on_first(chat):\n    return None", "async def on_first(chat):\n    return await chat.goto_next()"
        ),
        encoding="utf-8",
    )
    with pytest.raises(DeclarationError, match="goto_next from the last step of 'typo'"):
        _import_module(path, "no_next_journey")


async def test_a_goto_at_run_time_to_a_function_the_journey_does_not_declare_raises():
    async def on_elsewhere(chat: Chat) -> None:
        return None

    chat = Chat(Incoming("o_x", Kind.TEXT, datetime.now(UTC), text="x"), journey=ROUTER._dialogs["register"])
    with pytest.raises(UndeclaredStep, match="on_elsewhere is not a step of the journey 'register'"):
        await chat.goto(on_elsewhere)


def test_two_journeys_claiming_one_word_or_menu_key_stop_the_router():
    async def start(chat: Chat) -> None:
        return None

    first = Journey(name="first", commands=(Command(("开始",), "开始", start, "START"),))
    with pytest.raises(DeclarationError, match="the word '开始' is claimed twice"):
        Router((first, Journey(name="second", commands=(Command(("开始",), "又开始", start),))))
    with pytest.raises(DeclarationError, match="the menu key 'START' is claimed twice"):
        Router((first, Journey(name="second", commands=(Command(("再来",), "再来", start, "START"),))))
    with pytest.raises(DeclarationError, match="the journey name 'first' is claimed twice"):
        Router((first, Journey(name="first")))


def test_a_dialog_state_must_be_a_dataclass_filled_step_by_step():
    @dataclass(frozen=True)
    class Form:
        name: str

    with pytest.raises(DeclarationError, match=r"state fields \['name'\] need defaults"):
        Journey(name="form", state=Form)


def test_a_menu_key_no_journey_claims_is_refused():
    menu = load_menu()  # importing bot.wechat.menu has already checked the real one
    assert click_keys(menu) <= menu_keys()
    menu["button"][0]["sub_button"].append({"type": "click", "name": "新功能", "key": "NEW_FEATURE"})
    with pytest.raises(ValueError, match="menu keys no journey claims: NEW_FEATURE"):
        check_claimed(menu, menu_keys())


def test_a_menu_key_no_journey_claims_stops_the_import(monkeypatch):
    real_loads = tomllib.loads

    def with_a_new_button(text: str) -> dict:
        menu = real_loads(text)
        menu["button"][0]["sub_button"].append({"type": "click", "name": "新功能", "key": "NEW_FEATURE"})
        return menu

    monkeypatch.setattr(tomllib, "loads", with_a_new_button)
    with pytest.raises(ValueError, match="menu keys no journey claims: NEW_FEATURE"):
        importlib.reload(bot.wechat.menu)


async def test_a_command_only_journey_is_one_module_and_one_line_in_the_list(service, tmp_path):
    path = tmp_path / "greeting_journey.py"
    path.write_text(A_COMMAND_ONLY_JOURNEY, encoding="utf-8")
    router = Router((*JOURNEYS, _import_module(path, "greeting_journey").JOURNEY))  # the one line

    assert ("问好", "向管理员问好") in router.help_lines(admin=True)
    assert "问好" not in [words for words, _ in router.help_lines(admin=False)]
    assert "GREET" in router.menu_keys() and "问好 [GREET] → greeting.greet (admins)" in str(router)
    await an_admin("o_admin", "province")
    now = datetime.now(UTC)
    assert await router.route(Chat(Incoming("o_admin", Kind.TEXT, now, text="问好"))) == Text("您好，管理员。")
    assert await router.route(Chat(Incoming("o_admin", Kind.CLICK, now, key="GREET"))) == Text("您好，管理员。")
    with pytest.raises(Refusal) as refused:  # the declared guard, applied by the router
        await router.route(Chat(Incoming("o_stranger", Kind.TEXT, now, text="问好")))
    assert refused.value.message == SENTENCES[No.ADMINS_ONLY]


def test_the_router_is_derived_from_the_journeys_and_keeps_the_stored_step_names():
    assert [journey.name for journey in JOURNEYS][:3] == ["register", "hours", "declare"]
    dialogs = [line for line in str(ROUTER).splitlines() if line.startswith("dialog ")]
    assert dialogs == [
        "dialog register: name, id_number, rebind_code, unit, unit_pick, confirm",
        "dialog declare: year, category, course, provider, date, hours, evidence, confirm",
        "dialog verify: number",
        "dialog admin_bind: name, gender, department, post, phone, fax, email, postcode, address, confirm",
        "dialog transfer: person, paper, year, category, course, provider, hours, date, confirm",
    ]
    assert ("转登", "将纸质证书上的学时转登到电子证书") in ROUTER.help_lines(admin=True)
    assert "转登" not in [words for words, _ in ROUTER.help_lines(admin=False)]


def test_every_refusal_code_has_a_sentence():
    assert set(SENTENCES) == set(No)


@pytest.mark.parametrize(
    "stored",
    [{"name": "李雷", "nickname": "小李"}, {"name": 5}, {"choices": ["one"]}, ["not", "an", "object"]],
    ids=["unknown key", "wrong type", "wrong item type", "not an object"],
)
async def test_a_dialog_whose_stored_shape_no_longer_fits_is_reset_with_a_word(service, stored):
    user = service.user("o_li")
    await user.says("注册")
    await DialogState.filter(openid="o_li").update(step="unit", data=stored)
    reply = await user.says("人民医院")
    assert reply.startswith("您上次的办理因服务更新已无法继续，已自动结束，请重新开始。")
    assert "系统繁忙" not in reply and "注册" in reply  # followed by the help text
    assert not await DialogState.exists()
    assert "第 1 步" in await user.says("注册")


async def test_a_dialog_row_missing_fields_it_had_not_reached_yet_still_continues(service):
    await a_unit()
    user = service.user("o_li")
    await user.says("注册")
    await DialogState.filter(openid="o_li").update(step="id_number", data={"name": "李雷"})  # as older rows were
    assert "第 3 步" in await user.says(an_id_number(born="19850312"))
    state = await DialogState.get(openid="o_li")
    assert state.step == "unit" and state.data["name"] == "李雷" and state.data["born"] == "1985-03-12"


async def test_an_admin_removed_mid_transfer_is_stopped_at_the_next_step(service):
    unit = await a_unit()
    await an_admin("o_admin", "unit", unit=unit)
    person = await a_registered_person("o_p", unit=unit)
    admin = service.user("o_admin")
    await admin.says("转登")
    assert "第 2 步" in await admin.says(person.cert_number)
    await Admin.filter(openid="o_admin").update(openid=None)
    assert await admin.says("豫继教第1号") == SENTENCES[No.ADMINS_ONLY]
    assert not await HourRecord.exists()


async def test_the_router_puts_the_guarded_person_on_the_chat(service):
    await a_registered_person("o_p")
    assert "您目前没有待审核的申报" in await service.user("o_p").says("我的申报")
    assert await service.user("o_stranger").says("我的申报") == SENTENCES[No.NOT_REGISTERED]
