"""Issued certificates (snapshots), the seal each carries, verification and revocation."""

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from storage.audit import audit
from storage.errors import StorageRefusal, UnknownRegion
from storage.hours import policy_for
from storage.ids import gender_of
from storage.models import (
    CertificateSnapshot,
    HourRecord,
    Person,
    RecordStatus,
    Region,
    RegionKind,
    SealFiling,
    SignedPdf,
)
from storage.summary import Entry, Policy, YearSummary, year_summary
from storage.vocabulary import PROVINCE_ISSUER, default_issuer_name


class SnapshotNotFound(StorageRefusal):
    pass


class SnapshotRevoked(StorageRefusal):
    """A certificate with exactly these facts was revoked: asking again must not bring it back."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Issuer:
    name: str
    region_code: str | None  # None: the provincial seal


async def file_seal(region_code: str, issuer: str, now: datetime, actor: str) -> SealFiling:
    """Mark a region's own seal as filed (备案): its new certificates carry it; earlier ones keep theirs."""
    region = await Region.get_or_none(code=region_code)
    if region is None or region.kind == RegionKind.PROVINCE:
        raise UnknownRegion(region_code)
    async with in_transaction():
        filing, _ = await SealFiling.update_or_create(
            region=region, defaults={"issuer": issuer or default_issuer_name(region), "filed_at": now}
        )
        await audit(actor, "seal_filed", f"region:{region_code}", after={"issuer": filing.issuer})
    return filing


async def issuer_for(region_code: str) -> Issuer:
    filing = await SealFiling.get_or_none(region_id=region_code)
    if filing is None:
        return Issuer(PROVINCE_ISSUER, None)
    return Issuer(filing.issuer, region_code)


async def certificate_facts(person: Person, year: int | None) -> dict[str, Any] | None:
    """What a certificate issued now would show, or None when there are no approved hours (in that year)."""
    await person.fetch_related("unit__region")
    records = HourRecord.filter(person_id=person.id, status=RecordStatus.APPROVED)
    if year is not None:
        records = records.filter(year=year)
    rows = await records.order_by("year", "studied_on", "id")
    if not rows:
        return None
    years = []
    for year_number in sorted({r.year for r in rows}):
        in_year = [r for r in rows if r.year == year_number]
        summary = year_summary(year_number, await policy_for(year_number, person.unit.region_id), in_year)
        # `met` stays in the facts as it always was (their hash names the snapshot); every page and document
        # works the figures out again with year_summary from the records and the policy stored beside it.
        years.append(
            {
                "year": year_number,
                "required_total": summary.policy.total_hours,
                "required_professional": summary.policy.professional_min_hours,
                "met": summary.met,
                "records": [_record(r) for r in in_year],
            }
        )
    issuer = await issuer_for(person.unit.region_id)
    return {
        "name": person.name,
        "gender": gender_of(person.id_number),
        "id_number": person.id_number,
        "cert_number": person.cert_number,
        "unit": person.unit.name,
        "region": person.unit.region.name,
        "years": years,
        "issuer": issuer.name,
        "seal_region": issuer.region_code,
        "record_ids": [r.id for r in rows],
    }


def facts_summary(year: dict[str, Any]) -> YearSummary:
    """The summary of one year of a snapshot's facts: its records measured against the policy stored with them."""
    policy = Policy(int(year["required_total"]), int(year["required_professional"]))
    return year_summary(year["year"], policy, (Entry(r["category"], r["hours"], r["source"]) for r in year["records"]))


def _record(record: HourRecord) -> dict[str, str]:
    return {
        "category": str(record.category),
        "course": record.course,
        "provider": record.provider,
        "hours": str(record.hours),
        "source": str(record.source),
    }


