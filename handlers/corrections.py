"""Approved hours corrected, never silently: `作废 12 理由` in the chat (the console's person page also corrects
hours), what the person is told, and how an existing record is named when a transfer or import repeats it."""

from typing import Any

from handlers.access import Guard
from handlers.chat import CHINA, Chat
from handlers.hours import SHOW as SHOW_HOURS
from handlers.journeys import Command, Journey
from handlers.notices import Notice
from handlers.refusals import No, say
from handlers.replies import Reply, Text
from storage.corrections import void_record
from storage.errors import AlreadyVoided, NotApproved, NothingToCorrect, OutOfScope, OwnRecord, RecordNotFound
from storage.models import Category, HourRecord, RecordStatus
from storage.vocabulary import CATEGORY_NAMES, RECORD_STATUS_NAMES, hours_figure

VOIDED = "#{id} 已作废，不再计入学时；理由已通知本人。本人下次获取的证书将不含该记录。"
UNCHANGEABLE = (AlreadyVoided, NotApproved, NothingToCorrect, OutOfScope, OwnRecord, RecordNotFound)


def unchanged(record_id: int, why: Exception) -> str:
    """Why a record was left as it was; the chat and the console say it alike."""
    if isinstance(why, AlreadyVoided):
        at = why.at.astimezone(CHINA).strftime("%Y-%m-%d %H:%M") if why.at else ""
        return say(No.ALREADY_VOIDED, id=record_id, at=at, reason=why.reason)
    if isinstance(why, NotApproved):
        status = RecordStatus(why.status)
        hint = "待审核的申报请用“驳回 编号 理由”驳回。" if status == RecordStatus.PENDING else ""
        return say(No.NOT_APPROVED, id=record_id, status=RECORD_STATUS_NAMES[status], hint=hint)
    if isinstance(why, NothingToCorrect):
        return say(No.NOTHING_TO_CORRECT, id=record_id)
    if isinstance(why, OutOfScope):
        return say(No.RECORD_OUT_OF_SCOPE, id=record_id)
    if isinstance(why, OwnRecord):
        return say(No.OWN_RECORD_CHANGE, id=record_id)
    return say(No.RECORD_NOT_FOUND, id=record_id)


async def void(chat: Chat) -> Reply:
    record_id, reason = chat.number_and_reason(No.VOID_WITHOUT_REASON)
    try:
        await void_record(chat.admin, record_id, reason, chat.now)
    except UNCHANGEABLE as why:
        return Text(unchanged(record_id, why))
    return Text(VOIDED.format(id=record_id))


def record_words(record: HourRecord) -> str:
    """An existing record as a refusal names it: its number, year, course, hours, date and paper certificate."""
    paper = f"，纸质证书 {record.paper_cert_number}" if record.paper_cert_number else ""
    return (
        f"编号 {record.id}：{record.year} 年《{record.course}》{hours_figure(record.hours)} 学时，"
        f"学习日期 {record.studied_on.isoformat()}{paper}"
    )


# What the person is told (bot/wechat/delivery.py sends it).
def _what(p: dict[str, Any]) -> str:
    category = CATEGORY_NAMES[Category(p["category"])]
    return f"{p['year']} 年{category}《{p['course']}》{hours_figure(p['hours'])} 学时（编号 {p['record_id']}）"


_ASK = f"发送“{SHOW_HOURS.words[0]}”可查看；如有疑问请联系单位管理员。"


def voided(p: dict[str, Any]) -> Notice:
    return Notice(
        f"【学时记录作废】您的 {_what(p)}已由管理员作废，不再计入您的学时。\n理由：{p['reason']}\n{_ASK}",
        first="您的一条学时记录已作废",
        keywords=(f"{p['year']} 年 {hours_figure(p['hours'])} 学时", "作废", p["course"]),
        remark=f"理由：{p['reason']}",
    )


def corrected(p: dict[str, Any]) -> Notice:
    course = f"《{p['new_course']}》" if p["new_course"] != p["course"] else ""
    new_hours = hours_figure(p["new_hours"])
    return Notice(
        f"【学时记录更正】您的 {_what(p)}已由管理员更正为{course} {new_hours} 学时。\n理由：{p['reason']}\n{_ASK}",
        first="您的一条学时记录已更正",
        keywords=(f"{p['year']} 年 {hours_figure(p['hours'])} → {new_hours} 学时", "更正", p["new_course"]),
        remark=f"理由：{p['reason']}",
    )


VOID = Command(
    ("作废",), "作废已通过的学时记录并说明理由，如“作废 12 与 8 号记录重复”", void, takes_number=True, then_reason=True
)
JOURNEY = Journey(name="corrections", commands=(VOID,), guard=Guard.ADMINS, effects=(void,))
