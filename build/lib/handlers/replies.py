"""What a journey answers with: plain values that bot/ turns into WeChat XML."""

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Text:
    content: str


@dataclass(frozen=True)
class Article:
    title: str
    description: str
    url: str
    image: str = ""


@dataclass(frozen=True)
class News:
    articles: tuple[Article, ...]


# None: nothing to say (WeChat is answered with "success").
Reply = Text | News | None


def stored(reply: Reply) -> dict[str, Any]:
    """A reply as JSON, to be given again to a retry of its message."""
    if isinstance(reply, Text):
        return {"text": reply.content}
    if isinstance(reply, News):
        return {"news": [asdict(article) for article in reply.articles]}
    return {}


def restored(data: dict[str, Any]) -> Reply:
    if "text" in data:
        return Text(data["text"])
    if "news" in data:
        return News(tuple(Article(**article) for article in data["news"]))
    return None
