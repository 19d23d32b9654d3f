"""Verification: whether a certificate is genuine and current, with masked personal data.

The page behind the QR code (/v/<code>), which the holder chose to share, shows the certificate's view (a
one-year extract says it is one); the chat's `验证 <证书管理号>` and `验证 <身份证号> <姓名>`, and the public page
at the root that asks the same, tell anyone who asks only the minimum, about the current full certificate
(`look_up`).
"""

import functools
import re
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from handlers.certificate import qr_claims
from handlers.chat import CHINA, Chat
from handlers.journeys import Command, Journey
from handlers.links import is_signed_code
from handlers.qr_token import Claims, PublicKey, TokenInvalid, read_token
from handlers.ratelimit import VerifyLimits
from handlers.refusals import No, Refusal
from handlers.replies import Reply, Text
from storage.certificates import current_certificate, facts_summary, has_full_certificate, newest_of, snapshot_by_code
from storage.corrections import Change, changes_since
from storage.declarations import find_person
from storage.ids import mask_cert_number, mask_id_number, mask_name, normalise
from storage.models import CertificateSnapshot, CorrectionKind, Person
from storage.summary import YearSummary, cap_notes
from storage.vocabulary import hours_figure

# The chat's minimum about a certificate whose records were voided or corrected after it was issued.
CHANGED_SINCE = "签发后有学时记录被作废或更正，以持证人重新获取的证书为准"


class Status(StrEnum):
    VALID = "有效"
    SUPERSEDED = "已更新"
    REVOKED = "已撤销"
    INVALID = "无效"


@dataclass(frozen=True)
class YearLine:
    """A year as the verification page prints it, from the summary every surface shows."""

    year: int
    total: str
    professional: str
    public: str
    counted: str
    capped: bool  # raw total and counted total differ
    required_total: int
    met: bool
    summary: YearSummary


@dataclass(frozen=True)
class Verification:
    status: Status
    code: str = ""
    cert_number: str = ""
    name: str = ""  # masked
    id_number: str = ""  # masked
    unit: str = ""
    region: str = ""
    years: tuple[YearLine, ...] = ()
    issuer: str = ""
    issued_at: str = ""
    revoke_reason: str = ""
    newer_code: str = ""  # for a superseded certificate: the one in force
    newer_years: tuple[YearLine, ...] = field(default=())
    extract_year: int | None = None  # a one-year extract (年度学时证明), which is never the current certificate
    # Records it shows that were voided or corrected since it was issued, one sentence each: the certificate is
    # then 已更新 even before a newer one is issued.
    corrections: tuple[str, ...] = ()

    @property
    def cap_note(self) -> str:
        return cap_notes(y.summary for y in self.years)


def change_words(change: Change) -> str:
    """ "2024 年《课程》24 学时已于 2026-12-02 作废：理由"."""
    what = f"{change.year} 年《{change.course}》{hours_figure(change.hours)} 学时"
    day = change.at.astimezone(CHINA).date().isoformat()
    if change.kind == CorrectionKind.VOID:
        return f"{what}已于 {day} 作废：{change.reason}"
    course = f"《{change.new_course}》" if change.new_course != change.course else ""
    return f"{what}已于 {day} 更正为{course} {hours_figure(change.new_hours)} 学时：{change.reason}"


def year_lines(facts: dict[str, Any]) -> tuple[YearLine, ...]:
    return tuple(_year_line(facts_summary(y)) for y in facts["years"])


def _year_line(year: YearSummary) -> YearLine:
    return YearLine(
        year=year.year,
        total=hours_figure(year.total),
        professional=hours_figure(year.professional),
        public=hours_figure(year.public),
        counted=hours_figure(year.counted),
        capped=year.capped,
        required_total=year.policy.total_hours,
        met=year.met,
        summary=year,
    )


async def _view(snapshot: CertificateSnapshot) -> Verification:
    facts = snapshot.facts
    status, newer = Status.VALID, None
    if snapshot.revoked_at is not None:
        status = Status.REVOKED
    elif snapshot.superseded_by_id is not None:
        status, newer = Status.SUPERSEDED, await newest_of(snapshot)
    corrections = tuple(change_words(c) for c in await changes_since(snapshot.record_ids, snapshot.issued_at))
    if corrections and status == Status.VALID:
        status = Status.SUPERSEDED
    return Verification(
        status=status,
        code=snapshot.code,
        cert_number=facts["cert_number"],
        name=mask_name(facts["name"]),
        id_number=mask_id_number(facts["id_number"]),
        unit=facts["unit"],
        region=facts["region"],
        years=year_lines(facts),
        issuer=snapshot.issuer,
        issued_at=snapshot.issued_at.astimezone(CHINA).strftime("%Y-%m-%d %H:%M"),
        revoke_reason=snapshot.revoke_reason,
        newer_code=newer.code if newer else "",
        newer_years=year_lines(newer.facts) if newer else (),
        extract_year=snapshot.year,
        corrections=corrections,
    )


