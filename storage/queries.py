"""Certificate queries in batch and yearly statistics for the admin console, both limited to the admin's scope.

Both are built for size: a batch of 5,000 numbers takes a few statements per 500 numbers, and a year's
statistics two grouped statements whatever the number of people. Whether a person met the policy is always
decided by storage.hours.YearHours, the rule the chat and the certificate use.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import StrEnum

from tortoise.functions import Sum

from storage.admins import scope_of
from storage.audit import audit
from storage.backoffice import units_in_scope
from storage.clock import CHINA
from storage.db import fetch
from storage.errors import OutOfScope, StorageRefusal
from storage.hours import Policy, YearHours, as_hours, policy_for
from storage.ids import InvalidIdNumber, is_digits, mask_id_number, mask_name, normalise, parse_id_number
from storage.models import Admin, AdminRole, Category, HourRecord, Person, RecordStatus, Region, Unit

MAX_NUMBERS = 5_000
CHUNK = 500  # numbers per IN (...) list: far below every backend's limit on bound parameters


class Outcome(StrEnum):
    FOUND = "found"
    MISSED = "missed"
    MALFORMED = "malformed"


class NumberProblem(StrEnum):
    """Why a number was not looked up; ID-number problems carry storage.ids.IdProblem's values."""

    LENGTH = "length"
    FORMAT = "format"
    BIRTH_DATE = "birth_date"
    CHECK_CHARACTER = "check_character"


@dataclass(frozen=True)
class QueriedPerson:
    in_scope: bool
    person_id: int | None  # only in scope: it opens the person's page
    name: str  # masked outside the scope
    id_number: str  # masked outside the scope
    cert_number: str
    unit: str
    region: str
    years: tuple[YearHours, ...]  # newest first


@dataclass(frozen=True)
class QueriedNumber:
    line: int  # its place in the admin's list, duplicates dropped
    number: str  # as queried, normalised; an ID number is masked when its person is outside the scope
    outcome: Outcome
    problem: NumberProblem | None = None
    person: QueriedPerson | None = None


@dataclass(frozen=True)
class QueryResult:
    years: tuple[int, ...]  # newest first
    numbers: list[QueriedNumber]  # in the admin's order
    duplicates: int = 0

    def _with(self, outcome: Outcome) -> list[QueriedNumber]:
        return [n for n in self.numbers if n.outcome == outcome]

    @property
    def found(self) -> list[QueriedNumber]:
        return self._with(Outcome.FOUND)

    @property
    def missed(self) -> list[QueriedNumber]:
        return self._with(Outcome.MISSED)

    @property
    def malformed(self) -> list[QueriedNumber]:
        return self._with(Outcome.MALFORMED)


class TooManyNumbers(StorageRefusal):
    """More than MAX_NUMBERS distinct numbers: refused whole rather than cut short."""


def _classify(number: str, today: date) -> tuple[str, NumberProblem | None]:
    """("cert" | "id", None) for a number worth looking up, ("", problem) for one that cannot exist."""
    if len(number) == 16 and is_digits(number):
        return "cert", None
    if len(number) == 18:
        try:
            parse_id_number(number, today)
        except InvalidIdNumber as invalid:
            return "", NumberProblem(invalid.problem.value)
        return "id", None
    return "", NumberProblem.LENGTH


def _chunks(items: list, size: int = CHUNK) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class _Policies:
    """storage.hours.policy_for, asked once per region and year however many people share them."""

    def __init__(self) -> None:
        self._known: dict[tuple[str, int], Policy] = {}

    async def of(self, region_code: str, year: int) -> Policy:
        key = (region_code, year)
        if key not in self._known:
            self._known[key] = await policy_for(year, region_code)
        return self._known[key]


