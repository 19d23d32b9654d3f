"""学时申报: a person declares hours in seven short steps; the record waits for an admin's review.

Also 我的申报 (the person's pending declarations) and 撤回 <编号> (withdrawing one).
"""

from handlers.access import require_person
from handlers.chat import Chat, Kind
from handlers.dialogs import DialogSpec
from handlers.hours_entry import entry_from, parse_category, parse_date, parse_year, refusing
from handlers.replies import Refusal, Reply, Text
from storage.declarations import (
    check_date,
    check_entry,
    check_hours,
    check_text,
    check_year,
    declare,
    pending_of,
    withdraw,
)
from storage.errors import RecordNotFound
from storage.ids import as_number
from storage.vocabulary import CATEGORY_NAMES, hours_figure

DIALOG_NAME = "declare"

ASK_YEAR = (
    "学时申报（共 7 步，任何时候发送“取消”可退出）。\n\n第 1 步：学习年度？回复“今年”即 {year} 年，或回复其他年份。"
)
ASK_CATEGORY = "第 2 步：科目类别？回复 1（公需科目）或 2（专业科目）。"
ASK_COURSE = "第 3 步：请输入课程或活动名称。"
ASK_PROVIDER = "第 4 步：请输入培训机构（举办单位）名称。"
ASK_DATE = "第 5 步：请输入学习日期（如 {year}-03-15；多日的培训填结业日期）。"
ASK_HOURS = "第 6 步：请输入学时数（可为半学时，如 1.5）。"
ASK_EVIDENCE = "第 7 步：请发送一张证明材料的照片（如结业证书、学时证明），没有可回复“跳过”。"
BAD_EVIDENCE = "请发送一张照片，或回复“跳过”。"
CONFIRM = (
    "请核对申报内容：\n年度：{year}\n类别：{category}\n课程/活动：{course}\n培训机构：{provider}\n"
    "学习日期：{date}\n学时：{hours}\n证明材料：{evidence}\n\n回复“确认”提交；回复“取消”放弃。"
)
BAD_CONFIRM = "请回复“确认”提交，或回复“取消”放弃。"
DONE = "已提交，申报编号 {id}。单位管理员审核后，结果会通过本服务号通知您。发送“我的申报”可查看待审核的申报。"
NONE_PENDING = "您目前没有待审核的申报。发送“申报”可申报学时。"
PENDING_HEADER = "您待审核的申报："
PENDING_LINE = "· 编号 {id}：{year} 年 {category} {hours} 学时，{course}"
PENDING_FOOTER = "如需撤回，发送“撤回 编号”，如“撤回 {id}”。"
ASK_WITHDRAW_ID = "请在“撤回”后写上申报编号，如“撤回 12”。发送“我的申报”可查看编号。"
NOT_WITHDRAWABLE = "没有找到您待审核的第 {id} 号申报（可能已审核或已撤回）。"
WITHDRAWN = "已撤回第 {id} 号申报。"
SKIP = {"跳过", "无", "没有", "不需要"}
YES = {"确认", "确定", "提交", "是", "1"}


async def start(chat: Chat) -> Reply:
    await require_person(chat)
    await chat.goto(DIALOG_NAME, "year")
    return Text(ASK_YEAR.format(year=chat.today.year))


async def on_year(chat: Chat) -> Reply:
    with refusing(chat.today):
        year = check_year(parse_year(chat.typed(), chat.today), chat.today)
    await chat.goto(DIALOG_NAME, "category", year=year)
    return Text(ASK_CATEGORY)


async def on_category(chat: Chat) -> Reply:
    category = parse_category(chat.typed())
    await chat.goto(DIALOG_NAME, "course", category=str(category))
    return Text(ASK_COURSE)


async def on_course(chat: Chat) -> Reply:
    with refusing(chat.today):
        course = check_text(chat.typed())
    await chat.goto(DIALOG_NAME, "provider", course=course)
    return Text(ASK_PROVIDER)


async def on_provider(chat: Chat) -> Reply:
    with refusing(chat.today):
        provider = check_text(chat.typed())
    await chat.goto(DIALOG_NAME, "date", provider=provider)
    return Text(ASK_DATE.format(year=chat.data["year"]))


async def on_date(chat: Chat) -> Reply:
    with refusing(chat.today):
        studied_on = check_date(parse_date(chat.typed(), chat.today), chat.data["year"], chat.today)
    await chat.goto(DIALOG_NAME, "hours", studied_on=studied_on.isoformat())
    return Text(ASK_HOURS)


async def on_hours(chat: Chat) -> Reply:
    with refusing(chat.today):
        hours = check_hours(chat.typed())
    await chat.goto(DIALOG_NAME, "evidence", hours=str(hours))
    return Text(ASK_EVIDENCE)


async def on_evidence(chat: Chat) -> Reply:
    if chat.incoming.kind == Kind.IMAGE and chat.incoming.media_id:
        media_id = chat.incoming.media_id
    elif chat.incoming.kind == Kind.TEXT and chat.text in SKIP:
        media_id = ""
    else:
        raise Refusal(BAD_EVIDENCE)
    await chat.goto(DIALOG_NAME, "confirm", evidence_media_id=media_id)
    entry = entry_from(chat.data)
    return Text(
        CONFIRM.format(
            year=entry.year,
            category=CATEGORY_NAMES[entry.category],
            course=entry.course,
            provider=entry.provider,
            date=entry.studied_on.isoformat(),
            hours=hours_figure(entry.hours),
            evidence="已上传 1 张照片" if media_id else "无",
        )
    )


async def on_confirm(chat: Chat) -> Reply:
    if chat.typed() not in YES:
        raise Refusal(BAD_CONFIRM)
    person = await require_person(chat)
    with refusing(chat.today):  # checked again: the dialog may have waited across midnight or a year's end
        entry = check_entry(entry_from(chat.data), chat.today)
    record = await declare(person, entry, chat.data["evidence_media_id"], chat.now)
    await chat.finish()
    return Text(DONE.format(id=record.id))


async def show_pending(chat: Chat) -> Reply:
    person = await require_person(chat)
    records = await pending_of(person)
    if not records:
        return Text(NONE_PENDING)
    lines = [PENDING_HEADER]
    for r in records:
        lines.append(
            PENDING_LINE.format(
                id=r.id, year=r.year, category=CATEGORY_NAMES[r.category], hours=hours_figure(r.hours), course=r.course
            )
        )
    lines.append(PENDING_FOOTER.format(id=records[0].id))
    return Text("\n".join(lines))


async def withdraw_one(chat: Chat) -> Reply:
    person = await require_person(chat)
    record_id = as_number(chat.args)
    if record_id is None:
        raise Refusal(ASK_WITHDRAW_ID)
    try:
        await withdraw(person, record_id)
    except RecordNotFound:
        raise Refusal(NOT_WITHDRAWABLE.format(id=record_id)) from None
    return Text(WITHDRAWN.format(id=record_id))


DIALOG = DialogSpec(
    DIALOG_NAME,
    {
        "year": on_year,
        "category": on_category,
        "course": on_course,
        "provider": on_provider,
        "date": on_date,
        "hours": on_hours,
        "evidence": on_evidence,
        "confirm": on_confirm,
    },
)
