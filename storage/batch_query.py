"""Certificate query in batch for the admin console: certificate management numbers and ID numbers, each
answered found, missed or malformed, shown in full within the admin's scope and masked outside it.

Built for size: a batch of 5,000 numbers takes a few statements per 500 numbers. Whether a person met the
policy is always decided by storage.hours.YearHours, the rule the chat and the certificate use.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from tortoise.functions import Sum

from storage.audit import audit
from storage.errors import StorageRefusal
from storage.hours import Policies, YearHours, as_hours
from storage.ids import InvalidIdNumber, is_digits, mask_id_number, mask_name, normalise, parse_id_number
from storage.models import Admin, Category, HourRecord, Person, RecordStatus
from storage.scope import people_in_scope

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
    REGION = "region"
    BIRTH_DATE = "birth_date"
    BIRTH_IN_FUTURE = "birth_in_future"
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
    in_scope = await people_in_scope(admin, person_ids)
    year_list = tuple(range(newest_year, newest_year - years, -1))
    hours = await _approved_hours(person_ids, year_list)
    policies = Policies()

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
    row: dict, visible: bool, sums: dict[tuple[int, str], Decimal], years: tuple[int, ...], policies: Policies
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
