"""注册: name → ID number → unit → confirmation → a person with a certificate management number."""

import re

from handlers.chat import Chat
from handlers.dialogs import DialogSpec
from handlers.replies import Refusal, Reply, Text
from storage.errors import IdAlreadyRegistered, OpenidAlreadyBound, UnitNotFound
from storage.ids import IdProblem, InvalidIdNumber, as_number, mask_cert_number, mask_id_number, parse_id_number
from storage.people import person_by_id_number, person_by_openid, rebind_person, register_person
from storage.units import find_units, unit_by_id

DIALOG_NAME = "register"
# Han characters of the basic block and Extensions A to F (names such as 刘䶮 use them), and 〇.
HAN = "\u3007\u3400-\u4dbf\u4e00-\u9fff\U00020000-\U0002ebef"
NAME_PATTERN = re.compile(rf"^[{HAN}]+([·•][{HAN}]+)*$")

ASK_NAME = "开始注册（共 4 步，任何时候发送“取消”可退出）。\n\n第 1 步：请输入您的姓名（与身份证一致）。"
BAD_NAME = "姓名应为 2–20 个汉字，少数民族姓名中间的“·”可以保留。请重新输入您的姓名。"
ASK_ID = "第 2 步：请输入您的 18 位居民身份证号码。"
ID_PROBLEMS = {
    IdProblem.FORMAT: "身份证号码应为 18 位：前 17 位是数字，最后一位是数字或字母 X。请核对后重新输入。",
    IdProblem.BIRTH_DATE: "身份证号码中的出生日期（第 7–14 位）不是一个真实的日期，请核对后重新输入。",
    IdProblem.CHECK_CHARACTER: "身份证号码最后一位（校验码）与前 17 位不符，可能输错了数字，请核对后重新输入。",
}
ID_TAKEN = (
    "该身份证号码已经注册，证书管理号为 {number}。按照“一人一证一号”的规定，不能重复注册。\n"
    "如是您本人注册、但原微信号已无法使用，请联系所在单位的继续教育管理员解除绑定后重新绑定。\n"
    "如号码输入有误，请重新输入；发送“取消”退出。"
)
ASK_UNIT = "第 3 步：请输入您所在单位名称中的关键词（如“人民医院”），或单位的 18 位统一社会信用代码。"
NO_UNIT = (
    "没有找到与“{query}”相符的单位。请换一个关键词，或输入单位的统一社会信用代码。\n"
    "如您的单位尚未在平台登记，请联系单位人事部门办理。"
)
PICK_UNIT = "找到以下单位：\n{choices}\n\n请回复序号选择；如不在其中，可直接输入新的关键词。"
BAD_PICK = "请回复列表中的序号（1–{count}），或输入新的关键词重新查找。"
CONFIRM = (
    "第 4 步：请核对您的注册信息：\n"
    "姓名：{name}\n性别：{gender}\n出生日期：{born}\n身份证号：{id_masked}\n单位：{unit}（{region}）\n\n"
    "回复“确认”完成注册；回复“重填”从头填写；回复“取消”退出。"
)
BAD_CONFIRM = "请回复“确认”完成注册，或回复“重填”从头填写。"
DONE = (
    "注册成功！\n证书管理号：{number}\n姓名：{name}\n单位：{unit}\n\n"
    "证书管理号与您的身份证号一一对应，请妥善保存。发送“学时”可查询您的继续教育学时。"
)
REBOUND = (
    "已重新绑定！\n证书管理号：{number}（与原来相同）\n姓名：{name}\n单位：{unit}\n\n"
    "您的学时和证书都已保留。发送“学时”可查询学时。"
)
ALREADY_BOUND = "您的微信已绑定证书管理号 {number}，无需再次注册。发送“学时”可查询学时。"
UNIT_GONE = "所选单位已不存在，请重新输入单位关键词。"

YES = {"确认", "确定", "是", "对", "好", "提交", "1"}
RESTART = {"重填", "重新填写", "重来", "否", "不对"}


async def start(chat: Chat) -> Reply:
    person = await person_by_openid(chat.openid)
    if person is not None:
        return Text(ALREADY_BOUND.format(number=person.cert_number))
    await chat.goto(DIALOG_NAME, "name")
    return Text(ASK_NAME)


