"""注册: name → ID number → unit → confirmation → a person with a certificate management number.

An ID number already registered either belongs to a bound WeChat account (the masked number and whom to ask) or
to one an admin unbound (a lost phone): then the person gives the rebinding code the admin handed over, and
gets their old number back. Every such hit is limited per WeChat account and per ID number, and audited.
"""

import re
from dataclasses import dataclass, field

from handlers.chat import Chat, Step
from handlers.journeys import Command, Journey
from handlers.refusals import No, Refusal, say
from handlers.replies import Reply, Text
from storage.errors import IdAlreadyRegistered, OpenidAlreadyBound, RebindRefused, UnitNotFound
from storage.ids import IdProblem, InvalidIdNumber, as_number, mask_cert_number, mask_id_number, parse_id_number
from storage.models import Person
from storage.people import (
    note_attempt_on_registered,
    person_by_id_number,
    person_by_openid,
    rebind_person,
    register_person,
)
from storage.units import find_units, unit_by_id

# Han characters of the basic block and Extensions A to F (names such as 刘䶮 use them), and 〇.
HAN = "\u3007\u3400-\u4dbf\u4e00-\u9fff\U00020000-\U0002ebef"
NAME_PATTERN = re.compile(rf"^[{HAN}]+([·•][{HAN}]+)*$")

ASK_NAME = "开始注册（共 4 步，任何时候发送“取消”可退出）。\n\n第 1 步：请输入您的姓名（与身份证一致）。"
ASK_ID = "第 2 步：请输入您的 18 位居民身份证号码。"
ID_PROBLEMS = {
    IdProblem.FORMAT: No.ID_FORMAT,
    IdProblem.REGION: No.ID_REGION,
    IdProblem.BIRTH_DATE: No.ID_BIRTH_DATE,
    IdProblem.BIRTH_IN_FUTURE: No.ID_BIRTH_IN_FUTURE,
    IdProblem.CHECK_CHARACTER: No.ID_CHECK_CHARACTER,
}
ASK_UNIT = "第 3 步：请输入您所在单位名称中的关键词（如“人民医院”），或单位的 18 位统一社会信用代码。"
PICK_UNIT = "找到以下单位：\n{choices}\n\n请回复序号选择；如不在其中，可直接输入新的关键词。"
CONFIRM = (
    "第 4 步：请核对您的注册信息：\n"
    "姓名：{name}\n性别：{gender}\n出生日期：{born}\n身份证号：{id_masked}\n单位：{unit}（{region}）\n\n"
    "回复“确认”完成注册；回复“重填”从头填写；回复“取消”退出。"
)
DONE = (
    "注册成功！\n证书管理号：{number}\n姓名：{name}\n单位：{unit}\n\n"
    "证书管理号与您的身份证号一一对应，请妥善保存。发送“学时”可查询您的继续教育学时。"
)
ASK_REBIND_CODE = (
    "该身份证号码已经注册，原绑定的微信号已由管理员解除绑定。\n"
    "请输入管理员交给您的 8 位重新绑定码（当面或电话告知，有效期内使用一次）。"
    "没有重新绑定码，请联系所在单位的继续教育管理员；发送“取消”退出。"
)
REBOUND = (
    "已重新绑定！\n证书管理号：{number}（与原来相同）\n姓名：{name}\n单位：{unit}\n\n"
    "您的学时和证书都已保留。发送“学时”可查询学时。"
)

YES = {"确认", "确定", "是", "对", "好", "提交", "1"}
RESTART = {"重填", "重新填写", "重来", "否", "不对"}


@dataclass(frozen=True)
class RegisterForm:
    name: str = ""
    id_number: str = ""
    gender: str = ""
    born: str = ""  # ISO date
    choices: list[int] = field(default_factory=list)  # the unit ids offered, in the order listed
    unit_id: int = 0


async def start(chat: Chat) -> Reply:
    person = await person_by_openid(chat.openid)
    if person is not None:
        return Text(say(No.ALREADY_BOUND, number=person.cert_number))
    await chat.goto(on_name)
    return Text(ASK_NAME)


async def on_name(chat: Chat) -> Reply:
    name = chat.typed().replace(" ", "")
    if not (2 <= len(name) <= 20 and NAME_PATTERN.match(name)):
        raise Refusal(No.BAD_NAME)
    await chat.goto(on_id_number, name=name)
    return Text(ASK_ID)


async def on_id_number(chat: Chat) -> Reply:
    try:
        id_number = parse_id_number(chat.typed(), chat.today)
    except InvalidIdNumber as bad:
        raise Refusal(ID_PROBLEMS[bad.problem]) from None
    registered = await person_by_id_number(id_number.number)
    if registered is not None:
        await _count_attempt(chat, registered)
        if registered.openid is None:  # an admin unbound a lost WeChat account: the code they handed over
            await note_attempt_on_registered(chat.openid, registered, "asked_for_rebind_code")
            await chat.goto(on_rebind_code, id_number=id_number.number)
            return Text(ASK_REBIND_CODE)
        await note_attempt_on_registered(chat.openid, registered, "id_taken")
        raise Refusal(No.ID_TAKEN, number=mask_cert_number(registered.cert_number))
    await chat.goto(on_unit, id_number=id_number.number, gender=id_number.gender, born=id_number.birth_date.isoformat())
    return Text(ASK_UNIT)


