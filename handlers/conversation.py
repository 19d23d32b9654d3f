"""One message through the journeys: find the user's dialog, route, and note an expired dialog."""

from datetime import timedelta

from handlers.chat import Chat, Incoming, JourneyConfig
from handlers.general import EXPIRED
from handlers.replies import Reply, Text
from handlers.router import route
from storage.dialogs import load_dialog


async def converse(incoming: Incoming, config: JourneyConfig) -> Reply:
    idle = timedelta(minutes=config.dialog_idle_minutes)
    loaded = await load_dialog(incoming.openid, incoming.received_at, idle)
    reply = await route(Chat(incoming, loaded.dialog, config))
    if loaded.expired and isinstance(reply, Text):
        return Text(EXPIRED.format(minutes=config.dialog_idle_minutes) + "\n\n" + reply.content)
    return reply
