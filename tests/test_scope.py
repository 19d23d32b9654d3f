"""Who may see what (分级管理): two regions of two units each, admins at every level, one object of every kind in
each unit; every admin sees exactly what the rule says, through the storage calls the chat and the console use,
and the statistics' SQL form of the rule agrees with the ORM form."""

from dataclasses import dataclass
from datetime import UTC, date, datetime

import pytest

from storage.audit import AuditQuery, audit, audit_page
from storage.batch_query import query_numbers
from storage.certificates import certificates_of
from storage.db import database, fetch
from storage.declarations import decide, pending_for_console, pending_in_scope, record_in_scope, records_of
from storage.errors import OutOfScope
from storage.filings import filing_in_scope, filings_in_scope, plan_in_scope, plan_overview, seal_applications_in_scope
from storage.models import (
    Admin,
    Category,
    CertificateSnapshot,
    HourRecord,
    Person,
    RecordStatus,
    Region,
    SealApplication,
    TrainingPlan,
    Unit,
)
from storage.people_admin import person_in_scope, search_people
from storage.regions import load_regions
from storage.scope import (
    CERTIFICATES,
    PEOPLE,
    PLANS,
    RECORDS,
    REGIONS,
    UNITS,
    in_scope,
    people_in_scope,
    scope_q,
    scope_sql,
    scope_summary,
    unit_in_scope,
    units_in_scope,
)
from tests.domain import a_registered_person, a_unit, an_admin, hours_of

ZHENGZHOU, LUOYANG = "410100", "410300"
UNITS_BY_REGION = {ZHENGZHOU: ("zz1", "zz2"), LUOYANG: ("ly1", "ly2")}
REGION_OF = {unit: region for region, units in UNITS_BY_REGION.items() for unit in units}
# admin -> (role, unit key or region code)
ADMINS = {
    "province": ("province", ""),
    "zhengzhou": ("region", ZHENGZHOU),
    "luoyang": ("region", LUOYANG),
    "zz1": ("unit", "zz1"),
    "ly2": ("unit", "ly2"),
}
NOW = datetime(2026, 5, 1, tzinfo=UTC)


def rule(admin_key: str, unit_key: str) -> bool:
    """The rule, said plainly: the province everything, a region its units, a unit itself."""
    role, where = ADMINS[admin_key]
    return role == "province" or (role == "region" and REGION_OF[unit_key] == where) or unit_key == where


@dataclass
class World:
    units: dict[str, Unit]
    people: dict[str, Person]  # one per unit, by the unit's key
    records: dict[str, HourRecord]  # one pending record per unit
    certificates: dict[str, CertificateSnapshot]
    plans: dict[str, TrainingPlan]
    admins: dict[str, Admin]
    unit_admins: dict[str, Admin]  # one filing per unit, besides the admins above
    applications: dict[str, SealApplication]  # one per region

    def visible(self, admin_key: str, objects: dict[str, object]) -> set[int]:
        return {o.id for unit_key, o in objects.items() if rule(admin_key, unit_key)}


@pytest.fixture
async def world(database_url):
    async with database(database_url):
        await load_regions()
        units = {}
        for serial, (key, region) in enumerate(REGION_OF.items(), start=900):
            units[key] = await a_unit(f"单位{key}", region, serial=serial)
        people, records, certificates, plans, unit_admins = {}, {}, {}, {}, {}
        for number, (key, unit) in enumerate(units.items()):
            person = await a_registered_person(f"o_person_{key}", name=f"人员{key}", unit=unit)
            people[key] = person
            records[key] = await hours_of(person, 2026, Category.PROFESSIONAL, "8", status=RecordStatus.PENDING)
            certificates[key] = await CertificateSnapshot.create(
                code=f"SNAP{number:04d}",
                person=person,
                record_ids=[],
                content_hash="0" * 64,
                issuer="河南省人力资源和社会保障厅",
                facts={},
                issued_at=NOW,
            )
            unit_admins[key] = await an_admin(f"o_filed_{key}", "unit", unit=unit, name="备案甲")
        admins = {}
        for key, (role, where) in ADMINS.items():
            unit = units[where] if role == "unit" else None
            admins[key] = await an_admin(f"o_admin_{key}", role, unit=unit, region=where if role == "region" else "")
        for key, unit in units.items():
            plans[key] = await TrainingPlan.create(
                unit=unit, year=2026, text="培训计划", filed_by=unit_admins[key], filed_at=NOW
            )
        applications = {
            region: await SealApplication.create(
                region_id=region,
                applicant="人力资源和社会保障局",
                issuer="人力资源和社会保障局",
                applied_on=date(2026, 4, 1),
                submitted_by=admins["zhengzhou" if region == ZHENGZHOU else "luoyang"],
            )
            for region in UNITS_BY_REGION
        }
        yield World(units, people, records, certificates, plans, admins, unit_admins, applications)


ADMIN_KEYS = pytest.mark.parametrize("who", list(ADMINS))


def ids(rows) -> set[int]:
    return {row.id for row in rows}


@ADMIN_KEYS
async def test_each_admin_sees_exactly_the_people_the_rule_gives(world, who):
    admin = world.admins[who]
    expected = world.visible(who, world.people)
    assert ids(await search_people(admin, "")) == expected
    assert await people_in_scope(admin, [p.id for p in world.people.values()]) == expected
    for key, person in world.people.items():
        assert await in_scope(admin, person) == (person.id in expected)
        if person.id in expected:
            assert (await person_in_scope(admin, person.id)).id == person.id
            assert ids(await records_of(person)) == {world.records[key].id}
            assert ids(await certificates_of(person)) == {world.certificates[key].id}
        else:
            with pytest.raises(OutOfScope):
                await person_in_scope(admin, person.id)


