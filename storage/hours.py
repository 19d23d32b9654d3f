"""Hours against the yearly policy. Only approved records count."""

from dataclasses import dataclass
from decimal import Decimal

from tortoise.expressions import Q
from tortoise.functions import Count, Sum

from storage.models import Category, HourRecord, HoursPolicy, RecordStatus


@dataclass(frozen=True)
class Policy:
    total_hours: int
    professional_min_hours: int


@dataclass(frozen=True)
class YearHours:
    year: int
    policy: Policy
    public: Decimal
    professional: Decimal

    @property
    def counted(self) -> Decimal:
        # 公需 hours beyond the share the policy leaves them do not help meet the total.
        public_cap = self.policy.total_hours - self.policy.professional_min_hours
        return self.professional + min(self.public, Decimal(public_cap))

    @property
    def missing_professional(self) -> Decimal:
        return max(Decimal(0), self.policy.professional_min_hours - self.professional)

    @property
    def missing_total(self) -> Decimal:
        return max(Decimal(0), self.policy.total_hours - self.counted, self.missing_professional)

    @property
    def met(self) -> bool:
        return self.missing_total == 0


@dataclass(frozen=True)
class HoursOverview:
    years: list[YearHours]  # newest first; always includes the current year
    pending: int
    rejected: int


async def policy_for(year: int, region_code: str) -> Policy:
    return _pick_policy(await _policies_of(region_code), year)


async def _policies_of(region_code: str) -> list[HoursPolicy]:
    return await HoursPolicy.filter(Q(region_code=region_code) | Q(region_code=None))


def _pick_policy(rules: list[HoursPolicy], year: int) -> Policy:
    """The most specific rule: this region and year, this region, this year, then the default."""
    applicable = [r for r in rules if r.year in (year, None)]
    rule = max(applicable, key=lambda r: (r.region_code is not None, r.year is not None))
    return Policy(rule.total_hours, rule.professional_min_hours)


async def hours_overview(person_id: int, region_code: str, current_year: int) -> HoursOverview:
    approved = (
        await HourRecord.filter(person_id=person_id, status=RecordStatus.APPROVED)
        .annotate(total=Sum("hours"))
        .group_by("year", "category")
        .values("year", "category", "total")
    )
    by_year: dict[int, dict[str, Decimal]] = {current_year: {}}
    for row in approved:
        by_year.setdefault(row["year"], {})[row["category"]] = Decimal(row["total"])
    rules = await _policies_of(region_code)
    years = [
        YearHours(
            year=year,
            policy=_pick_policy(rules, year),
            public=sums.get(Category.PUBLIC, Decimal(0)),
            professional=sums.get(Category.PROFESSIONAL, Decimal(0)),
        )
        for year, sums in sorted(by_year.items(), reverse=True)
    ]
    counts = dict(
        await HourRecord.filter(person_id=person_id, status__in=[RecordStatus.PENDING, RecordStatus.REJECTED])
        .annotate(n=Count("id"))
        .group_by("status")
        .values_list("status", "n")
    )
    return HoursOverview(
        years=years,
        pending=counts.get(RecordStatus.PENDING, 0),
        rejected=counts.get(RecordStatus.REJECTED, 0),
    )
