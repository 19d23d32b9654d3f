"""What a journey answers with: plain values that bot/ turns into WeChat XML."""

from dataclasses import dataclass


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


class Refusal(Exception):
    """An expected refusal with the sentence the user reads; whatever raised it changed nothing."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
