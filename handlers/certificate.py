"""证书: the e-certificate in the chat — a news message linking to the holder's page (image and PDF).

The snapshot is issued (or the unchanged current one reused) at once; rendering happens when the page
asks for the image, off the event loop and cached, so the reply is never slowed by it.
"""

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from handlers.access import Guard
from handlers.chat import CHINA, Chat
from handlers.journeys import Command, Journey
from handlers.links import holder_token, new_snapshot_code
from handlers.qr_token import DIGEST_BYTES, Claims, SigningKey, sign_token
from handlers.refusals import No, Refusal
from handlers.replies import Article, News, Reply
from handlers.urls import Urls
from render import certificate as doc
from render.cache import default_cache, render_in_thread
from render.pdf import Engine, certificate_pdf
from render.signing import PdfSigner, sign_pdf
from storage.certificates import (
    SnapshotRevoked,
    certificate_facts,
    facts_summary,
    issue,
    store_signed_pdf,
    stored_signed_pdf,
)
from storage.ids import as_number, mask_id_number, mask_name
from storage.models import Category, CertificateSnapshot, RecordSource
from storage.regions import PROVINCE_CODE
from storage.summary import YearSummary
from storage.vocabulary import hours_figure

DESCRIPTION = "证书管理号 {number}\n{years}\n点击查看证书，可下载 A4 PDF 打印。链接 {days} 天内有效。"
EXTRACT_DESCRIPTION = (
    "{note}；完整证书请发送“证书”。\n证书管理号 {number}\n{years}\n"
    "点击查看证明，可下载 A4 PDF 打印。链接 {days} 天内有效。"
)


def year_line(year: YearSummary) -> str:
    """A year in the news message: the hours, what counts where that differs, and the verdict."""
    counted = f"，计入 {hours_figure(year.counted)}" if year.capped else ""
    return f"{year.year} 年 {hours_figure(year.total)} 学时{counted}" + ("（已达标）" if year.met else "")


_CATEGORIES = {c.value: doc.Category[c.name] for c in Category}
_SOURCES = {s.value: doc.RecordSource[s.name] for s in RecordSource}


async def show(chat: Chat) -> Reply:
    person = chat.person
    year = None
    if chat.args:
        year = as_number(chat.args, 4)
        if year is None or len(chat.args.strip()) != 4:
            raise Refusal(No.BAD_CERTIFICATE_YEAR)
    facts = await certificate_facts(person, year)
    if facts is None:
        raise Refusal(No.NO_HOURS_IN_YEAR, year=year) if year else Refusal(No.NO_HOURS)
    secret = chat.config.secret_key
    try:
        snapshot, _ = await issue(person, year, facts, chat.now, lambda: new_snapshot_code(secret))
    except SnapshotRevoked as revoked:
        raise Refusal(No.CERTIFICATE_REVOKED, reason=revoked.reason) from None
    token = holder_token(snapshot.id, secret)
    summary = "；".join(year_line(facts_summary(y)) for y in reversed(facts["years"][-3:]))
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


def certificate_document(snapshot: CertificateSnapshot, urls: Urls, qr_key: SigningKey) -> doc.Certificate:
    """The render data of a snapshot, from the facts stored when it was issued; its QR link carries a token
    signed with `qr_key` (Ed25519 signatures are deterministic, so the image stays the same bytes)."""
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
            )
            for y in facts["years"]
        ),
        issuer=snapshot.issuer,
        issued_on=_issue_day(snapshot),
        snapshot=snapshot.code,
        verify_url=urls.verification(sign_token(qr_claims(snapshot), qr_key)),
        extract_year=snapshot.year,
    )


def document_title(snapshot: CertificateSnapshot) -> str:
    return doc.TITLE if snapshot.year is None else doc.EXTRACT_TITLE.format(year=snapshot.year)


def qr_claims(snapshot: CertificateSnapshot) -> Claims:
    """What the QR token proves of a snapshot: the facts as the verification page shows them."""
    facts: dict[str, Any] = snapshot.facts
    return Claims(
        cert_number=facts["cert_number"],
        name=mask_name(facts["name"]),
        id_number=mask_id_number(facts["id_number"]),
        issuer_region=facts.get("seal_region") or PROVINCE_CODE,
        issued_on=_issue_day(snapshot),
        snapshot=snapshot.code,
        digest=bytes.fromhex(snapshot.content_hash)[:DIGEST_BYTES],
    )


async def signed_certificate_pdf(
    snapshot: CertificateSnapshot, urls: Urls, qr_key: SigningKey, signer: PdfSigner, engine: Engine
) -> bytes:
    """The snapshot's signed PDF: from memory, else as stored, else rendered, signed and stored once.

    Signed bytes differ on every signing, so every worker serves the stored ones, never its own.
    """
    kind = f"signed-pdf:{engine}"
    cached = default_cache.get(kind, snapshot.code)
    if cached is not None:
        return cached
    pdf = await stored_signed_pdf(snapshot.id, engine)
    if pdf is None:
        document = certificate_document(snapshot, urls, qr_key)
        signed = await render_in_thread(lambda data: sign_pdf(certificate_pdf(data, engine), signer), document)
        pdf = await store_signed_pdf(snapshot.id, engine, signer.fingerprint, signed, datetime.now(UTC))
    default_cache.put(kind, snapshot.code, pdf)
    return pdf


def _issue_day(snapshot: CertificateSnapshot) -> date:
    return snapshot.issued_at.astimezone(CHINA).date()
