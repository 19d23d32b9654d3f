"""One message through the journeys: route it, and tell the user when their dialog had expired."""

from handlers.chat import Chat, Incoming, JourneyConfig
from handlers.general import EXPIRED
from handlers.replies import Reply, Text
from handlers.router import route


async def converse(incoming: Incoming, config: JourneyConfig) -> Reply:
    chat = Chat(incoming, config)
    reply = await route(chat)
    if chat.expired and isinstance(reply, Text):
        return Text(EXPIRED.format(minutes=config.dialog_idle_minutes) + "\n\n" + reply.content)
    return reply
