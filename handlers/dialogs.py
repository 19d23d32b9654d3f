"""A multi-step dialog: named steps, each a function of the chat. State is persisted by Chat."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from handlers.chat import Chat
from handlers.replies import Reply

Journey = Callable[[Chat], Awaitable[Reply]]


@dataclass(frozen=True)
class DialogSpec:
    name: str
    steps: dict[str, Journey]
