"""The audit log: who did what, when, before and after.

Callers pass facts already masked; every text is masked again here, so an ID number however it was typed
(with spaces, hyphens, inside a search text) never reaches the log in full.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from tortoise.expressions import Q

from storage.clock import CHINA, local_time
from storage.db import current_connection
from storage.errors import OutOfScope
from storage.ids import as_number, is_digits, mask_cert_number, mask_id_numbers_in, normalise
from storage.models import (
    Admin,
    AuditEntry,
    CertificateSnapshot,
    HourRecord,
    Person,
    Region,
    SealApplication,
    TrainingPlan,
    Unit,
)
from storage.scope import reaches_everything
from storage.vocabulary import (
    AUDIT_ACTION_NAMES,
    AUDIT_FIELD_LABELS,
    AUDIT_VALUE_NAMES,
    RECORD_STATUS_NAMES,
    SEAL_STATUS_NAMES,
    hours_figure,
    scope_name,
)

# A batch query and its export read many people at once; their entries list them by id (people_in_scope).
QUERY_ACTIONS = ("read:query", "export:query")


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


@dataclass(frozen=True)
class AuditQuery:
    """What a reader of the log narrows it to. `actor`: an admin's or a person's name as typed; `person`: whom
    an entry is about, by name or certificate management number; dates are Beijing dates, both included."""

    actor: str = ""
    action: str = ""
    person: str = ""
    since: date | None = None
    until: date | None = None


async def audit_page(
    admin: Admin, wanted: AuditQuery = AuditQuery(), offset: int = 0, limit: int = 50
) -> tuple[list[AuditEntry], int]:
    """The entries asked for, newest first, and how many there are in all; the province's alone
    (storage.scope.AUDIT)."""
    may_read_audit(admin)
    query = AuditEntry.filter(await _narrowed(wanted))
    return await query.order_by("-id").offset(offset).limit(limit), await query.count()


def may_read_audit(admin: Admin) -> None:
    if not reaches_everything(admin):
        raise OutOfScope("audit")


async def _narrowed(wanted: AuditQuery) -> Q:
    where = Q()
    if wanted.action:
        where &= Q(action=wanted.action)
    if wanted.actor:
        admins = await Admin.filter(name__contains=wanted.actor).values_list("id", flat=True)
        people = await Person.filter(name=wanted.actor).values_list("id", flat=True)
        actors = [f"admin:{i}" for i in admins] + [f"person:{i}" for i in people] + [wanted.actor]
        where &= Q(actor__in=actors)
    if wanted.person:
        where &= await _about_people(wanted.person)
    if wanted.since:
        where &= Q(at__gte=_beijing_midnight(wanted.since))
    if wanted.until:
        where &= Q(at__lt=_beijing_midnight(wanted.until + timedelta(days=1)))
    return where


def _beijing_midnight(day: date) -> datetime:
    """In UTC: SQLite compares the stored moments as text."""
    return datetime.combine(day, time(), CHINA).astimezone(UTC)


async def _about_people(text: str) -> Q:
    """Entries about the people of that name (or that certificate management number): their own acts, their
    person record, their hour records and their certificates."""
    key = normalise(text)
    found = Person.filter(cert_number=key) if len(key) == 16 and is_digits(key) else Person.filter(name=text)
    people = await found.values_list("id", flat=True)
    if not people:
        return Q(pk__in=[])
    records = await HourRecord.filter(person_id__in=people).values_list("id", flat=True)
    codes = await CertificateSnapshot.filter(person_id__in=people).values_list("code", flat=True)
    targets = [f"person:{i}" for i in people] + [f"hour_record:{i}" for i in records]
    targets += [f"certificate:{code}" for code in codes]
    queries = await _queries_reading(people)
    return Q(target__in=targets) | Q(actor__in=[f"person:{i}" for i in people]) | Q(id__in=queries)


async def _queries_reading(people: list[int], chunk: int = 500) -> list[int]:
    """The batch queries and exports whose results showed any of these people in full."""
    conn, found = current_connection(), []
    for start in range(0, len(people), chunk):
        some = people[start : start + chunk]
        if conn.capabilities.dialect == "postgres":
            sql = (
                "SELECT id FROM audit_entry WHERE action = ANY($1::text[]) AND EXISTS (SELECT 1 FROM"
                " jsonb_array_elements(\"after\"::jsonb -> 'people_in_scope') AS v WHERE v::text = ANY($2::text[]))"
            )
            params = [list(QUERY_ACTIONS), [str(i) for i in some]]
        else:
            actions, ids = ", ".join("?" * len(QUERY_ACTIONS)), ", ".join("?" * len(some))
            sql = (
                f"SELECT id FROM audit_entry WHERE action IN ({actions}) AND EXISTS"
                f" (SELECT 1 FROM json_each(\"after\", '$.people_in_scope') WHERE value IN ({ids}))"
            )
            params = [*QUERY_ACTIONS, *some]
        found += [row["id"] for row in await conn.execute_query_dict(sql, params)]
    return found


# --- the log as a reader reads it ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    field: str
    before: str
    after: str


@dataclass(frozen=True)
class AuditLine:
    """One entry in words: who (name, role and unit), what (the action's name), about what, and the facts that
    changed, field by field."""

    at: datetime
    actor: str
    action: str
    target: str
    changes: list[Change]


async def described(entries: list[AuditEntry], chunk: int = 500) -> list[AuditLine]:
    """The entries with names in place of codes and ids: a few statements for each chunk of entries."""
    lines = []
    for start in range(0, len(entries), chunk):
        part = entries[start : start + chunk]
        names = await _Names.of(part)
        lines += [
            AuditLine(
                at=entry.at,
                actor=mask_id_numbers_in(names.actor(entry.actor)),
                action=AUDIT_ACTION_NAMES.get(entry.action, entry.action),
                target=mask_id_numbers_in(names.target(entry.target)),
                changes=_changes(entry, names),
            )
            for entry in part
        ]
    return lines


def _ref(code: str) -> tuple[str, str]:
    kind, _, key = code.partition(":")
    return kind, key


def _ids(codes: list[str], kind: str) -> set[int]:
    return {number for code in codes if _ref(code)[0] == kind and (number := as_number(_ref(code)[1]))}


PEOPLE_NAMED = 20  # of a batch query's people, the log names this many and counts the rest


@dataclass
class _Names:
    admins: dict[int, Admin]
    people: dict[int, Person]
    records: dict[int, HourRecord]
    units: dict[int, str]
    regions: dict[str, str]
    applications: dict[int, SealApplication]
    plans: dict[int, TrainingPlan]

    @classmethod
    async def of(cls, entries: list[AuditEntry]) -> "_Names":
        codes = [entry.actor for entry in entries] + [entry.target for entry in entries]
        facts = [f for entry in entries for f in (entry.before, entry.after) if isinstance(f, dict)]
        records = {r.id: r for r in await HourRecord.filter(id__in=_ids(codes, "hour_record"))}
        person_ids = _ids(codes, "person") | {r.person_id for r in records.values()}
        for fact in facts:
            named = [fact.get("person_id"), *fact.get("people_in_scope", [])[:PEOPLE_NAMED]]
            person_ids |= {i for i in named if isinstance(i, int)}
        admin_ids = _ids(codes, "admin")
        unit_ids = {fact["unit_id"] for fact in facts if isinstance(fact.get("unit_id"), int)}
        region_codes = {_ref(code)[1] for code in codes if _ref(code)[0] == "region"}
        region_codes |= {str(fact[k]) for fact in facts for k in ("region", "region_id") if fact.get(k)}
        for code in codes:
            if _ref(code)[0] == "year" and "region:" in code:
                region_codes.add(code.rsplit("region:", 1)[1])
        admins = await Admin.filter(id__in=admin_ids).prefetch_related("unit", "region")
        people = await Person.filter(id__in=person_ids).prefetch_related("unit")
        applications = await SealApplication.filter(id__in=_ids(codes, "seal_application")).prefetch_related("region")
        plans = await TrainingPlan.filter(id__in=_ids(codes, "training_plan")).prefetch_related("unit")
        return cls(
            admins={a.id: a for a in admins},
            people={p.id: p for p in people},
            records=records,
            units=dict(await Unit.filter(id__in=unit_ids).values_list("id", "name")),
            regions=dict(await Region.filter(code__in=region_codes).values_list("code", "name")),
            applications={a.id: a for a in applications},
            plans={p.id: p for p in plans},
        )

    def admin(self, admin_id: int | None) -> str:
        admin = self.admins.get(admin_id or 0)
        return f"{admin.name}（{scope_name(admin)}）" if admin else f"管理员 #{admin_id}（已删除）"

    def person(self, person_id: int | None) -> str:
        person = self.people.get(person_id or 0)
        return f"{person.name}（证书管理号 {mask_cert_number(person.cert_number)}）" if person else f"人员 #{person_id}"

    def actor(self, code: str) -> str:
        kind, key = _ref(code)
        if kind == "admin":
            return self.admin(as_number(key))
        if kind == "person":
            person = self.people.get(as_number(key) or 0)
            return f"{person.name}（持证人本人 · {person.unit.name}）" if person else f"人员 #{key}"
        if kind == "openid":
            return "微信用户"
        if kind == "invite":
            return f"管理员邀请码 #{key}"
        if kind == "cli":
            return f"运维命令行（{key}）" if key else "运维命令行"
        return code

    def target(self, code: str) -> str:
        kind, key = _ref(code)
        number = as_number(key)
        if kind == "admin":
            return self.admin(number)
        if kind == "person":
            return self.person(number)
        if kind == "hour_record":
            record = self.records.get(number or 0)
            return f"学时记录 #{key}" + (f"：{self.person(record.person_id)}" if record else "")
        if kind == "region":
            return self.regions.get(key, key)
        if kind == "seal_application":
            application = self.applications.get(number or 0)
            return f"签章申请 #{key}" + (f"：{application.region.name}" if application else "")
        if kind == "training_plan":
            plan = self.plans.get(number or 0)
            return f"培训计划 #{key}" + (f"：{plan.unit.name} {plan.year} 年" if plan else "")
        if code == "audit_log":
            return "审计日志"
        if kind == "certificate":
            return f"电子证书 {key}"
        if kind == "scope":
            return "本人管理范围"
        if kind == "query":
            return f"搜索“{key}”"
        if kind == "numbers":
            asked, _, found = key.partition(" found:")
            return f"查询号码 {asked} 个，查到 {found} 个"
        if kind == "year":
            year, _, region = key.partition(" region:")
            return f"{year} 年 · {self.regions.get(region, '全省' if region in ('', '-') else region)}"
        return code

    def value(self, entry: AuditEntry, field: str, value: Any) -> str:
        if value is None or value == "":
            return "（空）"
        if isinstance(value, bool):
            return "是" if value else "否"
        if field == "status":
            kind = _ref(entry.target)[0]
            names = SEAL_STATUS_NAMES if kind == "seal_application" else RECORD_STATUS_NAMES
            return names.get(value, str(value))
        if field in AUDIT_VALUE_NAMES:
            return AUDIT_VALUE_NAMES[field].get(str(value), str(value))
        if field == "unit_id":
            return self.units.get(value, str(value))
        if field in ("region", "region_id"):
            return self.regions.get(str(value), str(value))
        if field == "person_id":
            return self.person(value)
        if field == "people_in_scope" and isinstance(value, list):
            shown = "、".join(self.people[i].name if i in self.people else f"#{i}" for i in value[:PEOPLE_NAMED])
            return shown + (f" 等 {len(value)} 人" if len(value) > PEOPLE_NAMED else "")
        if field.endswith("_at") and isinstance(value, str):
            try:
                return local_time(datetime.fromisoformat(value))
            except ValueError:
                return value
        if isinstance(value, dict):
            return "；".join(f"{AUDIT_FIELD_LABELS.get(k, k)}：{self.value(entry, k, v)}" for k, v in value.items())
        if isinstance(value, list):
            return "、".join(str(item) for item in value)
        return str(value)


def _changes(entry: AuditEntry, names: _Names) -> list[Change]:
    """Field by field: a new thing shows what it holds; a change shows only what changed."""
    before = entry.before if isinstance(entry.before, dict) else {}
    after = entry.after if isinstance(entry.after, dict) else {}
    if entry.before is not None and not isinstance(entry.before, dict):
        before = {"": entry.before}
    if entry.after is not None and not isinstance(entry.after, dict):
        after = {"": entry.after}
    changes = []
    for field in [*before, *(key for key in after if key not in before)]:
        if before and after and field in before and field in after and before[field] == after[field]:
            continue
        changes.append(
            Change(
                field=AUDIT_FIELD_LABELS.get(field, field) or "内容",
                before=mask_id_numbers_in(names.value(entry, field, before[field])) if field in before else "",
                after=mask_id_numbers_in(names.value(entry, field, after[field])) if field in after else "",
            )
        )
    return changes


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