async def verify_code(code: str, secret: str) -> Verification:
    """A forged or mistyped code reveals nothing: it is refused before the database is asked."""
    if not is_signed_code(code, secret):
        return Verification(Status.INVALID)
    snapshot = await snapshot_by_code(code)
    return await _view(snapshot) if snapshot else Verification(Status.INVALID)


@dataclass(frozen=True)
class QrCheck:
    """What a QR code's token proves on its own, and where the platform's records disagree with it."""

    genuine: bool  # its signature verifies with a published key
    kid: str = ""
    test_key: bool = False
    retired_key: bool = False
    claims: Claims | None = None
    disagreements: tuple[str, ...] = ()


NOT_ON_RECORD = "二维码签名有效，但平台上没有这份证书（核验码 {code}）的记录：请向签发机关核实。"
DIGEST_DIFFERS = "二维码中的证书内容摘要与平台记录不一致：证书内容可能被改动过。"
FIELD_DIFFERS = "二维码中的{label}（{token}）与平台记录（{record}）不一致。"
REVOKED_SINCE = "二维码签名有效，但平台记录显示该证书已被撤销。"
_COMPARED = (
    ("证书管理号", "cert_number"),
    ("姓名", "name"),
    ("身份证号", "id_number"),
    ("签发机关", "issuer_region"),
    ("签发日期", "issued_on"),
)


async def verify_token(token: str, keys: dict[str, PublicKey]) -> tuple[Verification, QrCheck]:
    """The token's signature first (a forgery reveals nothing), then the platform's record of its snapshot."""
    try:
        claims, key = read_token(token, keys)
    except TokenInvalid:
        return Verification(Status.INVALID), QrCheck(genuine=False)
    check = functools.partial(QrCheck, True, key.kid, key.is_test, key.retired, claims)
    snapshot = await snapshot_by_code(claims.snapshot)
    if snapshot is None:
        return Verification(Status.INVALID), check((NOT_ON_RECORD.format(code=claims.snapshot),))
    recorded = qr_claims(snapshot)
    disagreements = [
        FIELD_DIFFERS.format(label=label, token=getattr(claims, name), record=getattr(recorded, name))
        for label, name in _COMPARED
        if getattr(claims, name) != getattr(recorded, name)
    ]
    if claims.digest != recorded.digest:
        disagreements.append(DIGEST_DIFFERS)
    if snapshot.revoked_at is not None:
        disagreements.append(REVOKED_SINCE)
    return await _view(snapshot), check(tuple(disagreements))


# What the chat tells anyone who asks, by law no more than a verifier needs (PIPL, minimum necessary): by
# certificate management number, the status, the holder masked and the issuing body; by ID number (with the
# name, as the national checks ask), the status and the holder masked. Never the unit or the hours: those
# are on the certificate's own QR page, which the holder chose to share.
BY_NUMBER = "证书验证结果：{status}\n证书管理号：{number}\n姓名：{name}\n身份证号：{id_number}\n签发：{issuer}"
BY_ID_NUMBER = "证书验证结果：{status}\n姓名：{name}\n身份证号：{id_number}"
NO_CERTIFICATE = "尚未生成电子证书"
ASK_FOR_NUMBER = (
    "请发送要验证的证书管理号（16 位）；按身份证号验证，请发送身份证号和姓名，如“41010519900307123X 张三”。"
    "发送“取消”可退出。"
)
# A number and, for an ID number, the name, in either order, spaces optional (normalised first).
_ASKED = re.compile(r"(?P<before>\D*?)(?P<number>\d{17}[\dX]|\d{16})(?P<after>\D*)")


@dataclass(frozen=True)
class Asked:
    number: str  # normalised; for a message that holds no number, what it holds instead (for its limit)
    name: str = ""
    kind: str = ""  # "cert", "id", or "" for a message that holds no number


def read_asked(text: str) -> Asked:
    """`4101002026000001`, `41010519900307123X 张三`, `张三　41010519900307123X`, full-width or not."""
    typed = normalise(text)
    found = _ASKED.fullmatch(typed)
    if found is None:
        return Asked(typed[:40])
    number = found["number"]
    return Asked(number, found["before"] + found["after"], "cert" if len(number) == 16 else "id")


