"""Hours against the yearly policy. Only approved records count."""

import time
from dataclasses import dataclass
from decimal import Decimal
from weakref import WeakKeyDictionary

from storage.db import current_database, fetch
from storage.models import Category, RecordSource, RecordStatus


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
    from_paper: Decimal = Decimal(0)  # of the above, transferred from paper certificates (学时转登)

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


@dataclass(frozen=True)
class HoursLookup:
    name: str
    cert_number: str
    overview: HoursOverview


# One statement for the person and all their hours; the lookup is the service's hottest path.
_HOURS_BY = """
SELECT p.name, p.cert_number, u.region_id AS region_code,
       r.year, r.category, r.status, r.source, SUM(r.hours) AS hours, COUNT(r.id) AS records
FROM person p
JOIN unit u ON u.id = p.unit_id
LEFT JOIN hour_record r ON r.person_id = p.id
WHERE {where}
GROUP BY p.name, p.cert_number, u.region_id, r.year, r.category, r.status, r.source
"""


async def hours_lookup(openid: str, current_year: int) -> HoursLookup | None:
    """The bound person's hours, or None when the openid holds no person."""
    rows = await fetch(_HOURS_BY.format(where="p.openid = ?"), openid)
    if not rows:
        return None
    overview = await _overview(rows, current_year)
    return HoursLookup(rows[0]["name"], rows[0]["cert_number"], overview)


async def hours_overview(person_id: int, current_year: int) -> HoursOverview:
    return await _overview(await fetch(_HOURS_BY.format(where="p.id = ?"), person_id), current_year)


async def policy_for(year: int, region_code: str) -> Policy:
    return _pick_policy(await _policies_of(region_code), year)


# The policy table changes a few times a year and is read on every lookup: keep it for a minute,
# per database (tests open several in one process).
POLICY_CACHE_SECONDS = 60.0
_policy_cache: WeakKeyDictionary[object, dict[str, tuple[float, list[dict]]]] = WeakKeyDictionary()


async def _policies_of(region_code: str) -> list[dict]:
    cache = _policy_cache.setdefault(current_database(), {})
    cached = cache.get(region_code)
    if cached is not None and time.monotonic() - cached[0] < POLICY_CACHE_SECONDS:
        return cached[1]
    rules = await fetch(
        "SELECT year, region_code, total_hours, professional_min_hours FROM hours_policy "
        "WHERE region_code = ? OR region_code IS NULL",
        region_code,
    )
    cache[region_code] = (time.monotonic(), rules)
    return rules


def forget_policies() -> None:
    """After the policy table changed."""
    _policy_cache.pop(current_database(), None)


def _pick_policy(rules: list[dict], year: int) -> Policy:
    """The most specific rule: this region and year, this region, this year, then the default."""
    applicable = [r for r in rules if r["year"] in (year, None)]
    rule = max(applicable, key=lambda r: (r["region_code"] is not None, r["year"] is not None))
    return Policy(rule["total_hours"], rule["professional_min_hours"])


class Policies:
    """policy_for, asked once per region and year however many people share them."""

    def __init__(self) -> None:
        self._known: dict[tuple[str, int], Policy] = {}

    async def of(self, region_code: str, year: int) -> Policy:
        key = (region_code, year)
        if key not in self._known:
            self._known[key] = await policy_for(year, region_code)
        return self._known[key]


def as_hours(value: object) -> Decimal:
    """A summed hours column as Decimal. SQLite sums the decimal column as a float; half hours are exact in
    binary, so this is lossless."""
    return Decimal(str(value or 0)).quantize(Decimal("0.1"))


async def _overview(rows: list[dict], current_year: int) -> HoursOverview:
    rules = await _policies_of(rows[0]["region_code"])
    approved: dict[int, dict[str, Decimal]] = {current_year: {}}
    counts = {RecordStatus.PENDING: 0, RecordStatus.REJECTED: 0}
    for row in rows:
        if row["status"] == RecordStatus.APPROVED:
            sums = approved.setdefault(row["year"], {})
            hours = as_hours(row["hours"])
            sums[row["category"]] = sums.get(row["category"], Decimal(0)) + hours
            if row["source"] == RecordSource.PAPER:
                sums["paper"] = sums.get("paper", Decimal(0)) + hours
        elif row["status"] in counts:
            counts[RecordStatus(row["status"])] += row["records"]
    years = [
        YearHours(
            year=year,
            policy=_pick_policy(rules, year),
            public=sums.get(Category.PUBLIC, Decimal(0)),
            professional=sums.get(Category.PROFESSIONAL, Decimal(0)),
            from_paper=sums.get("paper", Decimal(0)),
        )
        for year, sums in sorted(approved.items(), reverse=True)
    ]
    return HoursOverview(years=years, pending=counts[RecordStatus.PENDING], rejected=counts[RecordStatus.REJECTED])
