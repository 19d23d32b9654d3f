"""Hours declared, reviewed, transferred from paper and imported. Only approved records count."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from storage.admins import admins_to_notify
from storage.audit import audit, record_facts
from storage.corrections import void_reasons
from storage.errors import AlreadyDecided, DuplicateRecord, OutOfScope, OwnRecord, PersonNotFound, RecordNotFound
from storage.hours import year_summary_of
from storage.ids import is_digits, mask_id_number, normalise
from storage.models import Admin, Category, HourRecord, Person, RecordSource, RecordStatus
from storage.outbox import enqueue
from storage.scope import RECORDS, in_scope, is_own, not_own_records_q, scope_q
from storage.summary_store import refresh_person_years

MAX_HOURS_PER_RECORD = Decimal(90)  # a whole year's requirement in one record is already generous
MAX_TEXT = 100
FIRST_YEAR = 2000


class EntryProblem(StrEnum):
    YEAR = "year"
    DATE_OUTSIDE_YEAR = "date_outside_year"
    DATE_IN_FUTURE = "date_in_future"
    DATE_AFTER_PAPER_VOID = "date_after_paper_void"
    HOURS = "hours"
    TEXT = "text"


class InvalidEntry(ValueError):
    def __init__(self, problem: EntryProblem) -> None:
        super().__init__(problem.value)
        self.problem = problem


@dataclass(frozen=True)
class HoursEntry:
    """One record's facts, checked: what a declaration, a transfer and an import row all carry."""

    year: int
    category: Category
    course: str
    provider: str
    studied_on: date
    hours: Decimal


def check_year(year: int, today: date) -> int:
    if not FIRST_YEAR <= year <= today.year:
        raise InvalidEntry(EntryProblem.YEAR)
    return year


def check_hours(text: str | Decimal) -> Decimal:
    """Positive, whole or half hours, at most MAX_HOURS_PER_RECORD."""
    try:
        hours = Decimal(str(text).strip())
    except InvalidOperation:
        raise InvalidEntry(EntryProblem.HOURS) from None
    if not (hours.is_finite() and 0 < hours <= MAX_HOURS_PER_RECORD and (hours * 2) % 1 == 0):
        raise InvalidEntry(EntryProblem.HOURS)
    return hours.quantize(Decimal("0.1"))


def check_text(text: str) -> str:
    text = " ".join(text.split())
    if not 2 <= len(text) <= MAX_TEXT:
        raise InvalidEntry(EntryProblem.TEXT)
    return text


def check_date(studied_on: date, year: int, today: date, latest: date | None = None) -> date:
    """Inside the record's year, not in the future, and (for paper transfers) not after `latest`."""
    if studied_on > today:
        raise InvalidEntry(EntryProblem.DATE_IN_FUTURE)
    if studied_on.year != year:
        raise InvalidEntry(EntryProblem.DATE_OUTSIDE_YEAR)
    if latest is not None and studied_on > latest:
        raise InvalidEntry(EntryProblem.DATE_AFTER_PAPER_VOID)
    return studied_on


def check_entry(entry: HoursEntry, today: date, latest: date | None = None) -> HoursEntry:
    check_year(entry.year, today)
    check_date(entry.studied_on, entry.year, today, latest)
    return HoursEntry(
        entry.year,
        entry.category,
        check_text(entry.course),
        check_text(entry.provider),
        entry.studied_on,
        check_hours(entry.hours),
    )


def _new_record(person: Person, entry: HoursEntry, **extra: Any) -> HourRecord:
    return HourRecord(
        person=person,
        year=entry.year,
        category=entry.category,
        course=entry.course,
        provider=entry.provider,
        studied_on=entry.studied_on,
        hours=entry.hours,
        **extra,
    )


def _summary(person: Person, record: HourRecord) -> dict[str, Any]:
    """The facts a notification needs; the ID number never travels."""
    return {
        "record_id": record.id,
        "name": person.name,
        "cert_number": person.cert_number,
        "year": record.year,
        "category": str(record.category),
        "course": record.course,
        "hours": str(record.hours),
    }