async def verify_in_chat(chat: Chat) -> Reply:
    """验证 <number>; without a number (the menu's VERIFY), ask for one and take the next message."""
    if not chat.args.strip():
        await chat.goto(on_number)
        return Text(ASK_FOR_NUMBER)
    return await _verify(chat, chat.args)


async def on_number(chat: Chat) -> Reply:
    await chat.finish()
    return await _verify(chat, chat.text)


async def _verify(chat: Chat, text: str) -> Reply:
    return Text(minimum_text(await look_up(read_asked(text), chat.config.verify_limits, f"chat:{chat.openid}")))


@dataclass(frozen=True)
class Minimum:
    """What anyone who asks is told, in the chat and on the public page: the status and the holder masked; asked
    by certificate management number, also that number masked and the issuing body."""

    asked: Asked
    status: str
    name: str  # masked
    id_number: str  # masked
    cert_number: str = ""  # masked; by certificate number only
    issuer: str = ""  # by certificate number only; "" when no certificate is in force


async def look_up(asked: Asked, limits: VerifyLimits | None, client: str) -> Minimum:
    """The one rule for verification by number, for the chat (`client` "chat:<openid>") and the public page
    (the client's address).

    Only failed lookups count (not found, a wrong name, no number at all), per client, per number and in
    all, so a genuine verifier never uses up a limit. A client or a number that has used up its failures is
    refused before anything is looked up: otherwise a right guess would still answer, and the limit would not
    stop anyone guessing a name for an ID number. By ID number the name asked for counts as a number does, so a
    walk through the birth dates an ID number hides (the name and the masked number being known) is limited
    however many accounts share it. A flood of failures in all holds back lookups by ID number, for the same
    reason, but never by certificate number, which has nothing to guess: verification goes on for everyone."""
    if asked.kind == "id" and not asked.name:
        raise Refusal(No.VERIFY_NEEDS_NAME)
    per_number = [f"number:{asked.number}"] + ([f"name:{asked.name}"] if asked.kind == "id" else [])
    if limits is not None and (
        await limits.per_account.exhausted(client)
        or any([await limits.per_number.exhausted(key) for key in per_number])
        or (asked.kind == "id" and await limits.total.exhausted("all"))
    ):
        raise Refusal(No.TOO_MANY_VERIFICATIONS)
    person = await find_person(asked.number) if asked.kind else None
    if person is None or (asked.kind == "id" and person.name != asked.name):
        # A wrong name answers exactly as an unknown number: the reply never tells that an ID number exists.
        if limits is not None:
            allowed = [
                await limits.per_account.allow(client),
                *[await limits.per_number.allow(key) for key in per_number],
                await limits.total.allow("all"),
            ]
            if not all(allowed):
                raise Refusal(No.TOO_MANY_VERIFICATIONS)
        raise Refusal(No.NOTHING_TO_VERIFY)
    return await _minimum(person, asked)


async def _minimum(person: Person, asked: Asked) -> Minimum:
    """About the current full certificate only: a one-year extract is not the certificate, so a person with
    extracts alone has none yet."""
    snapshot = await current_certificate(person)
    if snapshot is not None:
        changed = await changes_since(snapshot.record_ids, snapshot.issued_at)
        status = f"{Status.SUPERSEDED.value}（{CHANGED_SINCE}）" if changed else Status.VALID.value
    elif await has_full_certificate(person):
        status = f"{Status.INVALID.value}（{Status.REVOKED.value}）"
    else:
        status = f"{Status.INVALID.value}（{NO_CERTIFICATE}）"
    name, id_number = mask_name(person.name), mask_id_number(person.id_number)
    if asked.kind == "id":
        return Minimum(asked, status, name, id_number)
    issuer = snapshot.issuer if snapshot is not None else ""
    return Minimum(asked, status, name, id_number, mask_cert_number(asked.number), issuer)


def minimum_text(found: Minimum) -> str:
    if found.asked.kind == "id":
        return BY_ID_NUMBER.format(status=found.status, name=found.name, id_number=found.id_number)
    return BY_NUMBER.format(
        status=found.status,
        number=found.cert_number,
        name=found.name,
        id_number=found.id_number,
        issuer=found.issuer or "—",
    )


JOURNEY = Journey(
    name="verify",
    commands=(
        Command(("验证", "查验", "核验"), "验证证书真伪，如“验证 4101002026000001”", verify_in_chat, "VERIFY", True),
    ),
    steps=(on_number,),
    asks=lambda step, chat: ASK_FOR_NUMBER,
)
