"""What a journey tells someone outside the conversation (a decision, a transfer, a filing to act on), in both
forms bot/wechat/delivery.py may send: WeChat's template message, where one is configured, and the
customer-service text it falls back to.

Each journey words its own notices beside its commands, one function a kind, from the outbox row's payload to a
`Notice`; the text and the template fields are built together so that what they share is worked out once.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Notice:
    text: str
    # The template message's fields: a heading, three keywords, a closing line.
    first: str
    keywords: tuple[str, str, str]
    remark: str

    @property
    def template(self) -> dict[str, str]:
        keywords = {f"keyword{number}": value for number, value in enumerate(self.keywords, 1)}
        return {"first": self.first, **keywords, "remark": self.remark}
