"""学时转登: an admin copies the hours of a paper certificate into a person's record.

Paper certificates lapsed on 2019-10-30 (configurable), so a transferred record is dated no later.
The record is approved on entry and shown as transferred from paper.
"""

from datetime import date

from handlers.access import require_admin
from handlers.chat import Chat
from handlers.dialogs import DialogSpec
from handlers.hours_entry import entry_from, parse_category, parse_date, parse_year, refusing
from handlers.replies import Refusal, Reply, Text
from storage.declarations import (
    check_date,
    check_entry,
    check_hours,
    check_text,
    check_year,
    find_person,
    transfer_paper_hours,
)
from storage.errors import OutOfScope
from storage.ids import mask_id_number
from storage.people import person_by_id
from storage.scope import in_scope
from storage.vocabulary import CATEGORY_NAMES, hours_figure

DIALOG_NAME = "transfer"

ASK_PERSON = (
    "学时转登（纸质证书学时转入电子证书，共 9 步，发送“取消”可退出）。\n\n第 1 步：请输入持证人的证书管理号或身份证号。"
)
NO_PERSON = "没有找到该证书管理号或身份证号对应的注册人员，请核对；如本人尚未注册，请先指导其注册。"
OUT_OF_SCOPE = "该人员不在您的管理范围内，不能为其转登。"
ASK_PAPER = "持证人：{name}（{id_masked}，{unit}）。\n第 2 步：请输入纸质证书编号。"
BAD_PAPER = "纸质证书编号应为 2–50 个字符。"
ASK_YEAR = "第 3 步：学时所属年度？（纸质证书有效期内，不晚于 {last_year} 年）"
ASK_CATEGORY = "第 4 步：科目类别？回复 1（公需科目）或 2（专业科目）。"
ASK_COURSE = "第 5 步：课程或活动名称？"
ASK_PROVIDER = "第 6 步：培训机构（举办单位）名称？"
ASK_HOURS = "第 7 步：学时数？"
ASK_DATE = "第 8 步：纸质证书上记载的学习日期？（不晚于 {last_day}）"
CONFIRM = (
    "第 9 步：请核对转登内容：\n持证人：{name}（{cert_number}）\n纸质证书编号：{paper}\n"
    "年度：{year}\n类别：{category}\n"
    "课程/活动：{course}\n培训机构：{provider}\n学时：{hours}\n学习日期：{date}\n\n回复“确认”转登（转登后即计入有效学时）。"
)
BAD_CONFIRM = "请回复“确认”转登，或回复“取消”放弃。"
DONE = "已转登，记录编号 {id}，已计入 {name} 的 {year} 年学时（标注为纸质证书转登）。"
YES = {"确认", "确定", "是", "1"}


def _paper_void(chat: Chat) -> date:
    return chat.config.paper_certificates_void_after


async def start(chat: Chat) -> Reply:
    await require_admin(chat)
    await chat.goto(DIALOG_NAME, "person")
    return Text(ASK_PERSON)


async def on_person(chat: Chat) -> Reply:
    admin = await require_admin(chat)
    person = await find_person(chat.typed())
    if person is None:
        raise Refusal(NO_PERSON)
    if not await in_scope(admin, person):
        raise Refusal(OUT_OF_SCOPE)
    await chat.goto(DIALOG_NAME, "paper", person_id=person.id)
    return Text(ASK_PAPER.format(name=person.name, id_masked=mask_id_number(person.id_number), unit=person.unit.name))


async def on_paper(chat: Chat) -> Reply:
    paper = " ".join(chat.typed().split())
    if not 2 <= len(paper) <= 50:
        raise Refusal(BAD_PAPER)
    await chat.goto(DIALOG_NAME, "year", paper=paper)
    return Text(ASK_YEAR.format(last_year=_paper_void(chat).year))


async def on_year(chat: Chat) -> Reply:
    with refusing(chat.today, _paper_void(chat)):
        year = check_year(parse_year(chat.typed(), chat.today), _paper_void(chat))
    await chat.goto(DIALOG_NAME, "category", year=year)
    return Text(ASK_CATEGORY)


async def on_category(chat: Chat) -> Reply:
    await chat.goto(DIALOG_NAME, "course", category=str(parse_category(chat.typed())))
    return Text(ASK_COURSE)


async def on_course(chat: Chat) -> Reply:
    with refusing(chat.today):
        course = check_text(chat.typed())
    await chat.goto(DIALOG_NAME, "provider", course=course)
    return Text(ASK_PROVIDER)


async def on_provider(chat: Chat) -> Reply:
    with refusing(chat.today):
        provider = check_text(chat.typed())
    await chat.goto(DIALOG_NAME, "hours", provider=provider)
    return Text(ASK_HOURS)


async def on_hours(chat: Chat) -> Reply:
    with refusing(chat.today):
        hours = check_hours(chat.typed())
    await chat.goto(DIALOG_NAME, "date", hours=str(hours))
    return Text(ASK_DATE.format(last_day=_paper_void(chat).isoformat()))


async def on_date(chat: Chat) -> Reply:
    with refusing(chat.today, _paper_void(chat)):
        studied_on = check_date(parse_date(chat.typed(), chat.today), chat.data["year"], chat.today, _paper_void(chat))
    await chat.goto(DIALOG_NAME, "confirm", studied_on=studied_on.isoformat())
    entry, person = entry_from(chat.data), await person_by_id(chat.data["person_id"])
    return Text(
        CONFIRM.format(
            name=person.name,
            cert_number=person.cert_number,
            paper=chat.data["paper"],
            year=entry.year,
            category=CATEGORY_NAMES[entry.category],
            course=entry.course,
            provider=entry.provider,
            hours=hours_figure(entry.hours),
            date=entry.studied_on.isoformat(),
        )
    )


async def on_confirm(chat: Chat) -> Reply:
    if chat.typed() not in YES:
        raise Refusal(BAD_CONFIRM)
    admin = await require_admin(chat)
    person = await person_by_id(chat.data["person_id"])
    with refusing(chat.today, _paper_void(chat)):
        entry = check_entry(entry_from(chat.data), chat.today, latest=_paper_void(chat))
    try:
        record = await transfer_paper_hours(admin, person, chat.data["paper"], entry, chat.now)
    except OutOfScope:
        await chat.finish()
        raise Refusal(OUT_OF_SCOPE) from None
    await chat.finish()
    return Text(DONE.format(id=record.id, name=person.name, year=record.year))


DIALOG = DialogSpec(
    DIALOG_NAME,
    {
        "person": on_person,
        "paper": on_paper,
        "year": on_year,
        "category": on_category,
        "course": on_course,
        "provider": on_provider,
        "hours": on_hours,
        "date": on_date,
        "confirm": on_confirm,
    },
)
