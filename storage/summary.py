"""One year's hours against the policy, computed in one place: the chat's 学时, the certificate, the holder and
verification pages, the batch query, the statistics and the notifications all show these figures.

Pure: no database. Callers hand over the records (or grouped sums of them: a sum is a record too) and the
policy; only approved records count, whatever else is handed over.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from storage.models import Category, RecordSource, RecordStatus
from storage.vocabulary import hours_figure

# Said wherever a raw total and a counted total differ (on the certificate as a footnote).
CAP_RULE = "公需科目超过 {cap} 学时的部分不计入年度要求"
CAP_RULE_BY_YEAR = "公需科目超过当年上限（{caps}）的部分不计入年度要求"


@dataclass(frozen=True)
class Policy:
    total_hours: int
    professional_min_hours: int

    @property
    def public_cap(self) -> int:
        """公需 hours beyond the share the policy leaves them do not help meet the total."""
        return self.total_hours - self.professional_min_hours


class Hours(Protocol):
    """A record, or a grouped sum of records of one category, source and status."""

    category: str
    hours: Decimal
    source: str
    status: str


@dataclass(frozen=True)
class Entry:
    """Hours of one category (and source), for callers that hold sums rather than records."""

    category: str
    hours: Decimal
    source: str = RecordSource.DECLARED
    status: str = RecordStatus.APPROVED


@dataclass(frozen=True)
class YearSummary:
    year: int
    policy: Policy
    public: Decimal = Decimal(0)
    professional: Decimal = Decimal(0)
    from_paper: Decimal = Decimal(0)  # of the above, transferred from paper certificates (学时转登)

    @property
    def total(self) -> Decimal:
        """Every approved hour, as the records add up."""
        return self.public + self.professional

    @property
    def counted_public(self) -> Decimal:
        return min(self.public, Decimal(self.policy.public_cap))

    @property
    def counted(self) -> Decimal:
        """What counts towards the requirement (计入)."""
        return self.professional + self.counted_public

    @property
    def capped(self) -> bool:
        """Whether the raw total and the counted total differ."""
        return self.counted != self.total

    @property
    def cap_note(self) -> str:
        return CAP_RULE.format(cap=self.policy.public_cap) if self.capped else ""

    @property
    def missing_professional(self) -> Decimal:
        return max(Decimal(0), self.policy.professional_min_hours - self.professional)

    @property
    def missing_total(self) -> Decimal:
        return max(Decimal(0), self.policy.total_hours - self.counted, self.missing_professional)

    @property
    def met(self) -> bool:
        return self.missing_total == 0

    def figures(self) -> dict[str, str | bool]:
        """The figures as every surface prints them, as plain values a notification's payload can carry."""
        return {
            "year": str(self.year),
            "public": hours_figure(self.public),
            "professional": hours_figure(self.professional),
            "total": hours_figure(self.total),
            "counted": hours_figure(self.counted),
            "required": str(self.policy.total_hours),
            "met": self.met,
            "missing": hours_figure(self.missing_total),
            "note": self.cap_note,
        }


def year_summary(year: int, policy: Policy, records: Iterable[Hours]) -> YearSummary:
    """The year's summary of these records: approved hours by category, what of them came from paper."""
    sums = {Category.PUBLIC: Decimal(0), Category.PROFESSIONAL: Decimal(0)}
    paper = Decimal(0)
    for record in records:
        if record.status != RecordStatus.APPROVED:
            continue
        hours = Decimal(record.hours)
        sums[Category(record.category)] += hours
        if record.source == RecordSource.PAPER:
            paper += hours
    return YearSummary(year, policy, sums[Category.PUBLIC], sums[Category.PROFESSIONAL], paper)


def cap_notes(years: Iterable[YearSummary]) -> str:
    """One line for the years whose raw and counted totals differ; empty when none do."""
    capped = [y for y in years if y.capped]
    caps = {y.policy.public_cap for y in capped}
    if len(caps) <= 1:
        return capped[0].cap_note if capped else ""
    each = "、".join(f"{y.year} 年 {y.policy.public_cap} 学时" for y in sorted(capped, key=lambda y: y.year))
    return CAP_RULE_BY_YEAR.format(caps=each)
