"""Admins manage their own tree (分级管理): region and province admins add and correct the units in their scope,
one at a time or from a table (all or nothing), invite admins for units and regions in their scope, and remove
admins in their scope, which ends their console sessions at once.

Every function takes the acting admin and keeps to their scope itself (storage/scope.py); ids outside it are
refused with OutOfScope, as ids that do not exist. Each change is audited in the transaction that makes it.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from storage.admins import Scope, create_invite
from storage.audit import audit
from storage.console_sessions import close_sessions_of
from storage.errors import OutOfScope, StorageRefusal
from storage.ids import is_credit_code, normalise
from storage.models import Admin, AdminInvite, AdminRole, ConsoleLink, Region, RegionKind, Unit
from storage.scope import FILINGS, UNITS, reach_of, reaches_everything, scope_q
from storage.text import is_safe_text

UNIT_NAME_LENGTH = (2, 100)
INDUSTRY_LENGTH = 50
LISTED_AT_MOST = 50


class UnitRefused(StorageRefusal):
    """A unit cannot be added or corrected as asked; `why` names the problem, `name` a unit it collides with."""

    def __init__(self, why: str, name: str = "") -> None:  # "name", "code", "region", "duplicate", "industry"
        super().__init__(why)
        self.why = why
        self.name = name


@dataclass(frozen=True)
class UnitLine:
    """One line of an import, as read: its line number in the file and its cells."""

    line: int
    name: str
    credit_code: str
    region_code: str
    industry: str = ""


class ImportRefused(StorageRefusal):
    """Nothing was imported; every bad line is listed as (line number, UnitRefused)."""

    def __init__(self, problems: list[tuple[int, UnitRefused]]) -> None:
        super().__init__(f"{len(problems)} bad lines")
        self.problems = problems


class AdminRemovalRefused(StorageRefusal):
    def __init__(self, why: str) -> None:  # "self", "removed"
        super().__init__(why)
        self.why = why


def _actor(admin: Admin) -> str:
    return f"admin:{admin.id}"


def can_manage(admin: Admin) -> bool:
    """Units and admins are managed by the region and the province; a unit admin keeps their own filing only."""
    return admin.role in (AdminRole.REGION, AdminRole.PROVINCE)


def _managing(admin: Admin) -> None:
    if not can_manage(admin):
        raise OutOfScope("tree")


# --- units ------------------------------------------------------------------------------------------------------


async def regions_for_units(admin: Admin) -> list[Region]:
    """Where the admin may put a unit: their own region, or (the province) every region and the province itself
    (its code holds the units it oversees directly, 省直单位)."""
    _managing(admin)
    if reaches_everything(admin):
        return await Region.all().order_by("code")
    return await Region.filter(code=admin.region_id)


async def units_listed(admin: Admin, text: str = "", offset: int = 0) -> tuple[list[Unit], int]:
    """A page of the units in scope, by name, whose name or credit code contains `text`; and how many match."""
    _managing(admin)
    units = Unit.filter(scope_q(admin, UNITS))
    if text.strip():
        code = normalise(text)
        units = units.filter(Q(name__icontains=text.strip()) | Q(credit_code__contains=code))
    total = await units.count()
    page = await units.order_by("name", "id").offset(offset).limit(LISTED_AT_MOST).prefetch_related("region")
    return page, total


async def unit_managed(admin: Admin, unit_id: int) -> Unit:
    _managing(admin)
    unit = await Unit.filter(scope_q(admin, UNITS), id=unit_id).prefetch_related("region").first()
    if unit is None:
        raise OutOfScope(unit_id)
    return unit


def _checked_name(name: str) -> str:
    name = " ".join(name.split())
    if not UNIT_NAME_LENGTH[0] <= len(name) <= UNIT_NAME_LENGTH[1] or not is_safe_text(name):
        raise UnitRefused("name")
    return name


async def _checked_region(admin: Admin, region_code: str) -> Region:
    region = await Region.get_or_none(code=region_code.strip())
    if region is None:
        raise UnitRefused("region")
    if not reaches_everything(admin) and region.code != admin.region_id:
        raise OutOfScope(region_code)
    return region


async def _checked_line(admin: Admin, line: UnitLine) -> tuple[str, str, Region, str]:
    name = _checked_name(line.name)
    code = normalise(line.credit_code)
    if not is_credit_code(code):
        raise UnitRefused("code")
    if not line.region_code.strip():
        raise UnitRefused("region")
    try:
        region = await _checked_region(admin, line.region_code)
    except OutOfScope:
        raise UnitRefused("region_scope") from None
    industry = " ".join(line.industry.split())
    if len(industry) > INDUSTRY_LENGTH or not is_safe_text(industry):
        raise UnitRefused("industry")
    existing = await Unit.get_or_none(credit_code=code)
    if existing is not None:
        raise UnitRefused("duplicate", existing.name)
    return name, code, region, industry


async def add_unit_managed(admin: Admin, line: UnitLine) -> Unit:
    _managing(admin)
    name, code, region, industry = await _checked_line(admin, line)
    try:
        async with in_transaction():
            unit = await Unit.create(name=name, credit_code=code, region=region, industry=industry)
            await audit(_actor(admin), "unit_added", f"unit:{unit.id}", after=_unit_facts(unit))
    except IntegrityError:  # the same code added by someone else a moment ago
        raise UnitRefused("duplicate", name) from None
    return unit


async def import_units(admin: Admin, lines: list[UnitLine]) -> int:
    """All lines or none: every problem of every line is found before anything is written."""
    _managing(admin)
    problems: list[tuple[int, UnitRefused]] = []
    checked = []
    first_line_of: dict[str, int] = {}
    for line in lines:
        try:
            name, code, region, industry = await _checked_line(admin, line)
        except UnitRefused as refused:
            problems.append((line.line, refused))
            continue
        if code in first_line_of:
            problems.append((line.line, UnitRefused("repeated", f"第 {first_line_of[code]} 行")))
            continue
        first_line_of[code] = line.line
        checked.append((name, code, region, industry))
    if problems:
        raise ImportRefused(problems)
    try:
        async with in_transaction():
            for name, code, region, industry in checked:
                await Unit.create(name=name, credit_code=code, region=region, industry=industry)
            await audit(
                _actor(admin),
                "units_imported",
                f"scope:{reach_of(admin).key or 'province'}",
                after={"units": len(checked)},
            )
    except IntegrityError:  # a code added meanwhile: check again to name it
        return await import_units(admin, lines)
    return len(checked)


async def correct_unit(admin: Admin, unit_id: int, name: str, region_code: str) -> Unit:
    """A unit's name, or (the province) its region; its people, admins and records follow it."""
    unit = await unit_managed(admin, unit_id)
    new_name = _checked_name(name)
    region = await _checked_region(admin, region_code or unit.region_id)
    before = _unit_facts(unit)
    if new_name == unit.name and region.code == unit.region_id:
        return unit
    async with in_transaction():
        await Unit.filter(id=unit.id).update(name=new_name, region_id=region.code)
        unit = await unit_managed(admin, unit.id)
        await audit(_actor(admin), "unit_corrected", f"unit:{unit.id}", before, _unit_facts(unit))
    return unit


