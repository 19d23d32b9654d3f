"""The notice's paperwork on the console: a region's seal application (附件2), every admin's filing (附件3) and
the units' annual training plans.

Every function takes the acting admin and keeps to their scope itself (分级管理); ids outside it, and ids that
do not exist, are refused alike with OutOfScope. Each change is audited in the transaction that makes it.
"""

import hashlib
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import PurePosixPath, PureWindowsPath
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from storage.admins import FILING_FIELDS
from storage.audit import audit
from storage.certificates import file_seal
from storage.errors import AlreadyDecided, OutOfScope, StorageRefusal
from storage.models import (
    Admin,
    AdminRole,
    ApplicationStatus,
    Region,
    RegionKind,
    SealApplication,
    SealFiling,
    TrainingPlan,
    Unit,
)
from storage.outbox import enqueue
from storage.scope import FILINGS, PLANS, REGIONS, SEAL_APPLICATIONS, reaches_everything, scope_q, units_in_scope
from storage.text import is_safe_text
from storage.vocabulary import PROVINCE_ISSUER, PROVINCE_NAME, default_issuer_name


class InvalidSealApplication(StorageRefusal):
    def __init__(self, field: str) -> None:  # "applicant", "issuer", "applied_on"
        super().__init__(field)
        self.field = field


class OpenApplicationExists(StorageRefusal):
    """A region has one application waiting for the province at a time."""

    def __init__(self, application_id: int) -> None:
        super().__init__(application_id)
        self.application_id = application_id


class ReasonRequired(StorageRefusal):
    pass


class FilingTooLong(StorageRefusal):
    def __init__(self, field: str) -> None:
        super().__init__(field)
        self.field = field


class PlanRefused(StorageRefusal):
    def __init__(self, why: str) -> None:  # "year", "text", "file_name", "file_type", "file_size", "file_empty"
        super().__init__(why)
        self.why = why


def _actor(admin: Admin) -> str:
    return f"admin:{admin.id}"


def _one_line(text: str) -> str:
    return " ".join(text.split())


async def _reachable(admins) -> list[Admin]:
    """Those of `admins` who are bound to a WeChat account, so a message can reach them."""
    return await admins.filter(openid__not_isnull=True).order_by("id")


async def _tell_the_level_above(admin: Admin, fields: list[str]) -> None:
    """附件3 is filed with the level above: a unit admin's with the region's admins, a region admin's with the
    province's. The province's own admins file with nobody. Call inside the change's transaction."""
    await admin.fetch_related("unit", "region")
    if admin.role == AdminRole.UNIT and admin.unit is not None:
        above, where = Admin.filter(role=AdminRole.REGION, region_id=admin.unit.region_id), admin.unit.name
    elif admin.role == AdminRole.REGION and admin.region is not None:
        above, where = Admin.filter(role=AdminRole.PROVINCE), default_issuer_name(admin.region)
    else:
        return
    payload = {"admin_id": admin.id, "name": admin.name, "where": where, "fields": fields}
    for recipient in await _reachable(above):
        if recipient.openid != admin.openid:
            await enqueue("filing_updated", recipient.openid, payload, datetime.now(UTC))


# ---------------------------------------------------------------------------------------------------------------
# 附件2: the seal application

APPLICANT_LENGTH = (4, 100)
ISSUER_LENGTH = (4, 24)  # the issuer runs along the seal's arc: longer names do not fit legibly


@dataclass(frozen=True)
class RegionSeal:
    """Which seal a region's new certificates carry: its own once filed, else the province's."""

    region: Region
    filing: SealFiling | None

    @property
    def issuer(self) -> str:
        return self.filing.issuer if self.filing else PROVINCE_ISSUER


def _applications(admin: Admin):
    """A unit admin sees the seal status only, none of the applications (storage.scope.SEAL_APPLICATIONS)."""
    return SealApplication.filter(scope_q(admin, SEAL_APPLICATIONS))


async def seal_status_in_scope(admin: Admin) -> list[RegionSeal]:
    """The province: every region; a region: itself; a unit admin: the unit's region (read-only)."""
    regions = Region.filter(scope_q(admin, REGIONS))
    if reaches_everything(admin):
        regions = regions.exclude(kind=RegionKind.PROVINCE)  # the province's own seal needs no filing
    regions = await regions.order_by("code")
    filings = {f.region_id: f for f in await SealFiling.filter(region_id__in=[r.code for r in regions])}
    return [RegionSeal(region, filings.get(region.code)) for region in regions]


async def seal_applications_in_scope(admin: Admin, limit: int = 200) -> list[SealApplication]:
    """Newest first; waiting ones first of all, so the province sees what needs deciding."""
    applications = (
        await _applications(admin).order_by("-id").limit(limit).prefetch_related("region", "submitted_by", "decided_by")
    )
    return sorted(applications, key=lambda a: a.status != ApplicationStatus.SUBMITTED)


