"""The router is a table: which words, menu keys and events lead to which journey.

It can print itself as the help text, and the menu config is checked against it in the tests.
"""

from dataclasses import dataclass

from handlers import general, hours, register
from handlers.chat import Chat, Kind
from handlers.dialogs import DialogSpec, Journey
from handlers.replies import Refusal, Reply, Text
from storage.ids import normalise


@dataclass(frozen=True)
class Command:
    words: tuple[str, ...]  # the first is the one shown in help
    summary: str
    journey: Journey
    menu_key: str = ""


async def _help(chat: Chat) -> Reply:
    text = general.help_text(help_lines())
    return Text(f"{general.IN_DIALOG}\n\n{text}" if chat.dialog else text)


async def _welcome(chat: Chat) -> Reply:
    return Text(general.WELCOME + general.help_text(help_lines()))


COMMANDS: tuple[Command, ...] = (
    Command(("注册", "注册登记", "登记", "绑定"), "注册并获取证书管理号", register.start, "REGISTER"),
    Command(
        ("学时", "查询学时", "学时查询", "查学时", "查询"), "查询各年度学时及达标情况", hours.show, "HOURS"
    ),
    Command(("帮助", "help", "?", "菜单", "功能"), "查看本说明", _help, "HELP"),
    Command(("取消", "退出", "cancel"), "退出正在办理的事项", general.cancel),
)

DIALOGS: dict[str, DialogSpec] = {spec.name: spec for spec in (register.DIALOG,)}

_BY_WORD = {normalise(word): command for command in COMMANDS for word in command.words}
_BY_MENU_KEY = {command.menu_key: command for command in COMMANDS if command.menu_key}


def help_lines() -> list[tuple[str, str]]:
    return [(command.words[0], command.summary) for command in COMMANDS]


def menu_keys() -> set[str]:
    return set(_BY_MENU_KEY)


def command_for(text: str) -> Command | None:
    return _BY_WORD.get(normalise(text).rstrip("。.!！"))


async def route(chat: Chat) -> Reply:
    """Pick the journey for this message. Commands and menu keys win over an open dialog, so a
    user can always ask for help or cancel; anything else continues the dialog, or gets help."""
    incoming = chat.incoming
    if incoming.kind == Kind.TEXT and (command := command_for(incoming.text)):
        return await command.journey(chat)
    if incoming.kind == Kind.CLICK:
        command = _BY_MENU_KEY.get(incoming.key)
        return await (command.journey if command else _help)(chat)
    if incoming.kind == Kind.SUBSCRIBE:
        return await _welcome(chat)
    if incoming.kind == Kind.UNSUBSCRIBE:
        return await general.unsubscribed(chat)
    if incoming.kind == Kind.EVENT:
        return None
    if chat.dialog is not None:
        spec = DIALOGS.get(chat.dialog.name)
        step = spec.steps.get(chat.dialog.step) if spec else None
        if step is not None:
            return await step(chat)
        await chat.finish()  # a dialog this version no longer knows: start afresh
    if incoming.kind == Kind.TEXT:
        said = incoming.text.strip()[:20]
        return Text(general.NOT_UNDERSTOOD.format(text=said) + "\n\n" + general.help_text(help_lines()))
    if incoming.kind == Kind.SCAN:
        return await _help(chat)
    raise Refusal(general.UNSUPPORTED)