def _unit_facts(unit: Unit) -> dict[str, str]:
    return {"name": unit.name, "credit_code": unit.credit_code, "region": unit.region_id, "industry": unit.industry}


# --- admins -----------------------------------------------------------------------------------------------------


async def admins_managed(admin: Admin) -> list[Admin]:
    """The admins in scope (as 附件3's filings reach them), bound ones first, then by level."""
    _managing(admin)
    admins = await Admin.filter(scope_q(admin, FILINGS)).order_by("role", "region_id", "unit_id", "id").limit(2000)
    await Admin.fetch_for_list(admins, "unit__region", "region")
    return sorted(admins, key=lambda a: a.openid is None)


async def invite_managed(
    admin: Admin, role: AdminRole, unit_id: int | None, region_code: str, now: datetime, valid_for: timedelta
) -> AdminInvite:
    """An invite for a unit or region in scope; the province alone invites region and province admins of any
    region."""
    _managing(admin)
    if role == AdminRole.UNIT:
        if unit_id is None:
            raise OutOfScope("unit")
        unit = await unit_managed(admin, unit_id)
        scope = Scope(role, unit, None)
    elif role == AdminRole.REGION:
        region = await Region.get_or_none(code=region_code)
        if region is None or region.kind == RegionKind.PROVINCE:
            raise OutOfScope(region_code)
        if not reaches_everything(admin) and region.code != admin.region_id:
            raise OutOfScope(region_code)
        scope = Scope(role, None, region)
    else:
        if not reaches_everything(admin):
            raise OutOfScope("province")
        scope = Scope(role, None, None)
    async with in_transaction():
        invite = await create_invite(scope, now, valid_for)
        target = f"unit:{unit_id}" if role == AdminRole.UNIT else f"region:{region_code or 'province'}"
        await audit(_actor(admin), "admin_invited", target, after={"role": str(role), "invite": invite.id})
    return invite


async def admin_managed(admin: Admin, admin_id: int) -> Admin:
    _managing(admin)
    found = await Admin.filter(scope_q(admin, FILINGS), id=admin_id).prefetch_related("unit__region", "region").first()
    if found is None:
        raise OutOfScope(admin_id)
    return found


async def remove_admin(admin: Admin, admin_id: int) -> Admin:
    """The admin's WeChat account is unbound from the role and every console session and sign-in link of theirs
    ends now. The row stays, for the records it decided and the filings it holds."""
    removed = await admin_managed(admin, admin_id)
    if removed.id == admin.id:
        raise AdminRemovalRefused("self")
    if removed.openid is None:
        raise AdminRemovalRefused("removed")
    async with in_transaction():
        taken = await Admin.filter(id=removed.id, openid=removed.openid).update(openid=None)
        if not taken:
            raise AdminRemovalRefused("removed")
        await close_sessions_of(removed.id)
        await ConsoleLink.filter(admin_id=removed.id, used_at=None).update(expires_at=datetime.now(UTC))
        facts = {"name": removed.name, "role": str(removed.role), "unit": removed.unit_id, "region": removed.region_id}
        await audit(_actor(admin), "admin_removed", f"admin:{removed.id}", before=facts)
    return removed
