"""People as their admins manage them (分级管理): finding them, freeing a lost WeChat account, correcting a
wrong unit. Every function keeps to the admin's scope (storage/scope.py) and audits each change."""

from tortoise.transactions import in_transaction

from storage.audit import audit
from storage.errors import OutOfScope
from storage.ids import is_digits
from storage.models import Admin, Person
from storage.scope import PEOPLE, scope_q, unit_in_scope


async def search_people(admin: Admin, text: str, limit: int = 50) -> list[Person]:
    text = text.strip()
    query = Person.filter(scope_q(admin, PEOPLE))
    if len(text) == 16 and is_digits(text):
        query = query.filter(cert_number=text)
    elif len(text) == 18:
        query = query.filter(id_number=text.upper())
    elif text:
        query = query.filter(name__contains=text)
    return await query.order_by("id").limit(limit).prefetch_related("unit__region")


async def person_in_scope(admin: Admin, person_id: int) -> Person:
    person = await Person.filter(scope_q(admin, PEOPLE), id=person_id).prefetch_related("unit__region").first()
    if person is None:
        raise OutOfScope(person_id)
    return person


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
    unit = await unit_in_scope(admin, unit_id)
    async with in_transaction():
        before = {"unit_id": person.unit_id}
        await Person.filter(id=person.id).update(unit_id=unit.id)
        await audit(f"admin:{admin.id}", "changed_unit", f"person:{person.id}", before, {"unit_id": unit.id})
    return await person_in_scope(admin, person_id)
