"""Review in the chat: 待审 lists what an admin may decide; 通过 <编号…> and 驳回 <编号> <理由> decide."""

from handlers.access import require_admin
from handlers.chat import Chat
from handlers.replies import Refusal, Reply, Text
from storage.declarations import decide, pending_in_scope
from storage.errors import AlreadyDecided, OutOfScope, RecordNotFound
from storage.ids import as_number
from storage.models import Admin, RecordStatus
from storage.vocabulary import CATEGORY_NAMES, hours_figure

NOTHING_PENDING = "您的管理范围内目前没有待审核的申报。"
PENDING_HEADER = "待审核的申报（共 {total} 条{shown}）："
PENDING_LINE = "#{id} {name}（{unit}）{year} 年 {category} {hours} 学时\n   《{course}》{provider}，{date}{evidence}"
PENDING_FOOTER = "发送“通过 编号”批准（可一次写多个编号，用空格隔开），或“驳回 编号 理由”驳回。"
ASK_APPROVE_IDS = "请在“通过”后写上申报编号，如“通过 12”或“通过 12 13 15”。发送“待审”查看编号。"
ASK_REJECT = "驳回需要写明编号和理由，如“驳回 12 学时证明不清晰，请重新申报”。"
APPROVED = "#{id} 已通过。"
REJECTED = "#{id} 已驳回，理由已通知申报人。"
ALREADY = "#{id} 已由{by}{status}，未重复处理。"
OUT_OF_SCOPE = "#{id} 不在您的管理范围内，不能处理。"
NOT_FOUND = "#{id} 不存在或已撤回。"
STATUS_WORDS = {RecordStatus.APPROVED: "通过", RecordStatus.REJECTED: "驳回"}
MAX_AT_ONCE = 50


async def list_pending(chat: Chat) -> Reply:
    admin = await require_admin(chat)
    records, total = await pending_in_scope(admin)
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


async def _decide_one(chat: Chat, admin: Admin, record_id: int, approve: bool, reason: str) -> str:
    try:
        await decide(admin, record_id, approve, reason, chat.now)
    except AlreadyDecided as decided:
        status = STATUS_WORDS.get(RecordStatus(decided.status), decided.status)
        return ALREADY.format(
            id=record_id, by=f"管理员{decided.decided_by}" if decided.decided_by else "他人", status=status
        )
    except OutOfScope:
        return OUT_OF_SCOPE.format(id=record_id)
    except RecordNotFound:
        return NOT_FOUND.format(id=record_id)
    return (APPROVED if approve else REJECTED).format(id=record_id)


async def approve(chat: Chat) -> Reply:
    admin = await require_admin(chat)
    ids = _ids(chat.args)
    if ids is None:
        raise Refusal(ASK_APPROVE_IDS)
    return Text("\n".join([await _decide_one(chat, admin, record_id, True, "") for record_id in ids]))


async def reject(chat: Chat) -> Reply:
    admin = await require_admin(chat)
    first, _, reason = chat.args.strip().partition(" ")
    reason = reason.strip()
    record_id = as_number(first.lstrip("#"))
    if record_id is None or not reason:
        raise Refusal(ASK_REJECT)
    return Text(await _decide_one(chat, admin, record_id, False, reason[:200]))
