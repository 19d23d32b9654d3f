"""One message through the journeys: route it, and tell the user when their dialog had expired."""

from dataclasses import replace

from handlers.chat import Chat, Incoming, JourneyConfig
from handlers.general import EXPIRED
from handlers.refusals import No, Refusal
from handlers.replies import Reply, Text
from handlers.router import route
from storage.ids import unmark_numbers
from storage.text import is_safe_text


async def converse(incoming: Incoming, config: JourneyConfig) -> Reply:
    # A number copied from a phone comes wrapped in invisible bidi marks (U+202D … U+202C): they go first.
    incoming = replace(incoming, text=unmark_numbers(incoming.text))
    if not is_safe_text(incoming.text):  # every word typed in the chat passes the one text check first
        raise Refusal(No.UNSAFE_TEXT)
    chat = Chat(incoming, config)
    reply = await route(chat)
    if chat.expired and isinstance(reply, Text):
        return Text(EXPIRED.format(minutes=config.dialog_idle_minutes) + "\n\n" + reply.content)
    return reply
