"""The audit log: who did what, when, before and after. Callers pass facts already masked."""

from typing import Any

from storage.models import AuditEntry, HourRecord


async def audit(actor: str, action: str, target: str, before: Any = None, after: Any = None) -> None:
    """Call inside the transaction of the change, so the entry exists exactly when the change does."""
    await AuditEntry.create(actor=actor, action=action, target=target, before=before, after=after)


def record_facts(record: HourRecord) -> dict[str, Any]:
    return {
        "person_id": record.person_id,
        "year": record.year,
        "category": str(record.category),
        "course": record.course,
        "provider": record.provider,
        "studied_on": record.studied_on.isoformat(),
        "hours": str(record.hours),
        "status": str(record.status),
        "source": str(record.source),
        "reject_reason": record.reject_reason,
        "paper_cert_number": record.paper_cert_number,
    }
