"""学时转登: an admin copies the hours of a paper certificate into a person's record.

Paper certificates lapsed on 2019-10-30 (configurable), so a transferred record is dated no later.
The record is approved on entry and shown as transferred from paper.
"""

from dataclasses import dataclass
from typing import Any

from handlers.access import Guard
from handlers.chat import Chat, Step
from handlers.corrections import record_words
from handlers.hours import SHOW as SHOW_HOURS
from handlers.hours import year_notices
from handlers.hours_entry import HoursEntrySteps, HoursForm, entry_from, refusing
from handlers.journeys import Command, Journey
from handlers.notices import Notice
from handlers.refusals import No, Refusal, say
from handlers.replies import Reply, Text
from storage.declarations import (
    check_entry,
    find_person,
    record_by_id,
    same_record,
    similar_records,
    transfer_paper_hours,
)
from storage.errors import DuplicateRecord, OutOfScope, OwnRecord
from storage.ids import mask_id_number
from storage.models import Category
from storage.people import person_by_id
from storage.scope import in_scope, is_own
from storage.vocabulary import CATEGORY_NAMES, hours_figure

ASK_PERSON = (
    "学时转登（纸质证书学时转入电子证书，共 9 步，发送“取消”可退出）。\n\n第 1 步：请输入持证人的证书管理号或身份证号。"
)
ASK_PAPER = "持证人：{name}（{id_masked}，{unit}）。\n第 2 步：请输入纸质证书编号。"
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
SIMILAR = "\n\n请注意：该人员 {year} 年已有同一课程的学时记录：\n{records}\n是否仍要转登？回复“是”转登，回复“否”放弃。"
DROPPED = "已放弃，本次转登未保存任何记录。"
DONE = "已转登，记录编号 {id}，已计入 {name} 的 {year} 年学时（标注为纸质证书转登）。"
YES = {"确认", "确定", "是", "1"}
NO = {"否", "不", "不是", "放弃", "2"}


@dataclass(frozen=True)
class TransferForm(HoursForm):
    person_id: int = 0
    paper: str = ""


async def start(chat: Chat) -> Reply:
    await chat.goto(on_person)
    return Text(ASK_PERSON)


async def on_person(chat: Chat) -> Reply:
    person = await find_person(chat.typed())
    if person is None:
        raise Refusal(No.NO_SUCH_PERSON)
    if not await in_scope(chat.admin, person):
        raise Refusal(No.PERSON_OUT_OF_SCOPE)
    if is_own(chat.admin, person):
        raise Refusal(No.OWN_TRANSFER)
    await chat.goto(on_paper, person_id=person.id)
    return Text(ASK_PAPER.format(name=person.name, id_masked=mask_id_number(person.id_number), unit=person.unit.name))


async def on_paper(chat: Chat) -> Reply:
    paper = " ".join(chat.typed().split())
    if not 2 <= len(paper) <= 50:
        raise Refusal(No.BAD_PAPER_NUMBER)
    await chat.goto(on_year, paper=paper)
    return Text(ASK_YEAR.format(last_year=chat.config.paper_certificates_void_after.year))


async def _ask_to_confirm(chat: Chat) -> Reply:
    form: TransferForm = chat.form
    entry, person = entry_from(form), await person_by_id(form.person_id)
    if (earlier := await same_record(person.id, entry, form.paper)) is not None:
        await chat.finish()
        raise Refusal(No.DUPLICATE_RECORD, record=record_words(earlier))
    similar = await similar_records(person.id, entry.year, entry.course)
    warning = SIMILAR.format(year=entry.year, records="\n".join(record_words(r) for r in similar)) if similar else ""
    return Text(
        CONFIRM.format(
            name=person.name,
            cert_number=person.cert_number,
            paper=form.paper,
            year=entry.year,
            category=CATEGORY_NAMES[entry.category],
            course=entry.course,
            provider=entry.provider,
            hours=hours_figure(entry.hours),
            date=entry.studied_on.isoformat(),
        )
        + warning
    )


ENTRY = HoursEntrySteps(
    ASK_CATEGORY,
    ASK_COURSE,
    ASK_PROVIDER,
    ASK_DATE,
    ASK_HOURS,
    then=_ask_to_confirm,
    hours_before_date=True,
    until_paper_void=True,
)
on_year, on_category, on_course, on_provider, on_hours, on_date = ENTRY.steps


async def on_confirm(chat: Chat) -> Reply:
    if chat.typed() in NO:
        await chat.finish()
        return Text(DROPPED)
    if chat.typed() not in YES:
        raise Refusal(No.TRANSFER_UNCONFIRMED)
    form: TransferForm = chat.form
    person = await person_by_id(form.person_id)
    paper_void = chat.config.paper_certificates_void_after
    with refusing(chat.today, paper_void):
        entry = check_entry(entry_from(form), chat.today, latest=paper_void)
    try:
        record = await transfer_paper_hours(chat.admin, person, form.paper, entry, chat.now)
    except OutOfScope:
        await chat.finish()
        raise Refusal(No.PERSON_OUT_OF_SCOPE) from None
    except OwnRecord:
        await chat.finish()
        raise Refusal(No.OWN_TRANSFER) from None
    except DuplicateRecord as duplicate:
        await chat.finish()
        raise Refusal(No.DUPLICATE_RECORD, record=record_words(await record_by_id(duplicate.record_id))) from None
    await chat.finish()
    return Text(DONE.format(id=record.id, name=person.name, year=record.year))


# What the person is told of the transfer (bot/wechat/delivery.py sends it).
def transferred(p: dict[str, Any]) -> Notice:
    hours = f"{p['year']} 年 {CATEGORY_NAMES[Category(p['category'])]} {hours_figure(p['hours'])} 学时"
    years = year_notices(p)
    return Notice(
        f"【学时转登】已为您转登 {hours}（纸质证书 {p['paper_cert_number']}，{p['course']}），"
        f"记录编号 {p['record_id']}，已记入您的学时。"
        + "".join(f"\n{line}" for line in years)
        + f"\n发送“{SHOW_HOURS.words[0]}”可查看；如有出入请联系单位管理员。",
        first="已为您转登纸质证书上的学时",
        keywords=(hours, "纸质证书转登", f"{p['course']}（纸质证书 {p['paper_cert_number']}）"),
        remark="".join(["已记入您的学时。", *years, "如有出入请联系单位管理员。"]),
    )


def _question(step: Step, chat: Chat) -> str | None:
    if step is ENTRY.steps[0]:
        return ASK_YEAR.format(last_year=chat.config.paper_certificates_void_after.year)
    asked = {on_person: ASK_PERSON, on_paper: ASK_PAPER.split("\n", 1)[1], on_confirm: say(No.TRANSFER_UNCONFIRMED)}
    return asked.get(step) or ENTRY.question(step, chat)


JOURNEY = Journey(
    name="transfer",
    commands=(Command(("转登", "学时转登"), "将纸质证书上的学时转登到电子证书", start, menu_key="TRANSFER"),),
    steps=(on_person, on_paper, *ENTRY.steps, on_confirm),
    effects=(on_confirm,),
    asks=_question,
    state=TransferForm,
    guard=Guard.ADMINS,
)
