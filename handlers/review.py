"""Review in the chat: 待审 lists what an admin may decide; 通过 <编号…> and 驳回 <编号> <理由> decide."""

from typing import Any

from handlers.access import Guard
from handlers.chat import Chat
from handlers.hours import SHOW as SHOW_HOURS
from handlers.hours import year_notices
from handlers.journeys import Command, Journey
from handlers.notices import Notice
from handlers.refusals import No, Refusal, say
from handlers.replies import Reply, Text
from storage.declarations import decide, pending_in_scope
from storage.errors import AlreadyDecided, OutOfScope, OwnRecord, RecordNotFound
from storage.ids import as_number
from storage.models import Category, RecordStatus
from storage.vocabulary import CATEGORY_NAMES, hours_figure

NOTHING_PENDING = "您的管理范围内目前没有待审核的申报。"
PENDING_HEADER = "待审核的申报（共 {total} 条{shown}）："
PENDING_LINE = "#{id} {name}（{unit}）{year} 年 {category} {hours} 学时\n   《{course}》{provider}，{date}{evidence}"
PENDING_FOOTER = "发送“通过 编号”批准（可一次写多个编号，用空格隔开），或“驳回 编号 理由”驳回。"
APPROVED = "#{id} 已通过。"
REJECTED = "#{id} 已驳回，理由已通知申报人。"
STATUS_WORDS = {RecordStatus.APPROVED: "通过", RecordStatus.REJECTED: "驳回"}
MAX_AT_ONCE = 50


async def list_pending(chat: Chat) -> Reply:
    records, total = await pending_in_scope(chat.admin)
    if not records:
        return Text(NOTHING_PENDING)
    shown = f"，以下为最早的 {len(records)} 条" if total > len(records) else ""
    lines = [PENDING_HEADER.format(total=total, shown=shown)]
    for r in records:
        lines.append(
            PENDING_LINE.format(
                id=r.id,
                name=r.person.name,
                unit=r.person.unit.name,
                year=r.year,
                category=CATEGORY_NAMES[r.category],
                hours=hours_figure(r.hours),
                course=r.course,
                provider=r.provider,
                date=r.studied_on.isoformat(),
                evidence="，附证明材料" if r.evidence_media_id else "",
            )
        )
    lines.append(PENDING_FOOTER)
    return Text("\n".join(lines))


def _ids(text: str) -> list[int] | None:
    words = text.replace(",", " ").replace("，", " ").replace("#", " ").split()
    numbers = [as_number(w) for w in words]
    if not numbers or None in numbers or len(numbers) > MAX_AT_ONCE:
        return None
    return list(dict.fromkeys(numbers))


UNDECIDABLE = (AlreadyDecided, OutOfScope, OwnRecord, RecordNotFound)  # why a decision is refused


def undecided(record_id: int, why: AlreadyDecided | OutOfScope | OwnRecord | RecordNotFound) -> str:
    """Why a record was left as it was; the chat and the console say it alike."""
    if isinstance(why, AlreadyDecided):
        status = STATUS_WORDS.get(RecordStatus(why.status), why.status)
        by = f"管理员{why.decided_by}" if why.decided_by else "他人"
        return say(No.ALREADY_DECIDED, id=record_id, by=by, status=status)
    if isinstance(why, OutOfScope):
        return say(No.RECORD_OUT_OF_SCOPE, id=record_id)
    if isinstance(why, OwnRecord):
        return say(No.OWN_RECORD, id=record_id)
    return say(No.RECORD_NOT_FOUND, id=record_id)


async def _decide_one(chat: Chat, record_id: int, approve: bool, reason: str) -> str:
    try:
        await decide(chat.admin, record_id, approve, reason, chat.now)
    except UNDECIDABLE as why:
        return undecided(record_id, why)
    return (APPROVED if approve else REJECTED).format(id=record_id)


async def approve(chat: Chat) -> Reply:
    ids = _ids(chat.args)
    if ids is None:
        raise Refusal(No.APPROVE_WITHOUT_IDS)
    return Text("\n".join([await _decide_one(chat, record_id, True, "") for record_id in ids]))


async def reject(chat: Chat) -> Reply:
    record_id, reason = chat.number_and_reason(No.REJECT_WITHOUT_REASON)
    return Text(await _decide_one(chat, record_id, False, reason[:200]))


# What the person is told of the decision (bot/wechat/delivery.py sends it).
def decided(p: dict[str, Any]) -> Notice:
    hours = f"{p['year']} 年{CATEGORY_NAMES[Category(p['category'])]} {hours_figure(p['hours'])} 学时"
    what = f"您申报的 {hours}（{p['course']}，编号 {p['record_id']}）"
    if p["approved"]:
        years = year_notices(p)
        lines = "".join(f"\n{line}" for line in years)
        text = f"【审核通过】{what}已审核通过，已记入您的学时。{lines}\n发送“{SHOW_HOURS.words[0]}”可查看。"
        return Notice(text, "您的学时申报已审核", (hours, "通过", p["course"]), "".join(["已记入您的学时。", *years]))
    text = f"【未通过】{what}未通过审核。\n理由：{p['reason']}\n如有疑问请联系单位管理员，修改后可重新申报。"
    return Notice(text, "您的学时申报未通过审核", (hours, "未通过", p["course"]), f"理由：{p['reason']}")


LIST = Command(("待审", "待审核"), "查看管理范围内待审核的申报", list_pending, menu_key="REVIEW")
APPROVE = Command(("通过", "批准"), "批准申报，如“通过 12 13”", approve, takes_number=True)
REJECT = Command(("驳回",), "驳回申报并说明理由，如“驳回 12 证明不清晰”", reject, takes_number=True, then_reason=True)
JOURNEY = Journey(name="review", commands=(LIST, APPROVE, REJECT), guard=Guard.ADMINS, effects=(approve, reject))
