"""Who may see what (分级管理): the one rule for every kind of object an admin reads or acts on, in the chat,
on the console and in every export.

The rule: a province admin reaches everything; a region admin what belongs to the units of their region; a
unit admin what belongs to their unit. `reach_of` is that rule, and nothing else in the code base says it.
Each kind of object only says how it gets to its unit (its `Path`); the ORM filter (`scope_q`) and the SQL
fragment for the raw statistics (`scope_sql`) are both made from the same reach and path, so they cannot
drift apart.
"""

from dataclasses import dataclass
from enum import StrEnum

from tortoise.expressions import Q, Subquery

from storage.errors import OutOfScope
from storage.models import Admin, AdminRole, HourRecord, Person, RecordStatus, Unit


class Level(StrEnum):
    EVERYTHING = "everything"
    REGION = "region"
    UNIT = "unit"


@dataclass(frozen=True)
class Reach:
    """How far one admin sees: everything, one region (by code) or one unit (by id)."""

    level: Level
    key: int | str | None = None


def reach_of(admin: Admin) -> Reach:
    if admin.role == AdminRole.UNIT:
        return Reach(Level.UNIT, admin.unit_id)
    if admin.role == AdminRole.REGION:
        return Reach(Level.REGION, admin.region_id)
    return Reach(Level.EVERYTHING)


def reaches_everything(admin: Admin) -> bool:
    return reach_of(admin).level == Level.EVERYTHING


@dataclass(frozen=True)
class Path:
    """How one kind of object reaches its unit: the field holding the unit's id, and the field holding the
    unit's region code. None where the kind does not belong to that level (a unit admin has no seal
    application). `own`: a field that, equal to the admin's id, makes a row visible whatever the level."""

    unit: str | None
    region: str | None
    own: str | None = None

    def field(self, level: Level) -> str | None:
        return self.unit if level == Level.UNIT else self.region


PEOPLE = Path(unit="unit_id", region="unit__region_id")
RECORDS = Path(unit="person__unit_id", region="person__unit__region_id")
CERTIFICATES = Path(unit="person__unit_id", region="person__unit__region_id")
UNITS = Path(unit="id", region="region_id")
# A unit admin sees their unit's region (which seal its certificates carry).
REGIONS = Path(unit="units__id", region="code")
PLANS = Path(unit="unit_id", region="unit__region_id")
# 附件3: a region admin files for the units' admins of the region and for themselves; a unit admin keeps their
# own filing only (the unit's other admins file their own).
FILINGS = Path(unit=None, region="unit__region_id", own="id")
# 附件2 is a region's paperwork: the province and the region see it, a unit admin does not.
SEAL_APPLICATIONS = Path(unit=None, region="region_id")
# The audit log is the province's alone.
AUDIT = Path(unit=None, region=None)

_NOTHING = Q(pk__in=[])


# --- nobody decides on their own hours ------------------------------------------------------------------------
# An admin who is also a registered person is the same WeChat account in both tables: that openid is the link.
# Their own hours go to the unit's other admins or up a level (storage/admins.py admins_to_notify).


def is_own(admin: Admin, person: Person) -> bool:
    return admin.openid is not None and admin.openid == person.openid


def not_own_records_q(admin: Admin) -> Q:
    """Records that are not the admin's own, as a filter for HourRecord (a person unbound has no openid). Said
    through the one person bound to the admin's openid, so counting a province's pending records joins no one."""
    if admin.openid is None:
        return Q()
    return Q(person_id__not_in=Subquery(Person.filter(openid=admin.openid).values("id")))


def scope_q(admin: Admin, path: Path) -> Q:
    """The rows of one kind an admin may see, as a filter for that kind's model."""
    reach = reach_of(admin)
    if reach.level == Level.EVERYTHING:
        return Q()
    field = path.field(reach.level)
    seen = Q(**{field: reach.key}) if field else None
    if path.own:
        own = Q(**{path.own: admin.id})
        seen = own if seen is None else seen | own
    return _NOTHING if seen is None else seen


def scope_sql(admin: Admin, unit_alias: str = "u") -> tuple[str, list]:
    """scope_q(admin, UNITS) said in SQL over the `unit` table as `unit_alias`, for statements the ORM cannot
    say (the statistics); join a kind's table to its unit to scope it."""
    reach = reach_of(admin)
    if reach.level == Level.EVERYTHING:
        return "1 = 1", []
    return f"{unit_alias}.{UNITS.field(reach.level)} = ?", [reach.key]


# --- what the rule gives the callers: plain data ---------------------------------------------------------------


async def in_scope(admin: Admin, person: Person) -> bool:
    return await Person.filter(scope_q(admin, PEOPLE), id=person.id).exists()


async def people_in_scope(admin: Admin, person_ids: list[int], chunk: int = 500) -> set[int]:
    """Which of these people the admin may see, a chunk of ids per statement."""
    ids = sorted(set(person_ids))
    visible: set[int] = set()
    for start in range(0, len(ids), chunk):
        part = ids[start : start + chunk]
        visible.update(await Person.filter(scope_q(admin, PEOPLE), id__in=part).values_list("id", flat=True))
    return visible


async def units_in_scope(admin: Admin, region_code: str | None = None, limit: int | None = None) -> list[Unit]:
    """The units an admin oversees (within one region, if given), by name."""
    query = Unit.filter(scope_q(admin, UNITS))
    if region_code is not None:
        query = query.filter(region_id=region_code)
    query = query.order_by("name", "id")
    return await (query.limit(limit) if limit else query)


async def unit_in_scope(admin: Admin, unit_id: int) -> Unit:
    unit = await Unit.filter(scope_q(admin, UNITS), id=unit_id).first()
    if unit is None:
        raise OutOfScope(unit_id)
    return unit


@dataclass(frozen=True)
class ScopeSummary:
    """What the console's first page shows: what is waiting, and how large the scope is."""

    pending: int  # what the admin may decide: never their own
    people: int
    units: int


async def scope_summary(admin: Admin) -> ScopeSummary:
    return ScopeSummary(
        pending=await HourRecord.filter(
            scope_q(admin, RECORDS), not_own_records_q(admin), status=RecordStatus.PENDING
        ).count(),
        people=await Person.filter(scope_q(admin, PEOPLE)).count(),
        units=await Unit.filter(scope_q(admin, UNITS)).count(),
    )


def scope_key(admin: Admin) -> str:
    """What the admin may see, in one string: a session opened under another scope is over."""
    return f"{admin.role}:{admin.unit_id or '-'}:{admin.region_id or '-'}"
