"""Certificate query in batch for the admin console: certificate management numbers and ID numbers, each
answered found, missed or malformed, shown in full within the admin's scope and as 有效 alone outside it.
Each admin has a daily budget of rows, counted from the audit log, so it holds across restarts and processes.

Built for size: a batch of 5,000 numbers takes a few statements per 500 numbers. Whether a person met the
policy, and every figure shown, is storage.summary.YearSummary, the computation the chat and the certificate use,
over the sums person_year keeps.
"""

from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from tortoise.transactions import in_transaction

from storage.audit import QUERY_ACTIONS, audit
from storage.db import fetch
from storage.errors import StorageRefusal
from storage.hours import Policies, as_hours
from storage.ids import InvalidIdNumber, is_digits, mask_id_number, normalise, parse_id_number
from storage.models import Admin, AuditEntry
from storage.scope import people_in_scope
from storage.summary import YearSummary, cap_notes

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
    """Within the scope, the person in full; outside it, only that the number is valid: every field empty."""

    in_scope: bool
    person_id: int | None = None  # it opens the person's page
    name: str = ""
    id_number: str = ""
    cert_number: str = ""
    unit: str = ""
    region: str = ""
    years: tuple[YearSummary, ...] = ()  # newest first


OUTSIDE_SCOPE = QueriedPerson(in_scope=False)


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

    @property
    def cap_note(self) -> str:
        """Why a counted total (计入) is less than the hours added up, when one is."""
        return cap_notes(y for n in self.found if n.person for y in n.person.years)


class TooManyNumbers(StorageRefusal):
    """More than MAX_NUMBERS distinct numbers: refused whole rather than cut short."""


class OverDailyBudget(StorageRefusal):
    """The batch has more rows than the admin has left today: refused whole."""

    def __init__(self, rows: int, remaining: int) -> None:
        super().__init__(rows, remaining)
        self.rows, self.remaining = rows, remaining


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


def distinct_numbers(texts: list[str]) -> list[str]:
    """The numbers a batch asks for, normalised, the first of twins kept: one row each."""
    return list(dict.fromkeys(number for number in map(normalise, texts) if number))


async def query_numbers(
    admin: Admin,
    texts: list[str],
    newest_year: int,
    today: date,
    years: int = 3,
    rows_left_today: int | None = None,
) -> QueryResult:
    """Look up certificate management numbers and ID numbers, each answered found, missed or malformed.

    What is shown (PIPL, minimum necessary): a person in the admin's scope in full; a person outside it only
    as 有效, that the number names a registered holder, with no name, ID number, certificate number, unit or
    hours. The number as queried is shown, an ID number masked, so a page or export never carries the full
    ID number of someone the admin does not manage. A batch of more rows than `rows_left_today` is refused.
    """
    numbers = distinct_numbers(texts)
    if len(numbers) > MAX_NUMBERS:
        raise TooManyNumbers(len(numbers))
    if rows_left_today is not None and len(numbers) > rows_left_today:
        raise OverDailyBudget(len(numbers), rows_left_today)
    kinds = {number: _classify(number, today) for number in numbers}
    people = await _people_by_number(
        [n for n in numbers if kinds[n][0] == "cert"], [n for n in numbers if kinds[n][0] == "id"]
    )
    person_ids = [row["id"] for row in people.values()]
    in_scope = await people_in_scope(admin, person_ids)
    year_list = tuple(range(newest_year, newest_year - years, -1))
    hours = await _approved_hours([i for i in person_ids if i in in_scope], year_list)  # nobody else's is read
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
            person = (
                await _queried_person(row, hours.get(row["id"], {}), year_list, policies) if visible else OUTSIDE_SCOPE
            )
            shown = number if visible or kind == "cert" else mask_id_number(number)
            answered.append(QueriedNumber(line, shown, Outcome.FOUND, person=person))
    duplicates = len([text for text in texts if normalise(text)]) - len(numbers)
    return QueryResult(year_list, answered, duplicates)


