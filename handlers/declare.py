"""学时申报: a person declares hours in seven short steps; the record waits for an admin's review.

Also 我的申报 (the person's pending declarations) and 撤回 <编号> (withdrawing one).
"""

from dataclasses import dataclass
from typing import Any

from handlers.access import Guard
from handlers.chat import Chat, Kind, Step
from handlers.hours_entry import HoursEntrySteps, HoursForm, entry_from, refusing
from handlers.journeys import Command, Journey
from handlers.notices import Notice
from handlers.refusals import No, Refusal, say
from handlers.replies import Reply, Text
from handlers.review import APPROVE, LIST, REJECT
from storage.clock import CHINA
from storage.declarations import RecordLine, check_entry, declare, own_records, withdraw
from storage.errors import RecordNotFound
from storage.ids import as_number
from storage.models import Category, RecordSource, RecordStatus
from storage.vocabulary import CATEGORY_NAMES, hours_figure

ASK_YEAR = (
    "学时申报（共 7 步，任何时候发送“取消”可退出）。\n\n第 1 步：学习年度？回复“今年”即 {year} 年，或回复其他年份。"
)
ASK_CATEGORY = "第 2 步：科目类别？回复 1（公需科目）或 2（专业科目）。"
ASK_COURSE = "第 3 步：请输入课程或活动名称。"
ASK_PROVIDER = "第 4 步：请输入培训机构（举办单位）名称。"
ASK_DATE = "第 5 步：请输入学习日期（如 {year}-03-15；多日的培训填结业日期）。"
ASK_HOURS = "第 6 步：请输入学时数（可为半学时，如 1.5）。"
ASK_EVIDENCE = "第 7 步：请发送一张证明材料的照片（如结业证书、学时证明），没有可回复“跳过”。"
CONFIRM = (
    "请核对申报内容：\n年度：{year}\n类别：{category}\n课程/活动：{course}\n培训机构：{provider}\n"
    "学习日期：{date}\n学时：{hours}\n证明材料：{evidence}\n\n回复“确认”提交；回复“取消”放弃。"
)
DONE = "已提交，申报编号 {id}。单位管理员审核后，结果会通过本服务号通知您。发送“我的申报”可查看待审核的申报。"
NOTHING_YET = "您目前没有待审核的申报，近 12 个月也没有审核、转登或导入的学时记录。发送“申报”可申报学时。"
NONE_PENDING = "您目前没有待审核的申报。"
PENDING_HEADER = "您待审核的申报："
PENDING_LINE = "· 编号 {id}：{year} 年 {category} {hours} 学时，{course}"
PENDING_FOOTER = "如需撤回，发送“撤回 编号”，如“撤回 {id}”。"
DECIDED_HEADER = "近 12 个月的审核结果和转登、导入的记录（最新的在前）："
DECIDED_LINE = PENDING_LINE + "\n  {date} {outcome}"
APPROVED = "已通过"
REJECTED = "未通过，理由：{reason}"
VOIDED = "已作废，理由：{reason}"
TRANSFERRED = "纸质证书转登（{paper}）"
IMPORTED = "批量导入"
CUT = "仅显示最近 {shown} 条（共 {total} 条）。"
PENDING_CUT = "仅显示最早的 {shown} 条（共 {total} 条）。"
# A passive reply must stay within WeChat's 2048 bytes; long courses and reasons are shortened to fit.
REPLY_BYTES = 2000
COURSE_CHARS = 20
REASON_CHARS = 60
WITHDRAWN = "已撤回第 {id} 号申报。"
SKIP = {"跳过", "无", "没有", "不需要"}
YES = {"确认", "确定", "提交", "是", "1"}


@dataclass(frozen=True)
class DeclareForm(HoursForm):
    evidence_media_id: str = ""


async def start(chat: Chat) -> Reply:
    await chat.goto(on_year)
    return Text(ASK_YEAR.format(year=chat.today.year))


async def _ask_evidence(chat: Chat) -> Reply:
    return Text(ASK_EVIDENCE)


ENTRY = HoursEntrySteps(ASK_CATEGORY, ASK_COURSE, ASK_PROVIDER, ASK_DATE, ASK_HOURS, then=_ask_evidence)
on_year, on_category, on_course, on_provider, on_date, on_hours = ENTRY.steps


async def on_evidence(chat: Chat) -> Reply:
    if chat.incoming.kind == Kind.IMAGE and chat.incoming.media_id:
        media_id = chat.incoming.media_id
    elif chat.incoming.kind == Kind.TEXT and chat.text in SKIP:
        media_id = ""
    else:
        raise Refusal(No.NO_EVIDENCE)
    await chat.goto(on_confirm, evidence_media_id=media_id)
    entry = entry_from(chat.form)
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
        raise Refusal(No.DECLARATION_UNCONFIRMED)
    with refusing(chat.today):  # checked again: the dialog may have waited across midnight or a year's end
        entry = check_entry(entry_from(chat.form), chat.today)
    record = await declare(chat.person, entry, chat.form.evidence_media_id, chat.now)
    await chat.finish()
    return Text(DONE.format(id=record.id))