async def declare(person: Person, entry: HoursEntry, evidence_media_id: str, now: datetime) -> HourRecord:
    """A pending record, its admins told and its evidence fetched, all or nothing."""
    await person.fetch_related("unit")
    async with in_transaction():
        record = _new_record(person, entry, evidence_media_id=evidence_media_id)
        await record.save()
        await audit(f"person:{person.id}", "declared", f"hour_record:{record.id}", after=record_facts(record))
        for admin in await admins_to_notify(person.unit, person.openid):
            payload = _summary(person, record) | {"unit": person.unit.name}
            await enqueue("declaration_submitted", admin.openid, payload, now)
        if evidence_media_id and person.openid:
            payload = {"record_id": record.id, "media_id": evidence_media_id}
            await enqueue("fetch_evidence", person.openid, payload, now)
    return record


async def store_evidence(record_id: int, image: bytes) -> None:
    await HourRecord.filter(id=record_id).update(evidence=image)


@dataclass(frozen=True)
class RecordLine:
    """One record as the person's own list shows it."""

    id: int
    year: int
    category: Category
    course: str
    hours: Decimal
    status: RecordStatus
    source: RecordSource
    decided_at: datetime | None
    reject_reason: str
    paper_cert_number: str
    void_reason: str = ""  # for a voided record


@dataclass(frozen=True)
class OwnRecords:
    pending: list[RecordLine]  # oldest first
    pending_total: int
    decided: list[RecordLine]  # approved, rejected, transferred and imported of the period, newest first
    decided_total: int  # how many of those there are in all


HISTORY = timedelta(days=365)  # 我的申报 looks back 12 months


def _line(record: HourRecord, void_reason: str = "") -> RecordLine:
    return RecordLine(
        record.id,
        record.year,
        record.category,
        record.course,
        record.hours,
        record.status,
        record.source,
        record.decided_at,
        record.reject_reason,
        record.paper_cert_number,
        void_reason,
    )


async def own_records(person: Person, now: datetime, limit: int = 10) -> OwnRecords:
    """我的申报: what waits for review, and what was decided, transferred or imported in the last 12 months."""
    waiting = HourRecord.filter(person_id=person.id, status=RecordStatus.PENDING)
    pending = await waiting.order_by("id").limit(limit)
    decided = HourRecord.filter(
        person_id=person.id,
        status__in=(RecordStatus.APPROVED, RecordStatus.REJECTED, RecordStatus.VOIDED),
        decided_at__gte=now - HISTORY,
    )
    newest = await decided.order_by("-decided_at", "-id").limit(limit)
    voided = await void_reasons([r.id for r in newest if r.status == RecordStatus.VOIDED])
    return OwnRecords(
        [_line(r) for r in pending],
        await waiting.count(),
        [_line(r, voided.get(r.id, "")) for r in newest],
        await decided.count(),
    )


async def withdraw(person: Person, record_id: int) -> HourRecord:
    async with in_transaction():
        taken = await HourRecord.filter(id=record_id, person_id=person.id, status=RecordStatus.PENDING).update(
            status=RecordStatus.WITHDRAWN
        )
        if not taken:
            raise RecordNotFound(record_id)
        record = await HourRecord.get(id=record_id)
        await audit(
            f"person:{person.id}",
            "withdrew",
            f"hour_record:{record_id}",
            before={"status": "pending"},
            after={"status": "withdrawn"},
        )
    return record


def pending_query(admin: Admin) -> QuerySet[HourRecord]:
    """The pending records an admin may decide: their scope, never their own (hour_record_pending serves it)."""
    return HourRecord.filter(scope_q(admin, RECORDS), not_own_records_q(admin), status=RecordStatus.PENDING)


async def pending_in_scope(admin: Admin, limit: int = 20) -> tuple[list[HourRecord], int]:
    """The oldest pending records an admin may decide (never their own), and how many there are in all."""
    query = pending_query(admin)
    records = await query.order_by("id").limit(limit).prefetch_related("person__unit")
    return records, await query.count()


async def pending_for_console(
    admin: Admin,
    unit_id: int | None = None,
    year: int | None = None,
    category: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[HourRecord], int]:
    """A page of the pending records an admin may decide (never their own), oldest first, narrowed by unit, year
    and category; and how many there are in all."""
    query = pending_query(admin)
    if unit_id:
        query = query.filter(person__unit_id=unit_id)
    if year:
        query = query.filter(year=year)
    if category:
        query = query.filter(category=category)
    page = await query.order_by("id").offset(offset).limit(limit).prefetch_related("person__unit")
    return page, await query.count()


