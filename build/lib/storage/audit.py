"""The audit log: who did what, when, before and after.

Callers pass facts already masked; every text is masked again here, so an ID number however it was typed
(with spaces, hyphens, inside a search text) never reaches the log in full.
"""

from typing import Any

from storage.errors import OutOfScope
from storage.ids import mask_id_numbers_in
from storage.models import Admin, AuditEntry, HourRecord
from storage.scope import reaches_everything
from storage.vocabulary import hours_figure


async def audit(actor: str, action: str, target: str, before: Any = None, after: Any = None) -> None:
    """Call inside the transaction of the change, so the entry exists exactly when the change does."""
    await AuditEntry.create(
        actor=actor, action=action, target=mask_id_numbers_in(target), before=_masked(before), after=_masked(after)
    )


def _masked(value: Any) -> Any:
    if isinstance(value, str):
        return mask_id_numbers_in(value)
    if isinstance(value, dict):
        return {key: _masked(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_masked(item) for item in value]
    return value


async def console_read(admin: Admin, what: str, target: str) -> None:
    """Every console read of personal data is audited."""
    await audit(f"admin:{admin.id}", f"read:{what}", target)


async def audit_page(admin: Admin, action: str = "", offset: int = 0, limit: int = 100) -> list[AuditEntry]:
    """The log, newest first; the province's alone (storage.scope.AUDIT)."""
    if not reaches_everything(admin):
        raise OutOfScope("audit")
    query = AuditEntry.all()
    if action:
        query = query.filter(action__startswith=action)
    return await query.order_by("-id").offset(offset).limit(limit)


def record_facts(record: HourRecord) -> dict[str, Any]:
    return {
        "person_id": record.person_id,
        "year": record.year,
        "category": str(record.category),
        "course": record.course,
        "provider": record.provider,
        "studied_on": record.studied_on.isoformat(),
        "hours": hours_figure(record.hours),
        "status": str(record.status),
        "source": str(record.source),
        "reject_reason": record.reject_reason,
        "paper_cert_number": record.paper_cert_number,
    }
