"""People as their admins manage them (分级管理): finding them, freeing a lost WeChat account, correcting a
wrong unit. Every function keeps to the admin's scope (storage/scope.py) and audits each change."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from tortoise.transactions import in_transaction

from storage.audit import audit
from storage.errors import OutOfScope, OwnRecord, StillBound
from storage.ids import is_digits
from storage.models import Admin, Person
from storage.rebind_codes import IssuedCode, replace_rebind_code
from storage.scope import PEOPLE, is_own, scope_q, unit_in_scope
from storage.summary_store import follow_unit


def _people_matching(admin: Admin, text: str):
    text = text.strip()
    query = Person.filter(scope_q(admin, PEOPLE))
    if len(text) == 16 and is_digits(text):
        return query.filter(cert_number=text)
    if len(text) == 18:
        return query.filter(id_number=text.upper())
    if text:
        return query.filter(name__contains=text)
    return query


async def search_people(admin: Admin, text: str, limit: int = 50, offset: int = 0) -> list[Person]:
    query = _people_matching(admin, text)
    return await query.order_by("id").offset(offset).limit(limit).prefetch_related("unit__region")


async def count_people(admin: Admin, text: str) -> int:
    """How many people in the admin's scope `search_people` would page through."""
    return await _people_matching(admin, text).count()


async def person_in_scope(admin: Admin, person_id: int) -> Person:
    person = await Person.filter(scope_q(admin, PEOPLE), id=person_id).prefetch_related("unit__region").first()
    if person is None:
        raise OutOfScope(person_id)
    return person


@dataclass(frozen=True)
class Unbound:
    person: Person
    code: IssuedCode  # the rebinding code, shown once to the admin


async def unbind_wechat(admin: Admin, person_id: int, now: datetime, code_valid_for: timedelta, pepper: str) -> Unbound:
    """A lost phone: free the person's record, and issue the one-time code (replacing any earlier one) they will
    need to bind a new WeChat account by registering again. Not one's own: rebound to a second account, one's
    declarations would be someone else's to approve (OwnRecord)."""
    person = await person_in_scope(admin, person_id)
    if is_own(admin, person):
        raise OwnRecord(person.id)
    async with in_transaction():
        before = {"openid_bound": person.openid is not None}
        await Person.filter(id=person.id).update(openid=None)
        code = await replace_rebind_code(person.id, admin.id, now, code_valid_for, pepper)
        after = {"openid_bound": False, "rebind_code_expires_at": code.expires_at.isoformat()}
        await audit(f"admin:{admin.id}", "unbound_wechat", f"person:{person.id}", before, after)
    person.openid = None
    return Unbound(person, code)


async def issue_rebind_code(
    admin: Admin, person_id: int, now: datetime, code_valid_for: timedelta, pepper: str
) -> IssuedCode:
    """A fresh rebinding code for a person already unbound (the first was lost or expired); the old one stops
    working. A person still bound has no use for one."""
    person = await person_in_scope(admin, person_id)
    if person.openid is not None:
        raise StillBound(person.id)
    async with in_transaction():
        code = await replace_rebind_code(person.id, admin.id, now, code_valid_for, pepper)
        after = {"rebind_code_expires_at": code.expires_at.isoformat()}
        await audit(f"admin:{admin.id}", "issued_rebind_code", f"person:{person.id}", after=after)
    return code


async def change_unit(admin: Admin, person_id: int, unit_id: int) -> Person:
    """Correct a wrong unit; both the person and the new unit must be in the admin's scope. The certificate
    management number stays: it is the person's for life."""
    person = await person_in_scope(admin, person_id)
    unit = await unit_in_scope(admin, unit_id)
    async with in_transaction():
        before = {"unit_id": person.unit_id}
        await Person.filter(id=person.id).update(unit_id=unit.id)
        await follow_unit(person.id, unit.id)
        await audit(f"admin:{admin.id}", "changed_unit", f"person:{person.id}", before, {"unit_id": unit.id})
    return await person_in_scope(admin, person_id)
