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
