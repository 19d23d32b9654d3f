"""The router is a table: which words, menu keys and events lead to which journey.

It can print itself as the help text, and the menu config is checked against it in the tests.
"""

from dataclasses import dataclass

from handlers import (
    admin_bind,
    certificate,
    console_link,
    declare,
    general,
    hours,
    register,
    review,
    transfer,
    verify,
)
from handlers.chat import Chat, Kind
from handlers.dialogs import DialogSpec, Journey
from handlers.replies import Refusal, Reply, Text
from storage.admins import admin_by_openid
from storage.ids import normalise


@dataclass(frozen=True)
class Command:
    words: tuple[str, ...]  # the first is the one shown in help
    summary: str
    journey: Journey
    menu_key: str = ""
    for_admins: bool = False  # listed in help for admins only (the journey itself checks the right)


async def _help(chat: Chat) -> Reply:
    text = general.help_text(help_lines(admin=await admin_by_openid(chat.openid) is not None))
    return Text(f"{general.IN_DIALOG}\n\n{text}" if await chat.load_dialog() else text)


async def _welcome(chat: Chat) -> Reply:
    return Text(general.WELCOME + general.help_text(help_lines()))


COMMANDS: tuple[Command, ...] = (
    Command(("注册", "注册登记", "登记", "绑定"), "注册并获取证书管理号", register.start, "REGISTER"),
    Command(("学时", "查询学时", "学时查询", "查学时", "查询"), "查询各年度学时及达标情况", hours.show, "HOURS"),
    Command(("申报", "学时申报", "申报学时"), "申报继续教育学时，由单位管理员审核", declare.start, "DECLARE"),
    Command(("我的申报", "申报记录"), "查看待审核的申报", declare.show_pending, "MY_DECLARATIONS"),
    Command(("撤回",), "撤回一条待审核的申报，如“撤回 12”", declare.withdraw_one),
    Command(
        ("证书", "电子证书", "我的证书"), "获取电子证书（图片和 A4 PDF）；“证书 2025”只看一年", certificate.show, "CERT"
    ),
    Command(("验证", "查验", "核验"), "验证证书真伪，如“验证 4101002026000001”", verify.verify_in_chat, "VERIFY"),
    Command(("帮助", "help", "?", "菜单", "功能"), "查看本说明", _help, "HELP"),
    Command(("取消", "退出", "cancel"), "退出正在办理的事项", general.cancel),
    Command(("绑定管理员",), "管理员用邀请码绑定，如“绑定管理员 7KQ2M9XD”", admin_bind.start),
    Command(("待审", "待审核"), "查看管理范围内待审核的申报", review.list_pending, "REVIEW", for_admins=True),
    Command(("通过", "批准"), "批准申报，如“通过 12 13”", review.approve, for_admins=True),
    Command(("驳回",), "驳回申报并说明理由，如“驳回 12 证明不清晰”", review.reject, for_admins=True),
    Command(("转登", "学时转登"), "将纸质证书上的学时转登到电子证书", transfer.start, "TRANSFER", for_admins=True),
    Command(
        ("后台", "管理后台"),
        "获取管理后台的登录链接（批量查询、统计、备案等）",
        console_link.sign_in_link,
        "CONSOLE",
        for_admins=True,
    ),
)

DIALOGS: dict[str, DialogSpec] = {
    spec.name: spec for spec in (register.DIALOG, declare.DIALOG, transfer.DIALOG, admin_bind.DIALOG, verify.DIALOG)
}

_BY_WORD = {normalise(word): command for command in COMMANDS for word in command.words}
_BY_MENU_KEY = {command.menu_key: command for command in COMMANDS if command.menu_key}


def help_lines(admin: bool = False) -> list[tuple[str, str]]:
    return [(command.words[0], command.summary) for command in COMMANDS if admin or not command.for_admins]


def menu_keys() -> set[str]:
    return set(_BY_MENU_KEY)


def command_for(text: str) -> tuple[Command, str] | None:
    """The command a text starts with, and what follows it: "通过 12 13" → (通过, "12 13")."""
    whole = normalise(text).rstrip("。.!！")
    if whole in _BY_WORD:
        return _BY_WORD[whole], ""
    first, _, rest = text.strip().partition(" ")
    command = _BY_WORD.get(normalise(first))
    return (command, rest.strip()) if command else None


async def route(chat: Chat) -> Reply:
    """Pick the journey for this message. Commands and menu keys win over an open dialog, so a
    user can always ask for help or cancel; anything else continues the dialog, or gets help."""
    incoming = chat.incoming
    if incoming.kind == Kind.TEXT and (found := command_for(incoming.text)):
        command, chat.args = found
        return await command.journey(chat)
    if incoming.kind == Kind.CLICK:
        command = _BY_MENU_KEY.get(incoming.key)
        return await (command.journey if command else _help)(chat)
    if incoming.kind in (Kind.SUBSCRIBE, Kind.SCAN) and incoming.key.startswith(admin_bind.SCENE_PREFIX):
        return await admin_bind.scanned(chat)
    if incoming.kind == Kind.SUBSCRIBE:
        return await _welcome(chat)
    if incoming.kind == Kind.UNSUBSCRIBE:
        return await general.unsubscribed(chat)
    if incoming.kind == Kind.EVENT:
        return None
    if (dialog := await chat.load_dialog()) is not None:
        spec = DIALOGS.get(dialog.name)
        step = spec.steps.get(dialog.step) if spec else None
        if step is not None:
            return await step(chat)
        await chat.finish()  # a dialog this version no longer knows: start afresh
    if incoming.kind == Kind.TEXT:
        said = incoming.text.strip()[:20]
        return Text(general.NOT_UNDERSTOOD.format(text=said) + "\n\n" + general.help_text(help_lines()))
    if incoming.kind == Kind.SCAN:
        return await _help(chat)
    raise Refusal(general.UNSUPPORTED)