async def _queried_person(
    row: dict, sums: dict[int, dict], years: tuple[int, ...], policies: Policies
) -> QueriedPerson:
    year_hours = []
    for year in years:
        policy = await policies.of(row["unit__region_id"], year)
        held = sums.get(year)  # none: no approved hours that year
        figures = (
            (as_hours(held["public"]), as_hours(held["professional"]), as_hours(held["from_paper"])) if held else ()
        )
        year_hours.append(YearSummary(year, policy, *figures))
    return QueriedPerson(
        in_scope=True,
        person_id=row["id"],
        name=row["name"],
        id_number=row["id_number"],
        cert_number=row["cert_number"],
        unit=row["unit__name"],
        region=row["unit__region__name"],
        years=tuple(year_hours),
    )


# Raw statements on this path: the ORM's building of 500-number IN lists and its model objects cost more than the
# queries themselves (storage.db.fetch).
_PEOPLE_BY = (
    "SELECT p.id, p.name, p.id_number, p.cert_number, u.name AS unit__name, u.region_id AS unit__region_id,"
    " r.name AS unit__region__name FROM person p LEFT JOIN unit u ON u.id = p.unit_id"
    " LEFT JOIN region r ON r.code = u.region_id WHERE p.{column} IN ({numbers})"
)


async def _people_by_number(cert_numbers: list[str], id_numbers: list[str]) -> dict[str, dict]:
    """Each number that names a person, mapped to that person's row."""
    found: dict[str, dict] = {}
    for column, numbers in (("cert_number", cert_numbers), ("id_number", id_numbers)):
        for chunk in _chunks(numbers):
            for row in await fetch(_PEOPLE_BY.format(column=column, numbers=_marks(chunk)), *chunk):
                found[row[column]] = row
    return found


async def _approved_hours(person_ids: list[int], years: tuple[int, ...]) -> dict[int, dict[int, dict]]:
    """Each person's approved hours of these years, from person_year (storage.summary_store): one row per
    person and year, kept with every change, rather than every record re-added."""
    sums: dict[int, dict[int, dict]] = {}
    for chunk in _chunks(sorted(set(person_ids))):
        rows = await fetch(
            "SELECT person_id, year, public, professional, from_paper FROM person_year"
            f" WHERE person_id IN ({_marks(chunk)}) AND year IN ({_marks(years)})",
            *chunk,
            *years,
        )
        for row in rows:
            sums.setdefault(row["person_id"], {})[row["year"]] = row
    return sums


def _marks(values: Iterable) -> str:
    return ", ".join("?" for _ in values)


async def audit_query(admin: Admin, action: str, result: QueryResult) -> None:
    """One entry per query or export: its size in rows (what the daily budget counts), and which people were
    read (by id, never by ID number)."""
    found = result.found
    await audit(
        f"admin:{admin.id}",
        action,
        f"numbers:{len(result.numbers)} found:{len(found)}",
        after={
            "rows": len(result.numbers),
            "missed": len(result.missed),
            "malformed": len(result.malformed),
            "people_in_scope": [n.person.person_id for n in found if n.person and n.person.in_scope],
            "people_outside_scope": len([n for n in found if n.person and not n.person.in_scope]),
        },
    )


@asynccontextmanager
async def rows_left(admin: Admin, since: datetime, per_day: int) -> AsyncIterator[int]:
    """`async with rows_left(...) as left:` query, then audit. One batch of an admin's at a time: its check, its
    reading and its audit entry share a transaction holding the admin's row (on SQLite every write waits its
    turn anyway), so batches sent together cannot each spend what remains."""
    async with in_transaction():
        await Admin.select_for_update().filter(id=admin.id).first()
        yield max(per_day - await rows_queried_since(admin, since), 0)


async def rows_queried_since(admin: Admin, since: datetime) -> int:
    """The rows of the admin's batch queries and exports since then, as their audit entries recorded them."""
    entries = await AuditEntry.filter(actor=f"admin:{admin.id}", action__in=QUERY_ACTIONS, at__gte=since).values_list(
        "after", flat=True
    )
    return sum(int(after.get("rows", 0)) for after in entries if isinstance(after, dict))