async def seal_application_in_scope(admin: Admin, application_id: int) -> SealApplication:
    application = (
        await _applications(admin)
        .filter(id=application_id)
        .prefetch_related("region", "submitted_by", "decided_by")
        .first()
    )
    if application is None:
        raise OutOfScope(application_id)
    return application


def default_applicant(region: Region) -> str:
    return default_issuer_name(region)


def _application_facts(application: SealApplication) -> dict[str, Any]:
    return {
        "region": application.region_id,
        "applicant": application.applicant,
        "issuer": application.issuer,
        "applied_on": application.applied_on.isoformat(),
        "status": str(application.status),
        "reject_reason": application.reject_reason,
    }


async def apply_for_seal(
    admin: Admin, applicant: str, issuer: str, applied_on: date, today: date, pilot_start: date
) -> SealApplication:
    """A region admin files 附件2 for their region; refused while an earlier one still waits. Dated from the
    year the notice's pilot began (`pilot_start`) to today."""
    if admin.role != AdminRole.REGION:
        raise OutOfScope("seal_application")
    applicant, issuer = _one_line(applicant), _one_line(issuer)
    if not APPLICANT_LENGTH[0] <= len(applicant) <= APPLICANT_LENGTH[1]:
        raise InvalidSealApplication("applicant")
    if not ISSUER_LENGTH[0] <= len(issuer) <= ISSUER_LENGTH[1]:
        raise InvalidSealApplication("issuer")
    if not date(pilot_start.year, 1, 1) <= applied_on <= today:
        raise InvalidSealApplication("applied_on")
    async with in_transaction():
        # The region's row is the lock two region admins submitting at once queue on (PostgreSQL; SQLite runs
        # one write transaction at a time anyway), so only one open application can pass the check below.
        await Region.filter(code=admin.region_id).select_for_update().first()
        waiting = await SealApplication.filter(region_id=admin.region_id, status=ApplicationStatus.SUBMITTED).first()
        if waiting is not None:
            raise OpenApplicationExists(waiting.id)
        application = await SealApplication.create(
            region_id=admin.region_id, applicant=applicant, issuer=issuer, applied_on=applied_on, submitted_by=admin
        )
        await audit(
            _actor(admin), "seal_applied", f"seal_application:{application.id}", after=_application_facts(application)
        )
        region = await Region.get(code=admin.region_id)
        payload = {"application_id": application.id, "region": region.name, "issuer": issuer, "by": admin.name}
        for province_admin in await _reachable(Admin.filter(role=AdminRole.PROVINCE)):
            await enqueue("seal_applied", province_admin.openid, payload, datetime.now(UTC))
    return await seal_application_in_scope(admin, application.id)


async def decide_seal_application(
    admin: Admin, application_id: int, approve: bool, reason: str, now: datetime
) -> SealApplication:
    """The province files (备案) or rejects an application. Filing marks the region's seal in the same transaction,
    so from then on the region's new certificates carry it; snapshots issued earlier keep the issuer they store."""
    if admin.role != AdminRole.PROVINCE:
        raise OutOfScope(application_id)
    reason = _one_line(reason)[:200]
    if not approve and not reason:
        raise ReasonRequired(application_id)
    application = await seal_application_in_scope(admin, application_id)
    status = ApplicationStatus.APPROVED if approve else ApplicationStatus.REJECTED
    async with in_transaction():
        taken = await SealApplication.filter(id=application_id, status=ApplicationStatus.SUBMITTED).update(
            status=status, decided_by_id=admin.id, decided_at=now, reject_reason="" if approve else reason
        )
        if taken:
            before = _application_facts(application)
            await application.refresh_from_db()
            await audit(
                _actor(admin),
                "seal_decided",
                f"seal_application:{application_id}",
                before,
                _application_facts(application),
            )
            if approve:
                await file_seal(application.region_id, application.issuer, now, _actor(admin))
            applicant = await Admin.get_or_none(id=application.submitted_by_id)
            if applicant is not None and applicant.openid:
                payload = {
                    "application_id": application_id,
                    "issuer": application.issuer,
                    "filed": approve,
                    "reason": reason if not approve else "",
                }
                await enqueue("seal_decided", applicant.openid, payload, now)
    if not taken:
        application = await seal_application_in_scope(admin, application_id)
        raise AlreadyDecided(str(application.status), application.decided_by.name if application.decided_by else "")
    return await seal_application_in_scope(admin, application_id)


# ---------------------------------------------------------------------------------------------------------------
# 附件3: the admins' filing