async def record_in_scope(admin: Admin, record_id: int) -> HourRecord:
    record = await HourRecord.filter(scope_q(admin, RECORDS), id=record_id).first()
    if record is None:
        raise OutOfScope(record_id)
    return record


async def records_to_decide(
    admin: Admin, record_ids: list[int]
) -> tuple[list[HourRecord], dict[int, RecordNotFound | OutOfScope | OwnRecord]]:
    """A batch as the admin chose it: the records they may decide, in the order chosen, and why each of the others
    may not be (the refusals `decide` would give). The console refuses a batch with any of the second kind whole,
    so a batch never changes by half. A record another admin has decided meanwhile is of the first kind: `decide`
    says who decided it."""
    found = {r.id: r for r in await HourRecord.filter(id__in=record_ids).prefetch_related("person__unit")}
    visible = set(await HourRecord.filter(scope_q(admin, RECORDS), id__in=record_ids).values_list("id", flat=True))
    records: list[HourRecord] = []
    refused: dict[int, RecordNotFound | OutOfScope | OwnRecord] = {}
    for record_id in record_ids:
        record = found.get(record_id)
        if record is None or record.status == RecordStatus.WITHDRAWN:
            refused[record_id] = RecordNotFound(record_id)
        elif record_id not in visible:
            refused[record_id] = OutOfScope(record_id)
        elif is_own(admin, record.person):
            refused[record_id] = OwnRecord(record_id)
        else:
            records.append(record)
    return records, refused


async def records_of(person: Person) -> list[HourRecord]:
    """All of a person's records, newest first; the caller has checked the person is in scope."""
    return await HourRecord.filter(person_id=person.id).order_by("-year", "-studied_on", "-id")


async def decide(admin: Admin, record_id: int, approve: bool, reason: str, now: datetime) -> HourRecord:
    """Approve or reject a pending record. Of two admins deciding at once exactly one succeeds: the
    status change is a conditional UPDATE, so the loser finds the record decided and learns by whom. Nobody
    decides on their own hours (OwnRecord): the record stays pending for the admins it was sent to."""
    record = await HourRecord.get_or_none(id=record_id).prefetch_related("person__unit")
    if record is None or record.status == RecordStatus.WITHDRAWN:
        raise RecordNotFound(record_id)
    if not await in_scope(admin, record.person):
        raise OutOfScope(record_id)
    if is_own(admin, record.person):
        raise OwnRecord(record_id)
    status = RecordStatus.APPROVED if approve else RecordStatus.REJECTED
    async with in_transaction():
        taken = await HourRecord.filter(id=record_id, status=RecordStatus.PENDING).update(
            status=status, decided_by_id=admin.id, decided_at=now, reject_reason=reason
        )
        if taken:
            before = record_facts(record)
            await record.refresh_from_db()
            if approve:
                await refresh_person_years(record.person_id, [record.year])
            await audit(f"admin:{admin.id}", "decided", f"hour_record:{record_id}", before, record_facts(record))
            if record.person.openid:
                payload = _summary(record.person, record) | {"approved": approve, "reason": reason}
                payload["year_summary"] = (await year_summary_of(record.person.id, record.year)).figures()
                await enqueue("declaration_decided", record.person.openid, payload, now)
    if not taken:
        await record.refresh_from_db()
        await record.fetch_related("decided_by")
        raise AlreadyDecided(str(record.status), record.decided_by.name if record.decided_by else "")
    return record


# The records a new one may repeat: what waits for review and what counts. A rejected, withdrawn or voided record
# is no obstacle to entering the hours again.
_STANDING = (RecordStatus.PENDING, RecordStatus.APPROVED)


async def same_record(person_id: int, entry: HoursEntry, paper_cert_number: str = "") -> HourRecord | None:
    """A standing record that this entry repeats: the same paper certificate number, year, course and hours."""
    candidates = await HourRecord.filter(
        person_id=person_id,
        year=entry.year,
        course=entry.course,
        paper_cert_number=paper_cert_number,
        status__in=_STANDING,
    ).order_by("id")
    return next((r for r in candidates if Decimal(r.hours) == Decimal(entry.hours)), None)


