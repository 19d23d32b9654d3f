"""One message through the journeys: find the user's dialog, route, and note an expired dialog."""

from datetime import timedelta

from handlers.chat import Chat, Incoming
from handlers.general import EXPIRED
from handlers.replies import Reply, Text
from handlers.router import route
from storage.dialogs import load_dialog


async def converse(incoming: Incoming, dialog_idle_minutes: int) -> Reply:
    loaded = await load_dialog(incoming.openid, incoming.received_at, timedelta(minutes=dialog_idle_minutes))
    reply = await route(Chat(incoming, loaded.dialog))
    if loaded.expired and isinstance(reply, Text):
        return Text(EXPIRED.format(minutes=dialog_idle_minutes) + "\n\n" + reply.content)
    return reply