async def query_numbers(admin: Admin, texts: list[str], newest_year: int, today: date, years: int = 3) -> QueryResult:
    """Look up certificate management numbers and ID numbers, each answered found, missed or malformed.

    Masking rule: a person in the admin's scope is shown in full. A person outside it is shown as the public
    verification page shows them to anyone holding the certificate (the notice lets any entitled body query a
    certificate): masked name and ID number, certificate number, unit and hours. The number as queried is
    masked too, so a page or export never carries the full ID number of someone the admin does not manage.
    """
    numbers = list(dict.fromkeys(number for number in map(normalise, texts) if number))  # the first of twins
    if len(numbers) > MAX_NUMBERS:
        raise TooManyNumbers(len(numbers))
    kinds = {number: _classify(number, today) for number in numbers}
    people = await _people_by_number(
        [n for n in numbers if kinds[n][0] == "cert"], [n for n in numbers if kinds[n][0] == "id"]
    )
    person_ids = [row["id"] for row in people.values()]
    in_scope = await _in_scope(admin, person_ids)
    year_list = tuple(range(newest_year, newest_year - years, -1))
    hours = await _approved_hours(person_ids, year_list)
    policies = _Policies()

    answered = []
    for line, number in enumerate(numbers, start=1):
        kind, problem = kinds[number]
        row = people.get(number)
        if problem is not None:
            answered.append(QueriedNumber(line, number[:40], Outcome.MALFORMED, problem))
        elif row is None:
            answered.append(QueriedNumber(line, number, Outcome.MISSED))
        else:
            visible = row["id"] in in_scope
            person = await _queried_person(row, visible, hours.get(row["id"], {}), year_list, policies)
            shown = number if visible or kind == "cert" else mask_id_number(number)
            answered.append(QueriedNumber(line, shown, Outcome.FOUND, person=person))
    duplicates = len([text for text in texts if normalise(text)]) - len(numbers)
    return QueryResult(year_list, answered, duplicates)


async def _queried_person(
    row: dict, visible: bool, sums: dict[tuple[int, str], Decimal], years: tuple[int, ...], policies: _Policies
) -> QueriedPerson:
    year_hours = [
        YearHours(
            year=year,
            policy=await policies.of(row["unit__region_id"], year),
            public=sums.get((year, Category.PUBLIC), Decimal(0)),
            professional=sums.get((year, Category.PROFESSIONAL), Decimal(0)),
        )
        for year in years
    ]
    return QueriedPerson(
        in_scope=visible,
        person_id=row["id"] if visible else None,
        name=row["name"] if visible else mask_name(row["name"]),
        id_number=row["id_number"] if visible else mask_id_number(row["id_number"]),
        cert_number=row["cert_number"],
        unit=row["unit__name"],
        region=row["unit__region__name"],
        years=tuple(year_hours),
    )


_PERSON_FIELDS = ("id", "name", "id_number", "cert_number", "unit__name", "unit__region_id", "unit__region__name")


async def _people_by_number(cert_numbers: list[str], id_numbers: list[str]) -> dict[str, dict]:
    """Each number that names a person, mapped to that person's row."""
    found: dict[str, dict] = {}
    for chunk in _chunks(cert_numbers):
        for row in await Person.filter(cert_number__in=chunk).values(*_PERSON_FIELDS):
            found[row["cert_number"]] = row
    for chunk in _chunks(id_numbers):
        for row in await Person.filter(id_number__in=chunk).values(*_PERSON_FIELDS):
            found[row["id_number"]] = row
    return found


async def _in_scope(admin: Admin, person_ids: list[int]) -> set[int]:
    visible: set[int] = set()
    for chunk in _chunks(sorted(set(person_ids))):
        visible.update(await Person.filter(scope_of(admin), id__in=chunk).values_list("id", flat=True))
    return visible


async def _approved_hours(person_ids: list[int], years: tuple[int, ...]) -> dict[int, dict[tuple[int, str], Decimal]]:
    """Approved hours per person, year and category: one grouped statement per chunk of people."""
    sums: dict[int, dict[tuple[int, str], Decimal]] = {}
    for chunk in _chunks(sorted(set(person_ids))):
        rows = (
            await HourRecord.filter(person_id__in=chunk, status=RecordStatus.APPROVED, year__in=years)
            .annotate(total=Sum("hours"))
            .group_by("person_id", "year", "category")
            .values("person_id", "year", "category", "total")
        )
        for row in rows:
            sums.setdefault(row["person_id"], {})[(row["year"], row["category"])] = as_hours(row["total"])
    return sums


