"""What the account says outside any journey: welcome, help, cancel, and what it cannot do."""

from handlers.chat import Chat, Kind
from handlers.journeys import Command, Event, Journey
from handlers.replies import Reply, Text
from storage.admins import admin_by_openid

WELCOME = "欢迎关注河南省专业技术人员继续教育电子证书服务号！\n\n"
HELP_HEADER = "本服务号可以办理（发送下列文字，或点击底部菜单）："
HELP_FOOTER = "多步办理中，任何时候发送“取消”可退出。"
IN_DIALOG = "您正在办理中，可以直接回复上一步的提示继续。"
CONTINUE = "您正在办理中，请继续回答（发送“取消”可退出）："
NOT_UNDERSTOOD = "抱歉，没有理解“{text}”。"
CANCELLED = "已取消，刚才填写的内容没有保存。"
NOTHING_TO_CANCEL = "当前没有正在办理的事项。"
EXPIRED = "您上次的办理超过 {minutes} 分钟没有继续，已自动结束，请重新开始。"
RESET = "您上次的办理因服务更新已无法继续，已自动结束，请重新开始。"


def help_text(commands: list[tuple[str, str]]) -> str:
    """`commands` is (the words to send, what they do), as the router lists them."""
    lines = [HELP_HEADER] + [f"· {words}：{summary}" for words, summary in commands] + [HELP_FOOTER]
    return "\n".join(lines)


async def show_help(chat: Chat) -> Reply:
    text = help_text(chat.help_lines(await admin_by_openid(chat.openid) is not None))
    if await chat.load_dialog() is None:
        return Text(text)
    question = await chat.pending_question(chat) if chat.pending_question else None
    return Text(f"{text}\n\n{CONTINUE}\n{question}" if question else f"{IN_DIALOG}\n\n{text}")


async def welcome(chat: Chat) -> Reply:
    return Text(WELCOME + help_text(chat.help_lines(False)))


async def cancel(chat: Chat) -> Reply:
    if await chat.load_dialog() is None:
        return Text(NOTHING_TO_CANCEL)
    await chat.finish()
    return Text(CANCELLED)


async def unsubscribed(chat: Chat) -> Reply:
    # The user can no longer read replies; drop any half-finished dialog, keep their registration.
    if await chat.load_dialog() is not None:
        await chat.finish()
    return None


async def nothing(chat: Chat) -> Reply:
    """Menu links, location reports, delivery receipts: nothing to say."""
    return None


JOURNEY = Journey(
    name="general",
    commands=(
        Command(("帮助", "help", "?", "菜单", "功能"), "查看本说明", show_help, menu_key="HELP"),
        Command(("取消", "退出", "cancel"), "退出正在办理的事项", cancel),
    ),
    events=(
        Event((Kind.SUBSCRIBE,), welcome),
        Event((Kind.UNSUBSCRIBE,), unsubscribed),
        Event((Kind.EVENT,), nothing),
    ),
)
