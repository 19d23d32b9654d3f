"""What a certificate shows: plain frozen values the journey builds, and the texts both renderers print.

Member names of `Category` and `RecordSource` match storage's enums, so a journey maps them by name
(`Category[record.category.name]`); the values are what the document prints, taken from storage.vocabulary
like every other display name (a module of words: no database is touched).
"""

import hashlib
import json
import re
from dataclasses import dataclass, field, fields, is_dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from functools import cached_property
from typing import Any

from storage import models as stored
from storage.summary import Entry, Policy, YearSummary, cap_notes, year_summary
from storage.vocabulary import CATEGORY_NAMES, CERTIFICATE_SOURCE_NAMES, hours_figure

TITLE = "河南省专业技术人员继续教育证书"
# "证书 2025" gives a different document, so it can never pass for the certificate.
EXTRACT_TITLE = "{year} 年度学时证明"
EXTRACT_NOTE = "本证明仅列 {year} 年度继续教育学时，非完整证书"
CODE_LABEL = "核验码"  # the snapshot code, as a verifier knows it
SEAL_PURPOSE = "专业技术人员继续教育专用章"
VERIFY_LINE = "扫码验证真伪"

# Bump when the canonical form changes, so stored hashes of the old form never match new ones by accident.
_HASH_SCHEMA = "jxjy.certificate/2"
_CERT_NUMBER = re.compile(r"[0-9]{16}")  # ASCII digits only: \d would also accept full-width ones


class Category(StrEnum):
    PUBLIC = CATEGORY_NAMES[stored.Category.PUBLIC]
    PROFESSIONAL = CATEGORY_NAMES[stored.Category.PROFESSIONAL]


class RecordSource(StrEnum):
    DECLARED = CERTIFICATE_SOURCE_NAMES[stored.RecordSource.DECLARED]
    PAPER = CERTIFICATE_SOURCE_NAMES[stored.RecordSource.PAPER]
    IMPORTED = CERTIFICATE_SOURCE_NAMES[stored.RecordSource.IMPORTED]


@dataclass(frozen=True)
class HoursRecord:
    category: Category
    course: str  # course or activity
    provider: str
    hours: Decimal
    source: RecordSource

    def __post_init__(self) -> None:
        if not isinstance(self.hours, Decimal):
            raise TypeError(f"hours must be a Decimal, not {type(self.hours).__name__}")


@dataclass(frozen=True)
class YearHours:
    """One calendar year's approved records and the policy they are measured against. Every figure comes from
    storage.summary.year_summary, the computation the chat, the pages and the console show."""

    year: int
    records: tuple[HoursRecord, ...]
    required_total: Decimal
    required_professional: Decimal

    def __post_init__(self) -> None:
        object.__setattr__(self, "records", tuple(self.records))

    @cached_property
    def summary(self) -> YearSummary:
        policy = Policy(int(self.required_total), int(self.required_professional))
        entries = (
            Entry(stored.Category[r.category.name], r.hours, stored.RecordSource[r.source.name]) for r in self.records
        )
        return year_summary(self.year, policy, entries)

    @property
    def total(self) -> Decimal:
        return self.summary.total

    @property
    def professional(self) -> Decimal:
        return self.summary.professional

    @property
    def public(self) -> Decimal:
        return self.summary.public

    @property
    def counted(self) -> Decimal:
        return self.summary.counted

    @property
    def capped(self) -> bool:
        return self.summary.capped

    @property
    def met(self) -> bool:
        return self.summary.met


@dataclass(frozen=True)
class Certificate:
    holder_name: str
    gender: str  # 男 / 女
    id_number: str
    cert_number: str  # 证书管理号, 16 digits
    unit: str
    region: str
    years: tuple[YearHours, ...]  # oldest first
    issuer: str  # the body whose seal it carries, e.g. 河南省人力资源和社会保障厅 or "郑州市人力资源和社会保障局"
    issued_on: date
    snapshot: str
    verify_url: str
    extract_year: int | None = None  # a one-year extract (年度学时证明), not the full certificate
    _hash: str = field(default="", init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not _CERT_NUMBER.fullmatch(self.cert_number):
            raise ValueError(f"certificate number must be 16 digits: {self.cert_number!r}")
        years = tuple(sorted(self.years, key=lambda y: y.year))
        if len({y.year for y in years}) != len(years):
            raise ValueError("each year may appear once")
        object.__setattr__(self, "years", years)
        if self.extract_year is not None and any(y.year != self.extract_year for y in years):
            raise ValueError(f"an extract of {self.extract_year} shows that year only")

    @property
    def title(self) -> str:
        return TITLE if self.extract_year is None else EXTRACT_TITLE.format(year=self.extract_year)

    @property
    def extract_note(self) -> str:
        """The line that marks an extract as one; empty on the full certificate."""
        return "" if self.extract_year is None else EXTRACT_NOTE.format(year=self.extract_year)

    @property
    def cap_footnote(self) -> str:
        """The one line that explains a counted total differing from the raw one; empty when none does."""
        return cap_notes(y.summary for y in self.years)

    @property
    def printed_years(self) -> tuple[YearHours, ...]:
        """The order both the image and the PDF print the years in: the newest, the one a reader asks about, first."""
        return self.years[::-1]

    @property
    def record_count(self) -> int:
        return sum(len(y.records) for y in self.years)


def content_hash(data: Certificate) -> str:
    """sha256 (hex) of the certificate's canonical JSON: equal data, equal hash, across processes and machines."""
    if not data._hash:
        canonical = json.dumps([_HASH_SCHEMA, _plain(data)], ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        # Frozen, so the hash can never go stale; memoised because the cache asks on every hit.
        object.__setattr__(data, "_hash", hashlib.sha256(canonical.encode()).hexdigest())
    return data._hash


def _plain(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in fields(value) if f.init}
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, StrEnum):
        return value.value
    if isinstance(value, Decimal | date):
        # str(Decimal) keeps "2.0" apart from "2": they print differently, so they must hash differently.
        return str(value) if isinstance(value, Decimal) else value.isoformat()
    if value is None or isinstance(value, str | int | bool):
        return value
    raise TypeError(f"cannot serialise {type(value).__name__}")


format_hours = hours_figure  # 12, 1.5, 100 — never 1E+2 or 12.00


def format_date(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


ISSUER_LINE_CHARS = 16  # the issuer's name over the seal: a longer one takes two lines
_PLACE_ENDS = "省市区县州盟旗"  # where a body's name may break: after the place it serves (…实验区 / 人力资源…)


def issuer_lines(issuer: str) -> list[str]:
    """The issuer's name in lines of at most ISSUER_LINE_CHARS: one if it fits; else two, broken after a place
    name if that keeps both short enough, or else in halves; never a line of one character."""
    if len(issuer) <= ISSUER_LINE_CHARS:
        return [issuer]
    fits = [i + 1 for i, char in enumerate(issuer) if char in _PLACE_ENDS]
    fits = [cut for cut in fits if max(cut, len(issuer) - cut) <= ISSUER_LINE_CHARS]
    if fits:
        cut = min(fits, key=lambda cut: abs(len(issuer) - 2 * cut))
        return [issuer[:cut], issuer[cut:]]
    per_line = -(-len(issuer) // -(-len(issuer) // ISSUER_LINE_CHARS))
    return [issuer[i : i + per_line] for i in range(0, len(issuer), per_line)]
