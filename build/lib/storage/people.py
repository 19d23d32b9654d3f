"""Registration: one person, one certificate, one certificate management number (证书管理号)."""

from datetime import date, datetime

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from storage.audit import audit
from storage.db import fetch
from storage.errors import IdAlreadyRegistered, OpenidAlreadyBound, RebindRefused, UnitNotFound
from storage.ids import mask_id_number
from storage.models import Person, Unit
from storage.rebind_codes import spend_rebind_code

MAX_SERIAL = 999_999  # six digits per region and year


def cert_number(region_code: str, year: int, serial: int) -> str:
    """16 digits: the unit's region code, the year of registration, the serial within both."""
    return f"{region_code}{year:04d}{serial:06d}"


async def person_by_openid(openid: str) -> Person | None:
    return await Person.get_or_none(openid=openid).select_related("unit")


async def person_by_id(person_id: int) -> Person:
    return await Person.get(id=person_id)


async def person_by_id_number(id_number: str) -> Person | None:
    return await Person.get_or_none(id_number=id_number)


async def register_person(name: str, id_number: str, unit_id: int, openid: str, today: date) -> Person:
    """Create the person with a fresh number and bind the WeChat account; all or nothing."""
    try:
        async with in_transaction():
            await _refuse_if_taken(id_number, openid)
            unit = await Unit.get_or_none(id=unit_id).prefetch_related("region")
            if unit is None:
                raise UnitNotFound(unit_id)
            serial = await _next_serial(unit.region.code, today.year)
            return await Person.create(
                name=name,
                id_number=id_number,
                cert_number=cert_number(unit.region.code, today.year, serial),
                unit=unit,
                openid=openid,
            )
    except IntegrityError:
        # A concurrent registration took the ID number or the openid between our check and insert.
        await _refuse_if_taken(id_number, openid)
        raise


async def rebind_person(person_id: int, name: str, openid: str, code: str, now: datetime, pepper: str) -> Person:
    """Bind a new WeChat account to a person whose old one an admin unbound (a lost phone). The name must match
    and the admin's rebinding code be right and unused; the code is spent and the number stays. Anything else is
    RebindRefused, alike, so a wrong try does not tell which part was wrong."""
    bound = await Person.get_or_none(openid=openid)
    if bound is not None:
        raise OpenidAlreadyBound(bound.cert_number)
    async with in_transaction():
        taken = await Person.filter(id=person_id, openid=None, name=name).update(openid=openid)
        if not taken or not await spend_rebind_code(person_id, code, now, pepper):
            raise RebindRefused(person_id)  # rolls the binding back
        after = {"openid_bound": True, "by": "rebind_code"}
        await audit(f"openid:{openid}", "rebound_wechat", f"person:{person_id}", after=after)
    return await Person.get(id=person_id).select_related("unit")


async def note_attempt_on_registered(openid: str, person: Person, outcome: str) -> None:
    """Someone registering hit an ID number already registered: who, whose record, and what came of it.
    A rebinding is audited with its change (rebind_person)."""
    facts = {"id_number": mask_id_number(person.id_number), "outcome": outcome}
    await audit(f"openid:{openid}", "registration_hit", f"person:{person.id}", after=facts)


async def _refuse_if_taken(id_number: str, openid: str) -> None:
    bound = await Person.get_or_none(openid=openid)
    if bound is not None:
        raise OpenidAlreadyBound(bound.cert_number)
    registered = await Person.get_or_none(id_number=id_number)
    if registered is not None:
        raise IdAlreadyRegistered(registered.cert_number)


async def _next_serial(region_code: str, year: int) -> int:
    """Atomic increment: the upsert takes a row lock, so concurrent registrations queue, never collide."""
    rows = await fetch(
        "INSERT INTO cert_serial (region_code, year, last_serial) VALUES (?, ?, 1) "
        "ON CONFLICT (region_code, year) DO UPDATE SET last_serial = cert_serial.last_serial + 1 "
        "RETURNING last_serial",
        region_code,
        year,
    )
    serial = rows[0]["last_serial"]
    if serial > MAX_SERIAL:
        raise OverflowError(f"certificate serials for {region_code}/{year} are exhausted")
    return serial
