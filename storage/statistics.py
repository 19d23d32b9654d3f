"""A year's statistics for the admin console within the admin's scope: people on the roll, how many met the
policy, and approved hours by category, per region or per unit.

Two grouped statements whatever the number of people; they are raw SQL, scoped by storage.scope.scope_sql, the
same rule the ORM filters use. The hours are read from person_year, the per-person sums kept with every change
(storage.summary_store), not re-added from every record. Each person's year is storage.summary.year_summary,
what every surface shows.
"""

from dataclasses import dataclass, field
from decimal import Decimal

from storage.clock import year_end
from storage.db import fetch
from storage.errors import OutOfScope
from storage.hours import Policies, as_hours
from storage.models import Admin, AdminRole, Region, Unit
from storage.regions import all_regions
from storage.scope import reaches_everything, scope_sql, units_in_scope
from storage.summary import CAP_RULE, YearSummary


@dataclass
class Figures:
    """One line of the statistics: a region, a unit, or the whole scope."""

    key: str  # region code or unit id
    name: str
    people: int = 0  # on the roll for the year
    met: int = 0
    public: Decimal = Decimal(0)  # approved 公需 hours, all of them
    professional: Decimal = Decimal(0)
    counted: Decimal = Decimal(0)  # of public + professional, what counts towards the requirement (计入)
    capped_by: set[int] = field(default_factory=set)  # the 公需 caps that made counted differ from the raw total

    @property
    def rate(self) -> float | None:
        return self.met / self.people if self.people else None

    @property
    def average_public(self) -> Decimal:
        return (self.public / self.people).quantize(Decimal("0.1")) if self.people else Decimal(0)

    @property
    def average_professional(self) -> Decimal:
        return (self.professional / self.people).quantize(Decimal("0.1")) if self.people else Decimal(0)

    def add(self, other: "Figures") -> None:
        self.people += other.people
        self.met += other.met
        self.public += other.public
        self.professional += other.professional
        self.counted += other.counted
        self.capped_by |= other.capped_by

    @property
    def total(self) -> Decimal:
        return self.public + self.professional

    @property
    def average_counted(self) -> Decimal:
        return (self.counted / self.people).quantize(Decimal("0.1")) if self.people else Decimal(0)

    @property
    def cap_note(self) -> str:
        """Why 计入 is less than the hours added up; empty when it is not."""
        return CAP_RULE.format(cap="、".join(map(str, sorted(self.capped_by)))) if self.capped_by else ""


@dataclass
class YearStatistics:
    year: int
    by: str  # "region" or "unit"
    region: Region | None  # the region chosen or administered, if any
    groups: list[Figures]
    total: Figures = field(default_factory=lambda: Figures("total", ""))


def _scope_sql(admin: Admin, region: Region | None) -> tuple[str, list]:
    """The admin's scope over `unit u` (storage.scope.scope_sql), within the region chosen, if any."""
    scope, params = scope_sql(admin, "u")
    if region is None:
        return scope, params
    return f"{scope} AND u.region_id = ?", [*params, region.code]


async def chosen_region(admin: Admin, region_code: str) -> Region | None:
    """The region a breakdown is limited to: the province may pick any; others only their own."""
    if admin.role == AdminRole.REGION:
        if region_code and region_code != admin.region_id:
            raise OutOfScope(region_code)
        return await Region.get(code=admin.region_id)
    if admin.role == AdminRole.UNIT:
        unit = await Unit.get(id=admin.unit_id)
        if region_code and region_code != unit.region_id:
            raise OutOfScope(region_code)
        return None
    if not region_code:
        return None
    region = await Region.get_or_none(code=region_code)
    if region is None:
        raise OutOfScope(region_code)
    return region  # the province's own code holds the units it oversees directly (省直单位)


async def year_statistics(admin: Admin, year: int, region_code: str = "") -> YearStatistics:
    """People on the year's roll, how many met the policy, and approved hours by category, per region (the
    province) or per unit (a region, or the province within a chosen region).

    On the roll: registered by the end of the year, or holding approved hours for it (a paper certificate
    transferred in after a later registration). People who registered later are not counted as failing it.
    """
    region = await chosen_region(admin, region_code)
    by = "region" if reaches_everything(admin) and region is None else "unit"
    scope, scope_params = _scope_sql(admin, region)
    keys = "u.region_id" if by == "region" else "u.region_id, u.id"
    unit_column = "" if by == "region" else ", u.id AS unit_id"

    groups = {g.key: g for g in await _group_names(admin, by, region)}
    # Counted per unit first, from person's (unit_id, registered_at) index alone; then the few units' rows joined.
    registered = await fetch(
        f"SELECT u.region_id AS region_id{unit_column}, SUM(c.people) AS people "
        f"FROM (SELECT unit_id, COUNT(*) AS people FROM person WHERE registered_at < ? GROUP BY unit_id) c "
        f"JOIN unit u ON u.id = c.unit_id WHERE {scope} GROUP BY {keys}",
        year_end(year),
        *scope_params,
    )
    for row in registered:
        _group(groups, by, row).people += int(row["people"])

    # Each person's sums of the year come from person_year (storage.summary_store), one row per person with
    # approved hours, which carries their unit and whether they registered late: no join to every person. One row
    # per group and distinct pair of sums: far fewer rows than people, and each pair is judged once by
    # year_summary's rule (its cap on 公需 hours included).
    hour_sums = await fetch(
        f"SELECT u.region_id AS region_id{unit_column}, y.public AS public, y.professional AS professional,"
        f"  COUNT(*) AS people, SUM(CASE WHEN y.late THEN 1 ELSE 0 END) AS late"
        f"  FROM person_year y JOIN unit u ON u.id = y.unit_id"
        f"  WHERE y.year = ? AND {scope}"
        f"  GROUP BY {keys}, y.public, y.professional",
        year,
        *scope_params,
    )
    policies = Policies()
    for row in hour_sums:
        group = _group(groups, by, row)
        public, professional, people = as_hours(row["public"]), as_hours(row["professional"]), row["people"]
        group.people += int(row["late"] or 0)
        group.public += public * people
        group.professional += professional * people
        summary = YearSummary(year, await policies.of(row["region_id"], year), public, professional)
        group.counted += summary.counted * people
        if summary.capped:
            group.capped_by.add(summary.policy.public_cap)
        if summary.met:
            group.met += people

    ordered = sorted(groups.values(), key=lambda g: g.key if by == "region" else (-g.people, g.name))
    statistics = YearStatistics(year, by, region, ordered)
    for group in ordered:
        statistics.total.add(group)
    return statistics


def _group(groups: dict[str, Figures], by: str, row: dict) -> Figures:
    key = str(row["region_id"] if by == "region" else row["unit_id"])
    # A group with people but no name would be a unit or region created since the names were read.
    return groups.setdefault(key, Figures(key, key))


async def _group_names(admin: Admin, by: str, region: Region | None) -> list[Figures]:
    if by == "region":
        return [Figures(r.code, r.name) for r in await all_regions()]
    units = await units_in_scope(admin, region.code if region else None)
    return [Figures(str(unit.id), unit.name) for unit in units]
