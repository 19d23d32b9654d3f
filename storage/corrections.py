"""Approved hours are corrected, never silently: an admin in scope voids (作废) or corrects (更正) an approved record
with a reason. In one transaction the record changes, a RecordCorrection keeps the reason and the facts before
and after, the audit log gets the same, and the person is told (the outbox). The next certificate reflects the
change; the verification page of a certificate that showed the record reads the corrections since its issue."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from tortoise.transactions import in_transaction

from storage.audit import audit, record_facts
from storage.errors import AlreadyVoided, NotApproved, NothingToCorrect, OutOfScope, OwnRecord, RecordNotFound
from storage.models import Admin, CorrectionKind, HourRecord, RecordCorrection, RecordStatus
from storage.outbox import enqueue
from storage.scope import in_scope, is_own
from storage.summary_store import refresh_person_years

MAX_REASON = 200


async def _record_to_change(admin: Admin, record_id: int) -> HourRecord:
    record = await HourRecord.get_or_none(id=record_id).prefetch_related("person")
    if record is None:
        raise RecordNotFound(record_id)
    if not await in_scope(admin, record.person):
        raise OutOfScope(record_id)
    if is_own(admin, record.person):
        raise OwnRecord(record_id)
    return record


async def _why_untouched(record: HourRecord) -> Exception:
    """The conditional update found the record no longer approved (or changed meanwhile): say what it is."""
    await record.refresh_from_db()
    if record.status == RecordStatus.VOIDED:
        void = await RecordCorrection.filter(record_id=record.id, kind=CorrectionKind.VOID).order_by("-id").first()
        return AlreadyVoided(void.at if void else None, void.reason if void else "")
    if record.status != RecordStatus.APPROVED:
        return NotApproved(str(record.status))
    return NothingToCorrect(record.id)


def _notice(record: HourRecord, before: dict[str, Any], reason: str) -> dict[str, Any]:
    """The facts a notification needs; the ID number never travels."""
    return {
        "record_id": record.id,
        "year": record.year,
        "category": str(record.category),
        "course": before["course"],
        "hours": before["hours"],
        "reason": reason,
    }


async def void_record(admin: Admin, record_id: int, reason: str, now: datetime) -> HourRecord:
    """作废: the record stops counting. Of two admins voiding at once one does it; the other learns it is done."""
    record = await _record_to_change(admin, record_id)
    reason = reason.strip()[:MAX_REASON]
    async with in_transaction():
        taken = await HourRecord.filter(id=record_id, status=RecordStatus.APPROVED).update(status=RecordStatus.VOIDED)
        if taken:
            before = record_facts(record)
            await record.refresh_from_db()
            await refresh_person_years(record.person_id, [record.year])
            await _keep(admin, record, CorrectionKind.VOID, reason, before, now)
            if record.person.openid:
                await enqueue("record_voided", record.person.openid, _notice(record, before, reason), now)
    if not taken:
        raise await _why_untouched(record)
    return record


async def correct_record(
    admin: Admin, record_id: int, hours: Decimal, course: str, reason: str, now: datetime
) -> HourRecord:
    """更正: the hours or the course of an approved record, checked by the caller (check_hours, check_text)."""
    record = await _record_to_change(admin, record_id)
    if Decimal(record.hours) == hours and record.course == course:
        raise NothingToCorrect(record_id)
    reason = reason.strip()[:MAX_REASON]
    async with in_transaction():
        # Conditional on what the admin saw, so a change made meanwhile is not overwritten unseen.
        taken = await HourRecord.filter(
            id=record_id, status=RecordStatus.APPROVED, course=record.course, hours=record.hours
        ).update(hours=hours, course=course)
        if taken:
            before = record_facts(record)
            await record.refresh_from_db()
            await refresh_person_years(record.person_id, [record.year])
            await _keep(admin, record, CorrectionKind.CORRECT, reason, before, now)
            if record.person.openid:
                after = record_facts(record)
                payload = _notice(record, before, reason) | {"new_course": after["course"], "new_hours": after["hours"]}
                await enqueue("record_corrected", record.person.openid, payload, now)
    if not taken:
        raise await _why_untouched(record)
    return record


async def _keep(
    admin: Admin, record: HourRecord, kind: CorrectionKind, reason: str, before: dict[str, Any], now: datetime
) -> None:
    after = record_facts(record)
    await RecordCorrection.create(
        record_id=record.id, kind=kind, reason=reason, before=before, after=after, admin=admin, at=now
    )
    actor, target, after = f"admin:{admin.id}", f"hour_record:{record.id}", after | {"reason": reason}
    if kind == CorrectionKind.VOID:
        await audit(actor, "voided", target, before, after)
    else:
        await audit(actor, "corrected", target, before, after)


@dataclass(frozen=True)
class Change:
    """One void or correction of a record, as a verifier reads it."""

    kind: CorrectionKind
    at: datetime
    reason: str
    year: int
    course: str  # before
    hours: str  # before
    new_course: str
    new_hours: str


async def changes_since(record_ids: list[int], since: datetime) -> list[Change]:
    """What was voided or corrected, after `since`, of these records, oldest first."""
    if not record_ids:
        return []
    rows = await RecordCorrection.filter(record_id__in=record_ids, at__gt=since).order_by("at", "id")
    return [
        Change(
            row.kind,
            row.at,
            row.reason,
            row.before["year"],
            row.before["course"],
            row.before["hours"],
            row.after["course"],
            row.after["hours"],
        )
        for row in rows
    ]


async def void_reasons(record_ids: list[int]) -> dict[int, str]:
    """Why each of these voided records was voided."""
    if not record_ids:
        return {}
    voids = await RecordCorrection.filter(record_id__in=record_ids, kind=CorrectionKind.VOID).order_by("id")
    return {row.record_id: row.reason for row in voids}