@dataclass(frozen=True)
class FilingUnit:
    """The unit rows of 附件3: a unit admin's come from the unit; a region's or the province's admin works for the
    HR bureau itself, whose code the register of units does not hold."""

    name: str
    industry: str
    code: str
    region: str


def filing_unit(admin: Admin) -> FilingUnit:
    """`admin` with unit__region and region fetched."""
    if admin.role == AdminRole.UNIT and admin.unit:
        return FilingUnit(admin.unit.name, admin.unit.industry, admin.unit.credit_code, admin.unit.region.name)
    if admin.role == AdminRole.REGION and admin.region:
        return FilingUnit(default_issuer_name(admin.region), "", "", admin.region.name)
    return FilingUnit(PROVINCE_ISSUER, "", "", PROVINCE_NAME)


def _filings(admin: Admin):
    """A unit admin: their own filing; a region admin: the admins of units in the region, and themselves; the
    province: every admin (storage.scope.FILINGS)."""
    return Admin.filter(scope_q(admin, FILINGS))


async def filings_in_scope(admin: Admin, limit: int = 2000) -> list[Admin]:
    # "province" < "region" < "unit": ordering by role puts the higher levels first.
    return (
        await _filings(admin)
        .order_by("role", "region_id", "unit_id", "id")
        .limit(limit)
        .prefetch_related("unit__region", "region")
    )


async def filing_in_scope(admin: Admin, admin_id: int) -> Admin:
    found = await _filings(admin).filter(id=admin_id).prefetch_related("unit__region", "region").first()
    if found is None:
        raise OutOfScope(admin_id)
    return found


async def export_filings(admin: Admin) -> list[Admin]:
    """The filings in scope for a spreadsheet; the export itself is audited."""
    filings = await filings_in_scope(admin)
    await audit(
        _actor(admin),
        "exported_filings",
        f"scope:{admin.role}:{admin.region_id or admin.unit_id or ''}",
        after={"rows": len(filings)},
    )
    return filings


async def update_own_filing(admin: Admin, values: dict[str, str]) -> tuple[Admin, list[str]]:
    """An admin corrects their own 附件3 fields (checked by the caller); returns the admin and what changed."""
    changes = {}
    for field in FILING_FIELDS:
        if field not in values:
            continue
        value = _one_line(values[field])
        if len(value) > Admin._meta.fields_map[field].max_length:
            raise FilingTooLong(field)
        if value != getattr(admin, field):
            changes[field] = value
    if changes:
        async with in_transaction():
            before = {field: getattr(admin, field) for field in changes}
            await Admin.filter(id=admin.id).update(**changes)
            await audit(_actor(admin), "filing_updated", f"admin:{admin.id}", before, changes)
            await _tell_the_level_above(admin, list(changes))
    return await filing_in_scope(admin, admin.id), list(changes)


# ---------------------------------------------------------------------------------------------------------------
# The annual training plan (年度专业技术人员培训计划)