def facts_hash(facts: dict[str, Any]) -> str:
    canonical = json.dumps(facts, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


async def issue(person: Person, year: int | None, facts: dict[str, Any], now: datetime, new_code: Callable[[], str]):
    """The snapshot for these facts: the current one when nothing changed, else a new one that supersedes
    the person's earlier snapshots of the same kind only: a full certificate the full one, the extract of a
    year the extract of that year (`year` None is the full certificate). Returns (snapshot, newly issued)."""
    digest = facts_hash(facts)
    async with in_transaction():
        current = await CertificateSnapshot.filter(
            person_id=person.id, year=year, superseded_by=None, revoked_at=None
        ).order_by("-id")
        if current and current[0].content_hash == digest:
            return current[0], False
        revoked = await CertificateSnapshot.filter(
            person_id=person.id, year=year, content_hash=digest, revoked_at__not_isnull=True
        ).first()
        if revoked is not None:
            raise SnapshotRevoked(revoked.revoke_reason)
        snapshot = await CertificateSnapshot.create(
            code=new_code(),
            person_id=person.id,
            year=year,
            record_ids=facts["record_ids"],
            content_hash=digest,
            issuer=facts["issuer"],
            seal_region_id=facts["seal_region"],
            facts=facts,
            issued_at=now,
        )
        if current:
            await CertificateSnapshot.filter(id__in=[s.id for s in current]).update(superseded_by_id=snapshot.id)
        await audit(f"person:{person.id}", "certificate_issued", f"certificate:{snapshot.code}", after={"year": year})
        return snapshot, True


async def snapshot_by_code(code: str) -> CertificateSnapshot | None:
    return await CertificateSnapshot.get_or_none(code=code)


async def snapshot_by_id(snapshot_id: int) -> CertificateSnapshot | None:
    return await CertificateSnapshot.get_or_none(id=snapshot_id)


async def stored_signed_pdf(snapshot_id: int, engine: str) -> bytes | None:
    row = await SignedPdf.get_or_none(snapshot_id=snapshot_id, engine=engine)
    return bytes(row.pdf) if row is not None else None


async def store_signed_pdf(snapshot_id: int, engine: str, signer: str, pdf: bytes, now: datetime) -> bytes:
    """Keep the first signed PDF of a snapshot; when another worker stored one meanwhile, that one wins."""
    try:
        async with in_transaction():
            await SignedPdf.create(snapshot_id=snapshot_id, engine=engine, signer=signer, pdf=pdf, signed_at=now)
        return pdf
    except IntegrityError:
        stored = await stored_signed_pdf(snapshot_id, engine)
        if stored is None:
            raise
        return stored


async def newest_of(snapshot: CertificateSnapshot) -> CertificateSnapshot:
    """Follow the chain of supersession to the snapshot in force."""
    while snapshot.superseded_by_id is not None:
        snapshot = await CertificateSnapshot.get(id=snapshot.superseded_by_id)
    return snapshot


async def certificates_of(person: Person) -> list[CertificateSnapshot]:
    """Every snapshot issued to a person, newest first; the caller has checked the person is in scope."""
    return await CertificateSnapshot.filter(person_id=person.id).order_by("-id")


async def current_certificate(person: Person) -> CertificateSnapshot | None:
    """The person's current certificate: the newest valid full one. A one-year extract never is."""
    return (
        await CertificateSnapshot.filter(person_id=person.id, year=None, superseded_by=None, revoked_at=None)
        .order_by("-id")
        .first()
    )


async def has_full_certificate(person: Person) -> bool:
    """Whether a full certificate was ever issued to the person, valid or not; extracts do not count."""
    return await CertificateSnapshot.exists(person_id=person.id, year=None)


async def revoke(code: str, reason: str, now: datetime, actor: str) -> CertificateSnapshot:
    async with in_transaction():
        taken = await CertificateSnapshot.filter(code=code, revoked_at=None).update(
            revoked_at=now, revoke_reason=reason
        )
        snapshot = await CertificateSnapshot.get_or_none(code=code)
        if snapshot is None or not taken:
            raise SnapshotNotFound(code)
        await audit(actor, "certificate_revoked", f"certificate:{code}", after={"reason": reason})
    return snapshot
