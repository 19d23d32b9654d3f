"""What the admin console reads and changes, always within the admin's scope (分级管理).

Every function takes the admin and filters by their scope itself: the console's pages never decide who may
see what.
"""

import hashlib
import secrets
from datetime import datetime, timedelta

from tortoise.transactions import in_transaction

from storage.admins import scope_of
from storage.audit import audit
from storage.errors import OutOfScope, StorageRefusal
from storage.ids import is_digits
from storage.models import (
    Admin,
    AdminRole,
    AuditEntry,
    CertificateSnapshot,
    ConsoleLink,
    HourRecord,
    Person,
    RecordStatus,
    Unit,
)


class LinkUnusable(StorageRefusal):
    pass


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def create_console_link(admin: Admin, now: datetime, valid_for: timedelta) -> str:
    """A one-time sign-in token; only its hash is stored, so a database leak signs nobody in."""
    token = secrets.token_urlsafe(32)
    await ConsoleLink.create(token_hash=_token_hash(token), admin=admin, expires_at=now + valid_for)
    return token


async def console_link_usable(token: str, now: datetime) -> bool:
    """Whether a sign-in link could still be redeemed; reading it spends nothing."""
    return await ConsoleLink.filter(token_hash=_token_hash(token), used_at=None, expires_at__gt=now).exists()


async def redeem_console_link(token: str, now: datetime) -> Admin:
    """Use a sign-in link once; reused, expired or unknown links are refused alike."""
    digest = _token_hash(token)
    used = await ConsoleLink.filter(token_hash=digest, used_at=None, expires_at__gt=now).update(used_at=now)
    if not used:
        raise LinkUnusable(token[:6])
    link = await ConsoleLink.get(token_hash=digest).prefetch_related("admin")
    await audit(f"admin:{link.admin_id}", "console_sign_in", f"admin:{link.admin_id}")
    return link.admin


async def admin_by_id(admin_id: int) -> Admin | None:
    return await Admin.get_or_none(id=admin_id).prefetch_related("unit__region", "region")


def units_in_scope(admin: Admin):
    """A queryset of the units an admin oversees."""
    if admin.role == AdminRole.UNIT:
        return Unit.filter(id=admin.unit_id)
    if admin.role == AdminRole.REGION:
        return Unit.filter(region_id=admin.region_id)
    return Unit.all()


async def pending_for_console(
    admin: Admin, unit_id: int | None = None, year: int | None = None, category: str | None = None, limit: int = 200
) -> list[HourRecord]:
    query = HourRecord.filter(scope_of(admin, person="person__"), status=RecordStatus.PENDING)
    if unit_id:
        query = query.filter(person__unit_id=unit_id)
    if year:
        query = query.filter(year=year)
    if category:
        query = query.filter(category=category)
    return await query.order_by("id").limit(limit).prefetch_related("person__unit")


async def record_in_scope(admin: Admin, record_id: int) -> HourRecord:
    record = await HourRecord.filter(scope_of(admin, person="person__"), id=record_id).first()
    if record is None:
        raise OutOfScope(record_id)
    return record


async def search_people(admin: Admin, text: str, limit: int = 50) -> list[Person]:
    text = text.strip()
    query = Person.filter(scope_of(admin))
    if len(text) == 16 and is_digits(text):
        query = query.filter(cert_number=text)
    elif len(text) == 18:
        query = query.filter(id_number=text.upper())
    elif text:
        query = query.filter(name__contains=text)
    return await query.order_by("id").limit(limit).prefetch_related("unit__region")


async def person_in_scope(admin: Admin, person_id: int) -> Person:
    person = await Person.filter(scope_of(admin), id=person_id).prefetch_related("unit__region").first()
    if person is None:
        raise OutOfScope(person_id)
    return person


async def records_of(person: Person) -> list[HourRecord]:
    return await HourRecord.filter(person_id=person.id).order_by("-year", "-studied_on", "-id")


async def certificates_of(person: Person) -> list[CertificateSnapshot]:
    return await CertificateSnapshot.filter(person_id=person.id).order_by("-id")


async def console_read(admin: Admin, what: str, target: str) -> None:
    """Every console read of personal data is audited."""
    await audit(f"admin:{admin.id}", f"read:{what}", target)


async def unbind_wechat(admin: Admin, person_id: int) -> Person:
    """A lost phone: free the person's record so they can bind a new WeChat account by registering again."""
    person = await person_in_scope(admin, person_id)
    async with in_transaction():
        before = {"openid_bound": person.openid is not None}
        await Person.filter(id=person.id).update(openid=None)
        await audit(f"admin:{admin.id}", "unbound_wechat", f"person:{person.id}", before, {"openid_bound": False})
    person.openid = None
    return person


async def change_unit(admin: Admin, person_id: int, unit_id: int) -> Person:
    """Correct a wrong unit; both the person and the new unit must be in the admin's scope. The certificate
    management number stays: it is the person's for life."""
    person = await person_in_scope(admin, person_id)
    unit = await units_in_scope(admin).filter(id=unit_id).first()
    if unit is None:
        raise OutOfScope(unit_id)
    async with in_transaction():
        before = {"unit_id": person.unit_id}
        await Person.filter(id=person.id).update(unit_id=unit.id)
        await audit(f"admin:{admin.id}", "changed_unit", f"person:{person.id}", before, {"unit_id": unit.id})
    return await person_in_scope(admin, person_id)


async def audit_page(admin: Admin, action: str = "", offset: int = 0, limit: int = 100) -> list[AuditEntry]:
    if admin.role != AdminRole.PROVINCE:
        raise OutOfScope("audit")
    query = AuditEntry.all()
    if action:
        query = query.filter(action__startswith=action)
    return await query.order_by("-id").offset(offset).limit(limit)