PLAN_FILE_MAX_BYTES = 5 * 1024 * 1024
PLAN_TEXT_LENGTH = (2, 5000)
# Extension -> (MIME type, how the file must begin): the name alone proves nothing.
PLAN_FILE_KINDS = {
    ".pdf": ("application/pdf", (b"%PDF-",)),
    ".doc": ("application/msword", (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",)),
    ".docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", (b"PK\x03\x04",)),
    ".xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (b"PK\x03\x04",)),
    ".png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    ".jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
}


@dataclass(frozen=True)
class PlanFile:
    name: str
    data: bytes


@dataclass(frozen=True)
class PlanRow:
    """One unit of the overview and its plan for the year, if filed (without the file's bytes)."""

    unit: Unit
    plan_id: int | None = None
    file_name: str = ""
    filed_at: datetime | None = None
    filed_by: str = ""


def plan_file_type(file_name: str) -> str:
    return PLAN_FILE_KINDS.get(PurePosixPath(file_name).suffix.lower(), ("application/octet-stream", ()))[0]


def checked_plan_file(file_name: str, data: bytes) -> PlanFile:
    """A plan's file: one of the allowed kinds by name and by content, at most PLAN_FILE_MAX_BYTES."""
    name = _one_line(PureWindowsPath(file_name).name)  # no folders from the sender's disk
    if not is_safe_text(name):  # a name is typed too: an override would show it as another on every list
        raise PlanRefused("file_name")
    if not data:
        raise PlanRefused("file_empty")
    kind = PLAN_FILE_KINDS.get(PurePosixPath(name).suffix.lower())
    if kind is None or not data.startswith(kind[1]):
        raise PlanRefused("file_type")
    if len(data) > PLAN_FILE_MAX_BYTES:
        raise PlanRefused("file_size")
    if len(name) > 200:
        stem, suffix = name[: -len(PurePosixPath(name).suffix)], PurePosixPath(name).suffix
        name = stem[: 200 - len(suffix)] + suffix
    return PlanFile(name, data)


def _plan_facts(plan: TrainingPlan) -> dict[str, Any]:
    data = bytes(plan.file_data) if plan.file_data else b""
    return {
        "unit_id": plan.unit_id,
        "year": plan.year,
        "text_chars": len(plan.text),
        "file_name": plan.file_name,
        "file_bytes": len(data),
        "file_sha256": hashlib.sha256(data).hexdigest() if data else "",
    }


async def file_plan(
    admin: Admin,
    year: int,
    text: str,
    upload: PlanFile | None,
    remove_file: bool,
    today: date,
    now: datetime,
    pilot_start: date,
) -> tuple[TrainingPlan, bool]:
    """A unit admin files the unit's plan for a year, from the year the notice's pilot began to next year;
    filing the same year again replaces it (the file stays unless a new one is sent or removal is asked for).
    Returns the plan and whether it replaced an earlier one."""
    if admin.role != AdminRole.UNIT:
        raise OutOfScope("training_plan")
    if not pilot_start.year <= year <= today.year + 1:  # next year's plan is written this year
        raise PlanRefused("year")
    text = text.strip().replace("\r\n", "\n")
    if not PLAN_TEXT_LENGTH[0] <= len(text) <= PLAN_TEXT_LENGTH[1]:
        raise PlanRefused("text")
    try:
        return await _file_plan(admin, year, text, upload, remove_file, now)
    except IntegrityError:
        # Another admin of the unit created this year's plan between our check and insert: replace theirs.
        return await _file_plan(admin, year, text, upload, remove_file, now)


async def _file_plan(
    admin: Admin, year: int, text: str, upload: PlanFile | None, remove_file: bool, now: datetime
) -> tuple[TrainingPlan, bool]:
    async with in_transaction():
        plan = await TrainingPlan.filter(unit_id=admin.unit_id, year=year).select_for_update().first()
        if plan is None:
            plan = await TrainingPlan.create(
                unit_id=admin.unit_id,
                year=year,
                text=text,
                file_name=upload.name if upload else "",
                file_data=upload.data if upload else None,
                filed_by=admin,
                filed_at=now,
            )
            await audit(_actor(admin), "plan_filed", f"training_plan:{plan.id}", after=_plan_facts(plan))
            return plan, False
        before = _plan_facts(plan)
        plan.text, plan.filed_by_id, plan.filed_at = text, admin.id, now
        if upload is not None:
            plan.file_name, plan.file_data = upload.name, upload.data
        elif remove_file:
            plan.file_name, plan.file_data = "", None
        await plan.save()
        await audit(_actor(admin), "plan_refiled", f"training_plan:{plan.id}", before, _plan_facts(plan))
        return plan, True


async def plan_overview(admin: Admin, year: int) -> list[PlanRow]:
    """Every unit in scope and its plan for the year, if any; the bytes of files are not read."""
    units = await units_in_scope(admin)
    plans = await TrainingPlan.filter(scope_q(admin, PLANS), year=year).values(
        "id", "unit_id", "file_name", "filed_at", "filed_by__name"
    )
    by_unit = {p["unit_id"]: p for p in plans}
    rows = []
    for unit in units:
        plan = by_unit.get(unit.id)
        if plan is None:
            rows.append(PlanRow(unit))
        else:
            rows.append(PlanRow(unit, plan["id"], plan["file_name"], plan["filed_at"], plan["filed_by__name"] or ""))
    return rows


async def plans_of_own_unit(admin: Admin) -> list[dict[str, Any]]:
    """A unit admin's list of the unit's plans, newest year first."""
    if admin.role != AdminRole.UNIT:
        return []
    return (
        await TrainingPlan.filter(unit_id=admin.unit_id)
        .order_by("-year")
        .values("id", "year", "file_name", "filed_at", "filed_by__name")
    )


async def plan_in_scope(admin: Admin, plan_id: int) -> TrainingPlan:
    plans = TrainingPlan.filter(scope_q(admin, PLANS), id=plan_id)
    plan = await plans.prefetch_related("unit__region", "filed_by").first()
    if plan is None:
        raise OutOfScope(plan_id)
    return plan


async def plan_file_in_scope(admin: Admin, plan_id: int) -> PlanFile | None:
    """The plan's file for download, audited; None when the plan has no file."""
    plan = await plan_in_scope(admin, plan_id)
    if not plan.file_data:
        return None
    await audit(_actor(admin), "exported_plan_file", f"training_plan:{plan.id}", after={"file_name": plan.file_name})
    return PlanFile(plan.file_name, bytes(plan.file_data))