async def similar_records(person_id: int, year: int, course: str) -> list[HourRecord]:
    """Standing records of the same year and course: perhaps the same hours entered again, perhaps not."""
    return await HourRecord.filter(person_id=person_id, year=year, course=course, status__in=_STANDING).order_by("id")


async def record_by_id(record_id: int) -> HourRecord | None:
    return await HourRecord.get_or_none(id=record_id)


async def find_person(number: str) -> Person | None:
    """By certificate management number (16 digits) or ID number (18 characters)."""
    key = normalise(number)
    if len(key) == 16 and is_digits(key):
        return await Person.get_or_none(cert_number=key).prefetch_related("unit__region")
    if len(key) == 18:
        return await Person.get_or_none(id_number=key).prefetch_related("unit__region")
    return None


async def transfer_paper_hours(
    admin: Admin, person: Person, paper_cert_number: str, entry: HoursEntry, now: datetime
) -> HourRecord:
    """学时转登: a paper certificate's hours, approved on entry and marked as transferred; never by the admin
    for their own record (OwnRecord)."""
    if not await in_scope(admin, person):
        raise OutOfScope(person.id)
    if is_own(admin, person):
        raise OwnRecord(person.id)
    async with in_transaction():
        if (earlier := await same_record(person.id, entry, paper_cert_number)) is not None:
            raise DuplicateRecord(earlier.id)
        record = _new_record(
            person,
            entry,
            status=RecordStatus.APPROVED,
            source=RecordSource.PAPER,
            paper_cert_number=paper_cert_number,
            recorded_by=admin,
            decided_by=admin,
            decided_at=now,
        )
        await record.save()
        await refresh_person_years(person.id, [record.year])
        await audit(f"admin:{admin.id}", "transferred", f"hour_record:{record.id}", after=record_facts(record))
        if person.openid:
            payload = _summary(person, record) | {"paper_cert_number": paper_cert_number}
            payload["year_summary"] = (await year_summary_of(person.id, record.year)).figures()
            await enqueue("hours_transferred", person.openid, payload, now)
    return record


@dataclass(frozen=True)
class ImportRow:
    line: int
    number: str  # certificate management number or ID number
    entry: HoursEntry


IMPORT_NOTICE_RECORDS = 5  # the records an import notice names; the rest it counts


async def import_hours(rows: list[ImportRow], actor: str, now: datetime) -> int:
    """Bulk import: every row has been checked by the caller; all land or none do. Each person with a
    WeChat account is told once, of all their rows together."""
    people = {}
    for row in rows:
        person = await find_person(row.number)
        if person is None:
            raise PersonNotFound(row.line)
        people[row.line] = person
    imported: dict[int, list[HourRecord]] = {}
    async with in_transaction():
        for row in rows:
            person = people[row.line]
            if (earlier := await same_record(person.id, row.entry)) is not None:
                raise DuplicateRecord(earlier.id, row.line)
            record = _new_record(
                person, row.entry, status=RecordStatus.APPROVED, source=RecordSource.IMPORTED, decided_at=now
            )
            await record.save()
            facts = record_facts(record) | {"person": mask_id_number(person.id_number)}
            await audit(actor, "imported", f"hour_record:{record.id}", after=facts)
            imported.setdefault(person.id, []).append(record)
        for person_id in sorted(imported):  # in one order, so two imports of the same people cannot deadlock
            await refresh_person_years(person_id, {r.year for r in imported[person_id]})
        for person in {p.id: p for p in people.values()}.values():
            if person.openid:
                payload = _import_summary(person, imported[person.id])
                years = sorted({r.year for r in imported[person.id]})
                payload["year_summaries"] = [(await year_summary_of(person.id, y)).figures() for y in years]
                await enqueue("hours_imported", person.openid, payload, now)
    return len(rows)


def _import_summary(person: Person, records: list[HourRecord]) -> dict[str, Any]:
    shown = records[:IMPORT_NOTICE_RECORDS]
    return {
        "name": person.name,
        "cert_number": person.cert_number,
        "count": len(records),
        "hours": str(sum((r.hours for r in records), Decimal(0))),
        "records": [_summary(person, r) for r in shown],
    }