@ADMIN_KEYS
async def test_each_admin_sees_exactly_the_pending_records_the_rule_gives(world, who):
    admin = world.admins[who]
    expected = world.visible(who, world.records)
    records, total = await pending_in_scope(admin)
    assert ids(records) == expected and total == len(expected)
    assert ids((await pending_for_console(admin))[0]) == expected
    for record in world.records.values():
        if record.id in expected:
            assert (await record_in_scope(admin, record.id)).id == record.id
        else:
            with pytest.raises(OutOfScope):
                await record_in_scope(admin, record.id)
            with pytest.raises(OutOfScope):
                await decide(admin, record.id, True, "", NOW)
    assert (await scope_summary(admin)).pending == len(expected)


@ADMIN_KEYS
async def test_each_admin_sees_exactly_the_units_the_rule_gives(world, who):
    admin = world.admins[who]
    ours = {u.id for u in world.units.values()}
    expected = world.visible(who, world.units)
    assert ids(await units_in_scope(admin)) & ours == expected
    for unit in world.units.values():
        if unit.id in expected:
            assert (await unit_in_scope(admin, unit.id)).id == unit.id
        else:
            with pytest.raises(OutOfScope):
                await unit_in_scope(admin, unit.id)
    summary = await scope_summary(admin)
    assert summary.units == len(await units_in_scope(admin)) and summary.people == len(expected)


@ADMIN_KEYS
async def test_each_admin_sees_exactly_the_certificates_and_plans_the_rule_gives(world, who):
    admin = world.admins[who]
    certificates = await CertificateSnapshot.filter(scope_q(admin, CERTIFICATES))
    assert ids(certificates) == world.visible(who, world.certificates)
    expected_plans = world.visible(who, world.plans)
    assert {row.plan_id for row in await plan_overview(admin, 2026) if row.plan_id} == expected_plans
    for plan in world.plans.values():
        if plan.id in expected_plans:
            assert (await plan_in_scope(admin, plan.id)).id == plan.id
        else:
            with pytest.raises(OutOfScope):
                await plan_in_scope(admin, plan.id)


@ADMIN_KEYS
async def test_each_admin_sees_exactly_the_filings_the_rule_gives(world, who):
    """A region admin: the admins of the region's units, and themselves; a unit admin: their own filing only."""
    admin = world.admins[who]
    role, where = ADMINS[who]
    everyone = {a.id for a in [*world.admins.values(), *world.unit_admins.values()]}
    if role == "province":
        expected = everyone
    elif role == "region":
        unit_level = [*world.unit_admins.items(), *((k, world.admins[k]) for k in ("zz1", "ly2"))]
        expected = {a.id for unit_key, a in unit_level if REGION_OF[unit_key] == where} | {admin.id}
    else:
        expected = {admin.id}
    assert ids(await filings_in_scope(admin)) == expected
    for other in everyone - expected:
        with pytest.raises(OutOfScope):
            await filing_in_scope(admin, other)


@ADMIN_KEYS
async def test_seal_applications_are_the_regions_and_the_provinces_alone(world, who):
    admin = world.admins[who]
    role, where = ADMINS[who]
    expected = {
        a.id for region, a in world.applications.items() if role == "province" or (role == "region" and region == where)
    }
    assert ids(await seal_applications_in_scope(admin)) == expected
    regions = {r.code for r in await Region.filter(scope_q(admin, REGIONS))}
    if role == "province":
        assert {ZHENGZHOU, LUOYANG} <= regions
    else:
        assert regions == {where if role == "region" else REGION_OF[where]}


@ADMIN_KEYS
async def test_the_audit_log_is_the_provinces_alone(world, who):
    admin = world.admins[who]
    await audit("test", "looked", "nothing")
    if ADMINS[who][0] == "province":
        entries, total = await audit_page(admin, AuditQuery(action="looked"))
        assert [e.action for e in entries] == ["looked"] and total == 1
    else:
        with pytest.raises(OutOfScope):
            await audit_page(admin)


@ADMIN_KEYS
async def test_the_batch_query_shows_in_full_exactly_the_people_in_scope(world, who):
    admin = world.admins[who]
    result = await query_numbers(admin, [p.cert_number for p in world.people.values()], 2026, date(2026, 5, 1))
    shown_in_full = {n.person.person_id for n in result.found if n.person and n.person.in_scope}
    assert shown_in_full == world.visible(who, world.people)


@ADMIN_KEYS
async def test_the_sql_form_of_the_rule_agrees_with_the_orm_form(world, who):
    admin = world.admins[who]
    scope, params = scope_sql(admin, "u")
    by_sql = {
        "units": f"SELECT u.id FROM unit u WHERE {scope}",
        "people": f"SELECT p.id FROM person p JOIN unit u ON u.id = p.unit_id WHERE {scope}",
        "records": (
            "SELECT r.id FROM hour_record r JOIN person p ON p.id = r.person_id "
            f"JOIN unit u ON u.id = p.unit_id WHERE {scope}"
        ),
        "plans": f"SELECT t.id FROM training_plan t JOIN unit u ON u.id = t.unit_id WHERE {scope}",
    }
    by_orm = {
        "units": Unit.filter(scope_q(admin, UNITS)),
        "people": Person.filter(scope_q(admin, PEOPLE)),
        "records": HourRecord.filter(scope_q(admin, RECORDS)),
        "plans": TrainingPlan.filter(scope_q(admin, PLANS)),
    }
    for kind, sql in by_sql.items():
        from_sql = {row["id"] for row in await fetch(sql, *params)}
        assert from_sql == set(await by_orm[kind].values_list("id", flat=True)), kind
    assert {row["id"] for row in await fetch(by_sql["people"], *params)} == world.visible(who, world.people)
