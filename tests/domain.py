"""Arrange helpers that speak the domain."""

import itertools
from datetime import UTC, date, datetime
from decimal import Decimal

from storage.declarations import HoursEntry, declare
from storage.ids import id_check_character, uscc_check_character
from storage.models import Category, HourRecord, Person, RecordSource, RecordStatus, Unit
from storage.people import register_person
from storage.summary_store import refresh_person_years
from storage.units import add_unit

_sequence = itertools.count(100)


def an_id_number(born: str = "19850312", region: str = "410105", sequence: int | None = None) -> str:
    """A valid 18-digit ID number (GB 11643) with a fresh sequence code."""
    first17 = f"{region}{born}{(sequence if sequence is not None else next(_sequence)) % 1000:03d}"
    return first17 + id_check_character(first17)


def with_wrong_check_character(id_number: str) -> str:
    wrong = "0" if id_number[-1] != "0" else "1"
    return id_number[:-1] + wrong


def a_credit_code(serial: int) -> str:
    first17 = f"12410100MB{serial:07d}"
    return first17 + uscc_check_character(first17)


async def a_unit(name: str = "郑州市第一人民医院", region: str = "410100", serial: int | None = None) -> Unit:
    return await add_unit(name, a_credit_code(serial if serial is not None else next(_sequence)), region)


async def a_registered_person(
    openid: str, name: str = "张晓明", unit: Unit | None = None, id_number: str | None = None, year: int = 2026
) -> Person:
    unit = unit or await a_unit()
    return await register_person(name, id_number or an_id_number(), unit.id, openid, date(year, 3, 1))


async def hours_of(
    person: Person,
    year: int,
    category: Category,
    hours: str,
    status: RecordStatus = RecordStatus.APPROVED,
    source: RecordSource = RecordSource.DECLARED,
) -> HourRecord:
    """A record as if it had been decided (approved ones counted in person_year, as storage does)."""
    record = await HourRecord.create(
        person=person,
        year=year,
        category=category,
        course="继续教育课程",
        provider="河南省继续教育中心",
        studied_on=date(year, 5, 1),
        hours=Decimal(hours),
        status=status,
        source=source,
    )
    await refresh_person_years(person.id, [year])
    return record


async def an_admin(openid: str, role: str, unit: Unit | None = None, region: str = "", name: str = "管理员甲"):
    from storage.admins import add_admin, resolve_scope
    from storage.models import AdminRole

    scope = await resolve_scope(AdminRole(role), unit.credit_code if unit else "", region)
    return await add_admin(openid, scope, {"name": name}, actor="test")


async def a_declaration(person, hours: str = "8", course: str = "急诊医学进展"):
    entry = HoursEntry(2026, Category.PROFESSIONAL, course, "河南省人民医院", date(2026, 4, 1), Decimal(hours))
    return await declare(person, entry, "", datetime.now(UTC))
