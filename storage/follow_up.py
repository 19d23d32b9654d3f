"""HR follow-up: for a year, the people in a unit (or a region) who have not met the requirement, what each still
needs, and a reminder to them through the outbox, at most once a week per person.

Whether a person met the requirement, and what is missing, is decided by storage.summary.year_summary, as on every
other surface. The list is scoped by storage.scope, and a province admin picks a region or a unit first, so a
list is never the whole province's million people.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from storage.audit import audit
from storage.clock import CHINA
from storage.db import fetch
from storage.errors import OutOfScope
from storage.hours import Policies, as_hours
from storage.models import Admin, AdminRole, Category, HoursReminder
from storage.outbox import enqueue
from storage.scope import reaches_everything, scope_sql, unit_in_scope
from storage.summary import Entry, YearSummary, year_summary

REMINDER_INTERVAL = timedelta(days=7)


@dataclass(frozen=True)
class Behind:
    """One person who has not met the year's requirement."""

    person_id: int
    name: str
    cert_number: str
    unit: str
    openid: str | None
    hours: YearSummary
    reminded_at: datetime | None  # the last reminder, if any in the last REMINDER_INTERVAL

    @property
    def can_be_reminded(self) -> bool:
        return bool(self.openid) and self.reminded_at is None


@dataclass(frozen=True)
class Where:
    """The part of the admin's scope a list covers: a region, a unit, or (for a unit admin) their unit."""

    region_code: str = ""
    unit_id: int | None = None

    @property
    def chosen(self) -> bool:
        return bool(self.region_code or self.unit_id)


async def checked_where(admin: Admin, region_code: str, unit_id: int | None) -> Where:
    """What the admin asked for, within their scope; a province admin must choose a region or a unit."""
    if unit_id is not None:
        unit = await unit_in_scope(admin, unit_id)
        return Where(unit.region_id, unit.id)
    if admin.role == AdminRole.UNIT:
        return Where(unit_id=admin.unit_id)
    if admin.role == AdminRole.REGION:
        if region_code and region_code != admin.region_id:
            raise OutOfScope(region_code)
        return Where(admin.region_id)
    return Where(region_code)


async def people_behind(admin: Admin, year: int, where: Where, now: datetime) -> list[Behind]:
    """Everyone on the year's roll in `where` who has not met it, most missing first. On the roll: registered by
    the end of the year (as the statistics count them)."""
    if not where.chosen and reaches_everything(admin):
        return []
    scope, params = scope_sql(admin, "u")
    if where.unit_id:
        narrowed, narrow_params = "u.id = ?", [where.unit_id]
    else:
        narrowed, narrow_params = "u.region_id = ?", [where.region_code]
    year_end = datetime(year + 1, 1, 1, tzinfo=CHINA).astimezone(UTC)
    # The year's sums come from person_year (storage.summary_store), as the statistics read them.
    rows = await fetch(
        "SELECT p.id, p.name, p.cert_number, p.openid, u.name AS unit, u.region_id, y.public, y.professional,"
        "  (SELECT MAX(m.sent_at) FROM hours_reminder m WHERE m.person_id = p.id AND m.sent_at > ?) AS reminded_at"
        " FROM person p JOIN unit u ON u.id = p.unit_id"
        " LEFT JOIN person_year y ON y.person_id = p.id AND y.year = ?"
        f" WHERE p.registered_at < ? AND {scope} AND {narrowed}",
        now - REMINDER_INTERVAL,
        year,
        year_end,
        *params,
        *narrow_params,
    )
    policies = Policies()
    behind = []
    for row in rows:
        policy = await policies.of(row["region_id"], year)
        sums = [
            Entry(Category.PUBLIC, as_hours(row["public"])),
            Entry(Category.PROFESSIONAL, as_hours(row["professional"])),
        ]
        hours = year_summary(year, policy, sums)
        if not hours.met:
            reminded = row["reminded_at"]
            if isinstance(reminded, str):  # SQLite hands a subquery's timestamp back as text
                reminded = datetime.fromisoformat(reminded)
            behind.append(
                Behind(row["id"], row["name"], row["cert_number"], row["unit"], row["openid"], hours, reminded)
            )
    behind.sort(key=lambda b: (-b.hours.missing_total, b.unit, b.name))
    return behind


def _week(moment: datetime) -> int:
    return (moment - datetime(1970, 1, 1, tzinfo=UTC)).days // 7


def reminder_facts(person: Behind) -> dict:
    """What the reminder says; hours as text, as every notification carries them."""
    hours = person.hours
    return {
        "name": person.name,
        "year": hours.year,
        "counted": str(hours.counted),
        "total": str(hours.policy.total_hours),
        "missing_total": str(hours.missing_total),
        "missing_professional": str(hours.missing_professional),
    }


async def send_reminders(admin: Admin, year: int, where: Where, now: datetime) -> int:
    """Remind everyone behind in `where` who can be reached and was not reminded in the last week; returns how
    many were reminded. Each reminder is queued with its record, so none is sent twice or lost."""
    sent = 0
    week = _week(now)
    for person in await people_behind(admin, year, where, now):
        if not person.can_be_reminded:
            continue
        try:
            async with in_transaction():
                await HoursReminder.create(person_id=person.person_id, year=year, week=week, sent_at=now, sent_by=admin)
                await enqueue("hours_reminder", person.openid, reminder_facts(person), now)
        except IntegrityError:
            continue  # reminded this week already, by someone pressing at the same moment
        sent += 1
    target = f"unit:{where.unit_id}" if where.unit_id else f"region:{where.region_code}"
    await audit(f"admin:{admin.id}", "reminders_sent", target, after={"year": year, "people": sent})
    return sent
