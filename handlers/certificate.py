"""证书: the e-certificate in the chat — a news message linking to the holder's page (image and PDF).

The snapshot is issued (or the unchanged current one reused) at once; rendering happens when the page
asks for the image, off the event loop and cached, so the reply is never slowed by it.
"""

from datetime import date
from decimal import Decimal
from typing import Any

from handlers.access import Guard
from handlers.chat import CHINA, Chat
from handlers.journeys import Command, Journey
from handlers.links import holder_token, new_snapshot_code
from handlers.refusals import No, Refusal
from handlers.replies import Article, News, Reply
from handlers.urls import Urls
from render import certificate as doc
from storage.certificates import SnapshotRevoked, certificate_facts, issue
from storage.ids import as_number
from storage.models import Category, CertificateSnapshot, RecordSource
from storage.vocabulary import hours_figure

DESCRIPTION = "证书管理号 {number}\n{years}\n点击查看证书，可下载 A4 PDF 打印。链接 {days} 天内有效。"
EXTRACT_DESCRIPTION = (
    "{note}；完整证书请发送“证书”。\n证书管理号 {number}\n{years}\n"
    "点击查看证明，可下载 A4 PDF 打印。链接 {days} 天内有效。"
)

_CATEGORIES = {c.value: doc.Category[c.name] for c in Category}
_SOURCES = {s.value: doc.RecordSource[s.name] for s in RecordSource}


async def show(chat: Chat) -> Reply:
    person = chat.person
    year = None
    if chat.args:
        year = as_number(chat.args, 4)
        if year is None or len(chat.args.strip()) != 4:
            raise Refusal(No.BAD_CERTIFICATE_YEAR)
    facts = await certificate_facts(person, year, chat.today.year)
    if facts is None:
        raise Refusal(No.NO_HOURS_IN_YEAR, year=year) if year else Refusal(No.NO_HOURS)
    secret = chat.config.secret_key
    try:
        snapshot, _ = await issue(person, year, facts, chat.now, lambda: new_snapshot_code(secret))
    except SnapshotRevoked as revoked:
        raise Refusal(No.CERTIFICATE_REVOKED, reason=revoked.reason) from None
    token = holder_token(snapshot.id, secret)
    summary = "；".join(
        f"{y['year']} 年 {hours_figure(sum(Decimal(r['hours']) for r in y['records']))} 学时"
        + ("（已达标）" if y["met"] else "")
        for y in reversed(facts["years"][-3:])
    )
    days = chat.config.holder_link_days
    if year is None:
        title, description = doc.TITLE, DESCRIPTION.format(number=person.cert_number, years=summary, days=days)
    else:
        title = doc.EXTRACT_TITLE.format(year=year)
        note = doc.EXTRACT_NOTE.format(year=year)
        description = EXTRACT_DESCRIPTION.format(note=note, number=person.cert_number, years=summary, days=days)
    urls = chat.config.urls
    return News((Article(title, description, urls.holder_page(token), image=urls.holder_png(token)),))


JOURNEY = Journey(
    name="certificate",
    commands=(
        Command(
            ("证书", "电子证书", "我的证书"),
            "获取电子证书（图片和 A4 PDF）；“证书 2025”给出该年度的学时证明",
            show,
            menu_key="CERT",
            takes_number=True,
        ),
    ),
    guard=Guard.PERSONS,
)


def certificate_document(snapshot: CertificateSnapshot, urls: Urls) -> doc.Certificate:
    """The render data of a snapshot, from the facts stored when it was issued."""
    facts: dict[str, Any] = snapshot.facts
    return doc.Certificate(
        holder_name=facts["name"],
        gender=facts["gender"],
        id_number=facts["id_number"],
        cert_number=facts["cert_number"],
        unit=facts["unit"],
        region=facts["region"],
        years=tuple(
            doc.YearHours(
                year=y["year"],
                records=tuple(
                    doc.HoursRecord(
                        _CATEGORIES[r["category"]],
                        r["course"],
                        r["provider"],
                        Decimal(r["hours"]),
                        _SOURCES[r["source"]],
                    )
                    for r in y["records"]
                ),
                required_total=Decimal(y["required_total"]),
                required_professional=Decimal(y["required_professional"]),
                met=y["met"],
            )
            for y in facts["years"]
        ),
        issuer=snapshot.issuer,
        issued_on=_issue_day(snapshot),
        snapshot=snapshot.code,
        verify_url=urls.verification(snapshot.code),
        extract_year=snapshot.year,
    )


def document_title(snapshot: CertificateSnapshot) -> str:
    return doc.TITLE if snapshot.year is None else doc.EXTRACT_TITLE.format(year=snapshot.year)


def _issue_day(snapshot: CertificateSnapshot) -> date:
    return snapshot.issued_at.astimezone(CHINA).date()
