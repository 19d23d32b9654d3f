"""Hours against the yearly policy: each year's storage.summary.YearSummary. Only approved records count."""

import time
from dataclasses import dataclass
from decimal import Decimal
from weakref import WeakKeyDictionary

from storage.db import current_database, fetch
from storage.models import HourRecord, Person, RecordStatus
from storage.summary import Entry, Policy, YearSummary, year_summary


@dataclass(frozen=True)
class HoursOverview:
    years: list[YearSummary]  # newest first; always includes the current year
    pending: int
    rejected: int


@dataclass(frozen=True)
class HoursLookup:
    name: str
    cert_number: str
    overview: HoursOverview


# One statement for the person and all their hours; the lookup is the service's hottest path. Every column of
# hour_record it reads is in the index hour_record_hours (COUNT(person_id), not COUNT(id)), so it never reads a
# record itself.
_HOURS_BY = """
SELECT p.name, p.cert_number, u.region_id AS region_code,
       r.year, r.category, r.status, r.source, SUM(r.hours) AS hours, COUNT(r.person_id) AS records
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


async def year_summary_of(person_id: int, year: int) -> YearSummary:
    """One year of one person, read through the ORM so that inside a transaction it sees the transaction's
    own changes (a notification enqueued with a decision states the year as the decision left it)."""
    region_code = await Person.filter(id=person_id).values_list("unit__region_id", flat=True)
    records = await HourRecord.filter(person_id=person_id, year=year, status=RecordStatus.APPROVED).values(
        "category", "hours", "source"
    )
    entries = [Entry(r["category"], r["hours"], r["source"]) for r in records]
    return year_summary(year, await policy_for(year, region_code[0]), entries)


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
    by_year: dict[int, list[Entry]] = {current_year: []}
    counts = {RecordStatus.PENDING: 0, RecordStatus.REJECTED: 0}
    for row in rows:
        if row["status"] == RecordStatus.APPROVED:
            by_year.setdefault(row["year"], []).append(Entry(row["category"], as_hours(row["hours"]), row["source"]))
        elif row["status"] in counts:
            counts[RecordStatus(row["status"])] += row["records"]
    years = [
        year_summary(year, _pick_policy(rules, year), entries)
        for year, entries in sorted(by_year.items(), reverse=True)
    ]
    return HoursOverview(years=years, pending=counts[RecordStatus.PENDING], rejected=counts[RecordStatus.REJECTED])
