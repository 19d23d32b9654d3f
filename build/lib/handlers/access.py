"""Who may use a journey: anyone, a registered person, or an admin. The router applies the journey's guard
before each of its commands, events and dialog steps, so a right withdrawn mid-dialog stops the next step."""

from enum import StrEnum
from typing import TYPE_CHECKING

from handlers.refusals import No, Refusal
from storage.admins import admin_by_openid
from storage.people import person_by_openid

if TYPE_CHECKING:
    from handlers.chat import Chat


class Guard(StrEnum):
    ANYONE = "anyone"
    PERSONS = "persons"  # registered people; the journey finds the person on chat.person
    ADMINS = "admins"  # admins; the journey finds the admin on chat.admin


async def let_in(chat: "Chat", guard: Guard) -> None:
    """Refuse whoever the guard keeps out, and put the person or admin it lets in on the chat."""
    if guard == Guard.PERSONS:
        chat.person = await person_by_openid(chat.openid)
        if chat.person is None:
            raise Refusal(No.NOT_REGISTERED)
    elif guard == Guard.ADMINS:
        chat.admin = await admin_by_openid(chat.openid)
        if chat.admin is None:
            raise Refusal(No.ADMINS_ONLY)