async def on_name(chat: Chat) -> Reply:
    name = chat.typed().replace(" ", "")
    if not (2 <= len(name) <= 20 and NAME_PATTERN.match(name)):
        raise Refusal(BAD_NAME)
    await chat.goto(DIALOG_NAME, "id_number", name=name)
    return Text(ASK_ID)


async def on_id_number(chat: Chat) -> Reply:
    try:
        id_number = parse_id_number(chat.typed(), chat.today)
    except InvalidIdNumber as bad:
        raise Refusal(ID_PROBLEMS[bad.problem]) from None
    registered = await person_by_id_number(id_number.number)
    if registered is not None:
        if registered.openid is None:  # an admin unbound a lost WeChat account: bind this one instead
            try:
                rebound = await rebind_person(registered.id, chat.data["name"], chat.openid)
            except OpenidAlreadyBound as bound:
                await chat.finish()
                return Text(ALREADY_BOUND.format(number=bound.cert_number))
            if rebound is not None:
                await chat.finish()
                return Text(REBOUND.format(number=rebound.cert_number, name=rebound.name, unit=rebound.unit.name))
        raise Refusal(ID_TAKEN.format(number=mask_cert_number(registered.cert_number)))
    await chat.goto(
        DIALOG_NAME,
        "unit",
        id_number=id_number.number,
        gender=id_number.gender,
        born=id_number.birth_date.isoformat(),
    )
    return Text(ASK_UNIT)


async def on_unit_query(chat: Chat) -> Reply:
    query = chat.typed()
    units = await find_units(query)
    if not units:
        raise Refusal(NO_UNIT.format(query=query[:30]))
    choices = "\n".join(f"{i}. {unit.name}（{unit.region.name}）" for i, unit in enumerate(units, 1))
    await chat.goto(DIALOG_NAME, "unit_pick", choices=[unit.id for unit in units])
    return Text(PICK_UNIT.format(choices=choices))


async def on_unit_pick(chat: Chat) -> Reply:
    text = chat.typed()
    choices: list[int] = chat.data["choices"]
    if as_number(text) is None:
        return await on_unit_query(chat)
    if not 1 <= int(text) <= len(choices):
        raise Refusal(BAD_PICK.format(count=len(choices)))
    unit = await unit_by_id(choices[int(text) - 1])
    if unit is None:
        await chat.goto(DIALOG_NAME, "unit")
        return Text(UNIT_GONE)
    await chat.goto(DIALOG_NAME, "confirm", unit_id=unit.id)
    data = chat.data
    return Text(
        CONFIRM.format(
            name=data["name"],
            gender=data["gender"],
            born=data["born"],
            id_masked=mask_id_number(data["id_number"]),
            unit=unit.name,
            region=unit.region.name,
        )
    )


async def on_confirm(chat: Chat) -> Reply:
    answer = chat.typed()
    if answer in RESTART:
        await chat.goto(DIALOG_NAME, "name")
        return Text(ASK_NAME)
    if answer not in YES:
        raise Refusal(BAD_CONFIRM)
    data = chat.data
    try:
        person = await register_person(data["name"], data["id_number"], data["unit_id"], chat.openid, chat.today)
    except OpenidAlreadyBound as bound:
        await chat.finish()
        return Text(ALREADY_BOUND.format(number=bound.cert_number))
    except IdAlreadyRegistered as taken:
        await chat.goto(DIALOG_NAME, "id_number")
        return Text(ID_TAKEN.format(number=mask_cert_number(taken.cert_number)))
    except UnitNotFound:
        await chat.goto(DIALOG_NAME, "unit")
        return Text(UNIT_GONE)
    await chat.finish()
    return Text(DONE.format(number=person.cert_number, name=person.name, unit=person.unit.name))


DIALOG = DialogSpec(
    DIALOG_NAME,
    {
        "name": on_name,
        "id_number": on_id_number,
        "unit": on_unit_query,
        "unit_pick": on_unit_pick,
        "confirm": on_confirm,
    },
)
