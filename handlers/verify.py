"""Verification: whether a certificate is genuine and current, with masked personal data.

The same view serves the page behind the QR code (/v/<code>) and `验证 <证书管理号或身份证号>` in the chat.
"""

import functools
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any

from handlers.certificate import qr_claims
from handlers.chat import CHINA, Chat
from handlers.journeys import Command, Journey
from handlers.links import is_signed_code
from handlers.qr_token import Claims, PublicKey, TokenInvalid, read_token
from handlers.refusals import No, Refusal
from handlers.replies import Reply, Text
from storage.certificates import latest_valid, newest_of, snapshot_by_code
from storage.declarations import find_person
from storage.ids import mask_id_number, mask_name
from storage.models import CertificateSnapshot
from storage.vocabulary import hours_figure


class Status(StrEnum):
    VALID = "有效"
    SUPERSEDED = "已更新"
    REVOKED = "已撤销"
    INVALID = "无效"


@dataclass(frozen=True)
class YearLine:
    year: int
    total: str
    professional: str
    public: str
    required_total: int
    met: bool


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


def _years(facts: dict[str, Any]) -> tuple[YearLine, ...]:
    lines = []
    for y in facts["years"]:
        hours = [(r["category"], Decimal(r["hours"])) for r in y["records"]]
        lines.append(
            YearLine(
                year=y["year"],
                total=hours_figure(sum((h for _, h in hours), Decimal(0))),
                professional=hours_figure(sum((h for c, h in hours if c == "professional"), Decimal(0))),
                public=hours_figure(sum((h for c, h in hours if c == "public"), Decimal(0))),
                required_total=y["required_total"],
                met=y["met"],
            )
        )
    return tuple(lines)


async def _view(snapshot: CertificateSnapshot) -> Verification:
    facts = snapshot.facts
    status, newer = Status.VALID, None
    if snapshot.revoked_at is not None:
        status = Status.REVOKED
    elif snapshot.superseded_by_id is not None:
        status, newer = Status.SUPERSEDED, await newest_of(snapshot)
    return Verification(
        status=status,
        code=snapshot.code,
        cert_number=facts["cert_number"],
        name=mask_name(facts["name"]),
        id_number=mask_id_number(facts["id_number"]),
        unit=facts["unit"],
        region=facts["region"],
        years=_years(facts),
        issuer=snapshot.issuer,
        issued_at=snapshot.issued_at.astimezone(CHINA).strftime("%Y-%m-%d %H:%M"),
        revoke_reason=snapshot.revoke_reason,
        newer_code=newer.code if newer else "",
        newer_years=_years(newer.facts) if newer else (),
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


NOT_ON_RECORD = "二维码签名有效，但平台上没有这份证书（快照编号 {code}）的记录：请向签发机关核实。"
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


NO_CERTIFICATE = "该人员（{name}，{unit}）已注册，但尚未生成电子证书。"
RESULT = (
    "证书验证结果：{status}\n证书管理号：{number}\n姓名：{name}\n身份证号：{id_number}\n"
    "单位：{unit}（{region}）\n{years}\n签发：{issuer}\n签发时间：{issued_at}"
)
YEAR = "{year} 年：{total} 学时（专业科目 {professional}，公需科目 {public}）{met}"


def verification_text(view: Verification) -> str:
    years = "\n".join(
        YEAR.format(
            year=y.year, total=y.total, professional=y.professional, public=y.public, met="，已达标" if y.met else ""
        )
        for y in view.years
    )
    return RESULT.format(
        status=view.status.value,
        number=view.cert_number,
        name=view.name,
        id_number=view.id_number,
        unit=view.unit,
        region=view.region,
        years=years,
        issuer=view.issuer,
        issued_at=view.issued_at,
    )


ASK_FOR_NUMBER = "请发送要验证的证书管理号（16 位）或身份证号（18 位）。发送“取消”可退出。"


async def verify_in_chat(chat: Chat) -> Reply:
    """验证 <number>; without a number (the menu's VERIFY), ask for one and take the next message."""
    number = chat.args.strip()
    if not number:
        await chat.goto(on_number)
        return Text(ASK_FOR_NUMBER)
    return await _verify(chat, number)


async def on_number(chat: Chat) -> Reply:
    await chat.finish()
    return await _verify(chat, chat.text)


async def _verify(chat: Chat, number: str) -> Reply:
    if chat.config.verify_limiter is not None and not await chat.config.verify_limiter.allow(f"chat:{chat.openid}"):
        raise Refusal(No.TOO_MANY_VERIFICATIONS)
    person = await find_person(number)
    if person is None:
        raise Refusal(No.NOTHING_TO_VERIFY)
    snapshot = await latest_valid(person)
    if snapshot is None:
        return Text(NO_CERTIFICATE.format(name=mask_name(person.name), unit=person.unit.name))
    return Text(verification_text(await _view(snapshot)))


JOURNEY = Journey(
    name="verify",
    commands=(
        Command(("验证", "查验", "核验"), "验证证书真伪，如“验证 4101002026000001”", verify_in_chat, menu_key="VERIFY"),
    ),
    steps=(on_number,),
)
