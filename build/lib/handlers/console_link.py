"""后台: an admin gets a one-time link that signs them in to the console (no passwords)."""

from datetime import timedelta

from handlers.access import Guard
from handlers.chat import Chat
from handlers.journeys import Command, Journey
from handlers.replies import Reply, Text
from storage.console_links import create_console_link

LINK = "管理后台登录链接（{minutes} 分钟内有效，仅可使用一次，请勿转发）：\n{url}"


async def sign_in_link(chat: Chat) -> Reply:
    minutes = chat.config.console_link_minutes
    token = await create_console_link(chat.admin, chat.now, timedelta(minutes=minutes))
    return Text(LINK.format(minutes=minutes, url=chat.config.urls.console_sign_in(token)))


JOURNEY = Journey(
    name="console_link",
    commands=(
        Command(
            ("后台", "管理后台"), "获取管理后台的登录链接（批量查询、统计、备案等）", sign_in_link, menu_key="CONSOLE"
        ),
    ),
    guard=Guard.ADMINS,
)