def _short(text: str, most: int) -> str:
    return text if len(text) <= most else text[: most - 1] + "…"


def _outcome(r: RecordLine) -> str:
    if r.status == RecordStatus.REJECTED:
        return REJECTED.format(reason=_short(r.reject_reason, REASON_CHARS))
    if r.status == RecordStatus.VOIDED:
        return VOIDED.format(reason=_short(r.void_reason, REASON_CHARS))
    if r.source == RecordSource.PAPER:
        return TRANSFERRED.format(paper=r.paper_cert_number)
    if r.source == RecordSource.IMPORTED:
        return IMPORTED
    return APPROVED


def _record_line(template: str, r: RecordLine) -> str:
    return template.format(
        id=r.id,
        year=r.year,
        category=CATEGORY_NAMES[r.category],
        hours=hours_figure(r.hours),
        course=_short(r.course, COURSE_CHARS),
        date=r.decided_at.astimezone(CHINA).date().isoformat() if r.decided_at else "",
        outcome=_outcome(r),
    )


def _fitting(lines: list[str], items: list[str], room: int) -> list[str]:
    """As many of `items` as fit in `room` bytes after `lines`."""
    taken: list[str] = []
    used = len("\n".join(lines).encode())
    for item in items:
        used += len(item.encode()) + 1
        if used > room:
            break
        taken.append(item)
    return taken


async def show_pending(chat: Chat) -> Reply:
    """我的申报: what waits for review, then what was decided, transferred or imported in the last 12 months."""
    own = await own_records(chat.person, chat.now)
    if not own.pending and not own.decided:
        return Text(NOTHING_YET)
    room = REPLY_BYTES - 100  # the lines saying a list was cut
    lines: list[str] = []
    if own.pending:
        lines.append(PENDING_HEADER)
        shown = _fitting(lines, [_record_line(PENDING_LINE, r) for r in own.pending], room // 2)
        lines += shown
        if len(shown) < own.pending_total:
            lines.append(PENDING_CUT.format(shown=len(shown), total=own.pending_total))
        lines.append(PENDING_FOOTER.format(id=own.pending[0].id))
    else:
        lines.append(NONE_PENDING)
    if own.decided:
        lines += ["", DECIDED_HEADER]
        shown = _fitting(lines, [_record_line(DECIDED_LINE, r) for r in own.decided], room)
        lines += shown
        if len(shown) < own.decided_total:
            lines.append(CUT.format(shown=len(shown), total=own.decided_total))
    return Text("\n".join(lines))


async def withdraw_one(chat: Chat) -> Reply:
    record_id = as_number(chat.args)
    if record_id is None:
        raise Refusal(No.WITHDRAW_WITHOUT_ID)
    try:
        await withdraw(chat.person, record_id)
    except RecordNotFound:
        raise Refusal(No.NOT_WITHDRAWABLE, id=record_id) from None
    return Text(WITHDRAWN.format(id=record_id))


# What the admins who may review it are told of a new declaration (bot/wechat/delivery.py sends it).
def submitted(p: dict[str, Any]) -> Notice:
    hours = f"{p['year']} 年{CATEGORY_NAMES[Category(p['category'])]} {hours_figure(p['hours'])} 学时"
    approve, reject = APPROVE.words[0], REJECT.words[0]
    how_to_decide = f"回复“{approve} {p['record_id']}”批准，或“{reject} {p['record_id']} 理由”驳回"
    return Notice(
        f"【待审核】{p['unit']} {p['name']} 申报 {hours}（{p['course']}），编号 {p['record_id']}。\n"
        f"{how_to_decide}；发送“{LIST.words[0]}”查看全部。",
        first="有新的学时申报待审核",
        keywords=(f"{p['name']}（{p['unit']}）", hours, p["course"]),
        remark=f"{how_to_decide}。",
    )


def _question(step: Step, chat: Chat) -> str | None:
    if step is ENTRY.steps[0]:
        return ASK_YEAR.format(year=chat.today.year)
    asked = {on_evidence: ASK_EVIDENCE, on_confirm: say(No.DECLARATION_UNCONFIRMED)}
    return asked.get(step) or ENTRY.question(step, chat)


JOURNEY = Journey(
    name="declare",
    commands=(
        Command(("申报", "学时申报", "申报学时"), "申报继续教育学时，由单位管理员审核", start, menu_key="DECLARE"),
        Command(("我的申报", "申报记录"), "待审核的申报和近一年的审核结果", show_pending, menu_key="MY_DECLARATIONS"),
        Command(("撤回",), "撤回一条待审核的申报，如“撤回 12”", withdraw_one, takes_number=True),
    ),
    steps=(*ENTRY.steps, on_evidence, on_confirm),
    effects=(withdraw_one, on_confirm),
    asks=_question,
    state=DeclareForm,
    guard=Guard.PERSONS,
)