async def on_rebind_code(chat: Chat) -> Reply:
    code = chat.typed()
    registered = await person_by_id_number(chat.form.id_number)
    if registered is None or registered.openid is not None:  # bound meanwhile: back to the ID number
        await chat.goto(on_id_number)
        if registered is None:
            return Text(ASK_ID)
        return Text(say(No.ID_TAKEN, number=mask_cert_number(registered.cert_number)))
    await _count_attempt(chat, registered)
    try:
        rebound = await rebind_person(
            registered.id, chat.form.name, chat.openid, code, chat.now, chat.config.secret_key
        )
    except OpenidAlreadyBound as bound:
        await chat.finish()
        return Text(say(No.ALREADY_BOUND, number=bound.cert_number))
    except RebindRefused:
        await note_attempt_on_registered(chat.openid, registered, "wrong_rebind_code")
        raise Refusal(No.REBIND_CODE_WRONG) from None
    await chat.finish()
    return Text(REBOUND.format(number=rebound.cert_number, name=rebound.name, unit=rebound.unit.name))


async def _count_attempt(chat: Chat, registered: Person) -> None:
    """A try at a registered record counts against the WeChat account and against the record, so neither a code
    nor the masked name's missing character can be guessed; one over the limit is audited and refused."""
    limits = (
        (chat.config.rebind_limiter_per_account, f"openid:{chat.openid}"),
        (chat.config.rebind_limiter_per_id_number, f"person:{registered.id}"),
    )
    for limiter, key in limits:
        if limiter is not None and not await limiter.allow(key):
            await note_attempt_on_registered(chat.openid, registered, "limited")
            raise Refusal(No.TOO_MANY_REBIND_ATTEMPTS)


async def on_unit(chat: Chat) -> Reply:
    query = chat.typed()
    units = await find_units(query)
    if not units:
        raise Refusal(No.NO_UNIT, query=query[:30])
    choices = "\n".join(f"{i}. {unit.name}（{unit.region.name}）" for i, unit in enumerate(units, 1))
    await chat.goto(on_unit_pick, choices=[unit.id for unit in units])
    return Text(PICK_UNIT.format(choices=choices))


async def on_unit_pick(chat: Chat) -> Reply:
    text = chat.typed()
    choices = chat.form.choices
    if as_number(text) is None:
        return await on_unit(chat)
    if not 1 <= int(text) <= len(choices):
        raise Refusal(No.BAD_PICK, count=len(choices))
    unit = await unit_by_id(choices[int(text) - 1])
    if unit is None:
        await chat.goto(on_unit)
        return Text(say(No.UNIT_GONE))
    await chat.goto(on_confirm, unit_id=unit.id)
    form: RegisterForm = chat.form
    return Text(
        CONFIRM.format(
            name=form.name,
            gender=form.gender,
            born=form.born,
            id_masked=mask_id_number(form.id_number),
            unit=unit.name,
            region=unit.region.name,
        )
    )


async def on_confirm(chat: Chat) -> Reply:
    answer = chat.typed()
    if answer in RESTART:
        await chat.goto(on_name)
        return Text(ASK_NAME)
    if answer not in YES:
        raise Refusal(No.REGISTRATION_UNCONFIRMED)
    form: RegisterForm = chat.form
    try:
        person = await register_person(form.name, form.id_number, form.unit_id, chat.openid, chat.today)
    except OpenidAlreadyBound as bound:
        await chat.finish()
        return Text(say(No.ALREADY_BOUND, number=bound.cert_number))
    except IdAlreadyRegistered as taken:
        await chat.goto(on_id_number)
        return Text(say(No.ID_TAKEN, number=mask_cert_number(taken.cert_number)))
    except UnitNotFound:
        await chat.goto(on_unit)
        return Text(say(No.UNIT_GONE))
    await chat.finish()
    return Text(DONE.format(number=person.cert_number, name=person.name, unit=person.unit.name))


def _question(step: Step, chat: Chat) -> str | None:
    asked = {
        on_name: ASK_NAME,
        on_id_number: ASK_ID,
        on_rebind_code: ASK_REBIND_CODE,
        on_unit: ASK_UNIT,
        on_unit_pick: say(No.BAD_PICK, count=len(chat.form.choices)),
        on_confirm: say(No.REGISTRATION_UNCONFIRMED),
    }
    return asked.get(step)


JOURNEY = Journey(
    name="register",
    commands=(Command(("注册", "注册登记", "登记", "绑定"), "注册并获取证书管理号", start, menu_key="REGISTER"),),
    steps=(on_name, on_id_number, on_rebind_code, on_unit, on_unit_pick, on_confirm),
    # on_id_number and on_rebind_code audit each try at a registered number; on_rebind_code rebinds
    effects=(on_id_number, on_rebind_code, on_confirm),
    asks=_question,
    state=RegisterForm,
)
