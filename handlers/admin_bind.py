"""绑定管理员: redeem a one-time invite code (typed, or scanned from its QR) and file the fields of the
notice's attachment 3 (管理员信息备案表). The unit's name, industry and code come from the unit itself."""

import re
from dataclasses import dataclass, field

from handlers.chat import Chat, Kind, Step
from handlers.journeys import Command, Event, Journey
from handlers.refusals import No, Refusal, say
from handlers.register import HAN
from handlers.replies import Reply, Text
from storage.admins import admin_by_openid, redeem_invite, usable_invite
from storage.errors import AlreadyAdmin, InviteUnusable
from storage.models import Admin, AdminInvite, AdminRole
from storage.vocabulary import FILING_LABELS, PROVINCE_NAME, ROLE_NAMES

SCENE_PREFIX = "admin:"  # the scene of an invite's QR code: admin:<code>

INVITE_PROBLEMS = {"unknown": No.INVITE_UNKNOWN, "used": No.INVITE_USED, "expired": No.INVITE_EXPIRED}
INTRO = "邀请码有效：{role}（{scope}）。\n请填写《管理员信息备案表》（共 9 项，发送“取消”可退出）。\n\n"
NO_VALUE = {"无", "没有", "-", "—"}

# (field, question, pattern the answer must match, what to say when it does not, may be left empty);
# the console's filing form checks the same table.
FIELDS = (
    ("name", "1/9 管理员姓名？", rf"^[{HAN}·]{{2,20}}$", "姓名应为 2–20 个汉字。", False),
    ("gender", "2/9 性别？回复“男”或“女”。", r"^[男女]$", "请回复“男”或“女”。", False),
    ("department", "3/9 工作部门？", r"^.{2,50}$", "请填写 2–50 个字。", False),
    ("post", "4/9 职务？", r"^.{2,30}$", "请填写 2–30 个字。", False),
    ("phone", "5/9 联系电话？", r"^[0-9\-+ ]{7,20}$", "请填写有效的电话号码，如 0371-12345678 或手机号。", False),
    ("fax", "6/9 传真？没有请回复“无”。", r"^[0-9\-+ ]{7,20}$", "请填写有效的传真号码，或回复“无”。", True),
    (
        "email",
        "7/9 电子信箱？",
        r"^(?=.{6,100}$)[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$",  # the column holds 100
        "请填写有效的电子信箱，如 name@example.com。",
        False,
    ),
    ("postcode", "8/9 邮编？", r"^\d{6}$", "邮编应为 6 位数字。", False),
    ("address", "9/9 邮寄地址？", r"^.{5,100}$", "请填写 5–100 个字的邮寄地址。", False),
)
CONFIRM = "请核对备案信息：\n{summary}\n\n回复“确认”完成绑定；回复“取消”放弃。"
DONE = "绑定成功！您已是{role}（{scope}）。\n发送“待审”查看待审核的申报，“转登”转登纸质证书学时，“帮助”查看全部功能。"
YES = {"确认", "确定", "是", "1"}


@dataclass(frozen=True)
class AdminBindForm:
    code: str = ""
    filing: dict[str, str] = field(default_factory=dict)  # the fields answered so far


def _scope_name(holder: AdminInvite | Admin) -> str:
    if holder.role == AdminRole.UNIT and holder.unit:
        return holder.unit.name
    if holder.role == AdminRole.REGION and holder.region:
        return holder.region.name
    return PROVINCE_NAME


async def _start_with(chat: Chat, code: str) -> Reply:
    if not code:
        raise Refusal(No.INVITE_CODE_MISSING)
    if await admin_by_openid(chat.openid) is not None:
        raise Refusal(No.ALREADY_ADMIN)
    limiter, key = chat.config.invite_limiter, f"openid:{chat.openid}"
    if limiter is not None and await limiter.exhausted(key):  # even a right code: the guessing stops here
        raise Refusal(No.TOO_MANY_INVITE_TRIES)
    try:
        invite = await usable_invite(code, chat.now)
    except InviteUnusable as unusable:
        if limiter is not None:
            await limiter.allow(key)  # each refused code counts
        raise Refusal(INVITE_PROBLEMS[unusable.why]) from None
    await chat.goto(on_first_field, code=invite.code, filing={})
    return Text(INTRO.format(role=ROLE_NAMES[invite.role], scope=_scope_name(invite)) + FIELDS[0][1])


async def start(chat: Chat) -> Reply:
    return await _start_with(chat, chat.args.strip().upper())


async def scanned(chat: Chat) -> Reply:
    """A SCAN (or subscribe-by-scan) of an invite's QR code."""
    return await _start_with(chat, chat.incoming.key.removeprefix(SCENE_PREFIX).upper())


def _field_step(index: int) -> Step:
    field, _question, pattern, problem, optional = FIELDS[index]

    async def step(chat: Chat) -> Reply:
        answer = " ".join(chat.typed().split())
        if optional and answer in NO_VALUE:
            answer = ""
        elif not re.match(pattern, answer):
            raise Refusal(No.FILING_FIELD, problem=problem)
        filing = chat.form.filing | {field: answer}
        await chat.goto_next(filing=filing)
        if index + 1 < len(FIELDS):
            return Text(FIELDS[index + 1][1])
        summary = "\n".join(f"{FILING_LABELS[k]}：{filing[k] or '无'}" for k, *_ in FIELDS)
        return Text(CONFIRM.format(summary=summary))

    step.__name__ = step.__qualname__ = f"on_{field}"  # the step stored in the dialog row is the field's name
    return step


FIELD_STEPS = tuple(_field_step(i) for i in range(len(FIELDS)))
on_first_field = FIELD_STEPS[0]


async def on_confirm(chat: Chat) -> Reply:
    if chat.text not in YES:
        raise Refusal(No.FILING_UNCONFIRMED)
    try:
        admin = await redeem_invite(chat.form.code, chat.openid, chat.form.filing, chat.now)
    except InviteUnusable as unusable:
        await chat.finish()
        raise Refusal(INVITE_PROBLEMS[unusable.why]) from None
    except AlreadyAdmin:
        await chat.finish()
        raise Refusal(No.ALREADY_ADMIN) from None
    await chat.finish()
    return Text(DONE.format(role=ROLE_NAMES[admin.role], scope=_scope_name(admin)))


def _question(step: Step, chat: Chat) -> str | None:
    if step is on_confirm:
        return say(No.FILING_UNCONFIRMED)
    return FIELDS[FIELD_STEPS.index(step)][1] if step in FIELD_STEPS else None


JOURNEY = Journey(
    name="admin_bind",
    commands=(Command(("绑定管理员",), "管理员用邀请码绑定，如“绑定管理员 7KQ2M9XD”", start),),
    events=(Event((Kind.SUBSCRIBE, Kind.SCAN), scanned, key_prefix=SCENE_PREFIX),),
    steps=(*FIELD_STEPS, on_confirm),
    effects=(on_confirm,),
    asks=_question,
    state=AdminBindForm,
)