async def audit_query(admin: Admin, action: str, result: QueryResult) -> None:
    """One entry per query or export: how many numbers, and which people were read (by id, never by ID number)."""
    found = result.found
    await audit(
        f"admin:{admin.id}",
        action,
        f"numbers:{len(result.numbers)} found:{len(found)}",
        after={
            "missed": len(result.missed),
            "malformed": len(result.malformed),
            "people_in_scope": [n.person.person_id for n in found if n.person and n.person.in_scope],
            "people_outside_scope": len([n for n in found if n.person and not n.person.in_scope]),
        },
    )


# --- statistics ---------------------------------------------------------------------------------------------


@dataclass
class Figures:
    """One line of the statistics: a region, a unit, or the whole scope."""

    key: str  # region code or unit id
    name: str
    people: int = 0  # on the roll for the year
    met: int = 0
    public: Decimal = Decimal(0)  # approved 公需 hours, all of them (the cap only decides "met")
    professional: Decimal = Decimal(0)

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


@dataclass
class YearStatistics:
    year: int
    by: str  # "region" or "unit"
    region: Region | None  # the region chosen or administered, if any
    groups: list[Figures]
    total: Figures = field(default_factory=lambda: Figures("total", ""))


def _scope_sql(admin: Admin, region_code: str | None) -> tuple[str, list]:
    """storage.admins.scope_of, said in SQL over `unit u`, for the two statements the ORM cannot say."""
    if admin.role == AdminRole.UNIT:
        return "u.id = ?", [admin.unit_id]
    if admin.role == AdminRole.REGION:
        return "u.region_id = ?", [admin.region_id]
    if region_code:
        return "u.region_id = ?", [region_code]
    return "1 = 1", []


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
    by = "region" if admin.role == AdminRole.PROVINCE and region is None else "unit"
    scope, scope_params = _scope_sql(admin, region.code if region else None)
    year_end = datetime(year + 1, 1, 1, tzinfo=CHINA).astimezone(UTC)
    keys = "u.region_id" if by == "region" else "u.region_id, u.id"
    outer_keys = "region_id" if by == "region" else "region_id, unit_id"
    unit_column = "" if by == "region" else ", u.id AS unit_id"

    groups = {g.key: g for g in await _group_names(admin, by, region)}
    registered = await fetch(
        f"SELECT u.region_id AS region_id{unit_column}, COUNT(p.id) AS people "
        f"FROM person p JOIN unit u ON u.id = p.unit_id "
        f"WHERE p.registered_at < ? AND {scope} GROUP BY {keys}",
        year_end,
        *scope_params,
    )
    for row in registered:
        _group(groups, by, row).people += row["people"]

    # One row per group and distinct pair of sums: far fewer rows than people, and each pair is judged once
    # by YearHours, the policy's own rule (its cap on 公需 hours included).
    hour_sums = await fetch(
        f"SELECT {outer_keys}, public, professional, COUNT(*) AS people, SUM(late) AS late FROM ("
        f"  SELECT u.region_id AS region_id{unit_column},"
        f"    MAX(CASE WHEN p.registered_at >= ? THEN 1 ELSE 0 END) AS late,"
        f"    SUM(CASE WHEN r.category = ? THEN r.hours ELSE 0 END) AS public,"
        f"    SUM(CASE WHEN r.category = ? THEN r.hours ELSE 0 END) AS professional"
        f"  FROM hour_record r JOIN person p ON p.id = r.person_id JOIN unit u ON u.id = p.unit_id"
        f"  WHERE r.status = ? AND r.year = ? AND {scope}"
        f"  GROUP BY {keys}, p.id"
        f") per_person GROUP BY {outer_keys}, public, professional",
        year_end,
        str(Category.PUBLIC),
        str(Category.PROFESSIONAL),
        str(RecordStatus.APPROVED),
        year,
        *scope_params,
    )
    policies = _Policies()
    for row in hour_sums:
        group = _group(groups, by, row)
        public, professional, people = as_hours(row["public"]), as_hours(row["professional"]), row["people"]
        group.people += int(row["late"] or 0)
        group.public += public * people
        group.professional += professional * people
        policy = await policies.of(row["region_id"], year)
        if YearHours(year, policy, public, professional).met:
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
        return [Figures(r.code, r.name) for r in await Region.all().order_by("code")]
    units = units_in_scope(admin)
    if region is not None:
        units = units.filter(region_id=region.code)
    return [Figures(str(u["id"]), u["name"]) for u in await units.values("id", "name")]
