"""Declarative models. Behaviour lives in the modules named for what the domain does."""

from enum import StrEnum

from tortoise import fields
from tortoise.indexes import Index, PartialIndex
from tortoise.models import Model


class RegionKind(StrEnum):
    PROVINCE = "province"
    CITY = "city"  # 省辖市, and 济源 which is administered like one
    COUNTY = "county"  # 省直管县(市)


class Region(Model):
    code = fields.CharField(primary_key=True, max_length=6)  # GB/T 2260
    name = fields.CharField(max_length=32)
    kind = fields.CharEnumField(RegionKind, max_length=8)

    class Meta:
        table = "region"


class Unit(Model):
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=100)
    credit_code = fields.CharField(max_length=18, unique=True)  # 统一社会信用代码, GB 32100
    region = fields.ForeignKeyField("models.Region", related_name="units", on_delete=fields.RESTRICT)
    industry = fields.CharField(max_length=50, default="")
    is_demo = fields.BooleanField(default=False)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "unit"
        indexes = (Index(fields=("region_id",), name="unit_region"),)  # a region admin's units


class Person(Model):
    """One person, one certificate, one number: id_number and cert_number are both unique."""

    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=50)
    id_number = fields.CharField(max_length=18, unique=True)
    cert_number = fields.CharField(max_length=16, unique=True)  # 证书管理号
    unit = fields.ForeignKeyField("models.Unit", related_name="people", on_delete=fields.RESTRICT)
    # The WeChat account bound to this person; null once unbound (a lost phone), so it can be rebound.
    openid = fields.CharField(max_length=64, unique=True, null=True)
    registered_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "person"
        # A unit's people; and the people registered by a date, counted per unit from the index alone.
        indexes = (Index(fields=("unit_id", "registered_at"), name="person_unit"),)


class CertSerial(Model):
    """The last certificate serial handed out per region and year; only ever increases."""

    id = fields.IntField(primary_key=True)
    region_code = fields.CharField(max_length=6)
    year = fields.IntField()
    last_serial = fields.IntField()

    class Meta:
        table = "cert_serial"
        unique_together = (("region_code", "year"),)


class Category(StrEnum):
    PUBLIC = "public"  # 公需科目
    PROFESSIONAL = "professional"  # 专业科目


class RecordStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"
    VOIDED = "voided"  # an approved record an admin struck out, with a reason (RecordCorrection)


class RecordSource(StrEnum):
    DECLARED = "declared"
    PAPER = "paper"  # 学时转登 from a paper certificate
    IMPORTED = "imported"


class HourRecord(Model):
    """Hours of continuing education; only approved records count towards the policy."""

    id = fields.IntField(primary_key=True)
    person = fields.ForeignKeyField("models.Person", related_name="records", on_delete=fields.RESTRICT)
    year = fields.IntField()
    category = fields.CharEnumField(Category, max_length=16)
    course = fields.CharField(max_length=100)
    provider = fields.CharField(max_length=100)
    studied_on = fields.DateField()
    hours = fields.DecimalField(max_digits=6, decimal_places=1)
    status = fields.CharEnumField(RecordStatus, max_length=16, default=RecordStatus.PENDING)
    source = fields.CharEnumField(RecordSource, max_length=16, default=RecordSource.DECLARED)
    reject_reason = fields.CharField(max_length=200, default="")
    evidence_media_id = fields.CharField(max_length=128, default="")  # the WeChat image, kept 3 days there
    evidence = fields.BinaryField(null=True)  # our own copy of it
    paper_cert_number = fields.CharField(max_length=50, default="")  # for source=paper
    recorded_by = fields.ForeignKeyField(
        "models.Admin", related_name="recorded", null=True, on_delete=fields.RESTRICT
    )  # the admin who transferred or imported it
    created_at = fields.DatetimeField(auto_now_add=True)
    decided_at = fields.DatetimeField(null=True)
    decided_by = fields.ForeignKeyField("models.Admin", related_name="decided", null=True, on_delete=fields.RESTRICT)

    class Meta:
        table = "hour_record"
        indexes = (
            # The 学时 lookup reads a person's hours from the index alone (hours is its last column, not an
            # INCLUDE: Tortoise says one index for both databases, and SQLite has no INCLUDE).
            Index(fields=("person_id", "year", "category", "status", "source", "hours"), name="hour_record_hours"),
            # Pending records are few among many decided: the review queue walks these, oldest first ...
            PartialIndex(fields=("id",), condition={"status": "pending"}, name="hour_record_pending"),
            # ... and a person's, or a unit's people's, pending records.
            PartialIndex(fields=("person_id",), condition={"status": "pending"}, name="hour_record_pending_person"),
        )


class PersonYear(Model):
    """A person's approved hours of one year, summed: what the statistics read instead of every record. Kept in
    the same transaction as each change of approved hours (storage.summary_store); a row exists only while the
    person holds approved hours for the year. `jxjy db rebuild-summaries` recomputes them all."""

    id = fields.IntField(primary_key=True)
    person = fields.ForeignKeyField("models.Person", related_name="years", on_delete=fields.RESTRICT)
    year = fields.IntField()
    public = fields.DecimalField(max_digits=8, decimal_places=1)
    professional = fields.DecimalField(max_digits=8, decimal_places=1)
    from_paper = fields.DecimalField(max_digits=8, decimal_places=1)  # of the above, transferred (学时转登)
    # Copied from the person, so a year's statistics read these rows alone, with no join to every person: their
    # unit (it follows a change of the person's unit) and whether they registered after the year's end (on the
    # year's roll through these hours alone).
    unit_id = fields.IntField()
    late = fields.BooleanField(default=False)

    class Meta:
        table = "person_year"
        unique_together = (("person", "year"),)
        # A year's statistics read the sums of every person with hours that year from the index alone.
        indexes = (Index(fields=("year", "unit_id", "public", "professional", "late"), name="person_year_year"),)


class CorrectionKind(StrEnum):
    VOID = "void"  # 作废
    CORRECT = "correct"  # 更正


class RecordCorrection(Model):
    """An admin voided or corrected an approved record, with the reason and the facts before and after. The
    verification page of a certificate that showed the record reads these to say what changed since."""

    id = fields.IntField(primary_key=True)
    record = fields.ForeignKeyField("models.HourRecord", related_name="corrections", on_delete=fields.RESTRICT)
    kind = fields.CharEnumField(CorrectionKind, max_length=16)
    reason = fields.CharField(max_length=200)
    before = fields.JSONField()
    after = fields.JSONField()
    admin = fields.ForeignKeyField("models.Admin", related_name="corrections", on_delete=fields.RESTRICT)
    at = fields.DatetimeField()

    class Meta:
        table = "record_correction"
        indexes = (("record_id", "at"),)


class HoursPolicy(Model):
    """Yearly requirement. Null year or region means "any"; the most specific row wins."""

    id = fields.IntField(primary_key=True)
    year = fields.IntField(null=True)
    region_code = fields.CharField(max_length=6, null=True)
    total_hours = fields.IntField()
    professional_min_hours = fields.IntField()

    class Meta:
        table = "hours_policy"
        unique_together = (("year", "region_code"),)


class DialogState(Model):
    """Where one WeChat user is in a multi-step dialog, so it survives a restart."""

    openid = fields.CharField(primary_key=True, max_length=64)
    dialog = fields.CharField(max_length=32)
    step = fields.CharField(max_length=32)
    data = fields.JSONField(default=dict)
    updated_at = fields.DatetimeField()

    class Meta:
        table = "dialog_state"


class AdminRole(StrEnum):
    UNIT = "unit"
    REGION = "region"  # 省辖市 / 省直管县(市)
    PROVINCE = "province"


class Admin(Model):
    """A 管理员 (分级管理) with the filing fields of the notice's attachment 3."""

    id = fields.IntField(primary_key=True)
    openid = fields.CharField(max_length=64, unique=True, null=True)
    role = fields.CharEnumField(AdminRole, max_length=16)
    unit = fields.ForeignKeyField("models.Unit", related_name="admins", null=True, on_delete=fields.RESTRICT)
    region = fields.ForeignKeyField("models.Region", related_name="admins", null=True, on_delete=fields.RESTRICT)
    name = fields.CharField(max_length=50)
    gender = fields.CharField(max_length=4, default="")
    department = fields.CharField(max_length=100, default="")
    post = fields.CharField(max_length=50, default="")
    phone = fields.CharField(max_length=30, default="")
    fax = fields.CharField(max_length=30, default="")
    email = fields.CharField(max_length=100, default="")
    postcode = fields.CharField(max_length=6, default="")
    address = fields.CharField(max_length=200, default="")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "admin"


class AdminInvite(Model):
    """A one-time code that makes whoever redeems it an admin of the given scope."""

    id = fields.IntField(primary_key=True)
    code = fields.CharField(max_length=16, unique=True)
    role = fields.CharEnumField(AdminRole, max_length=16)
    unit = fields.ForeignKeyField("models.Unit", related_name="invites", null=True, on_delete=fields.RESTRICT)
    region = fields.ForeignKeyField("models.Region", related_name="invites", null=True, on_delete=fields.RESTRICT)
    expires_at = fields.DatetimeField()
    used_at = fields.DatetimeField(null=True)
    admin = fields.ForeignKeyField("models.Admin", related_name="invite", null=True, on_delete=fields.RESTRICT)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "admin_invite"


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    GAVE_UP = "gave_up"


class Outbox(Model):
    """A message to deliver, written in the same transaction as the change it tells of.

    `kind` names what is told (declaration_submitted, declaration_decided, fetch_evidence ...); `payload`
    holds the plain facts. Turning them into a WeChat template or text is the deliverer's business.
    """

    id = fields.BigIntField(primary_key=True)
    kind = fields.CharField(max_length=32)
    openid = fields.CharField(max_length=64)
    payload = fields.JSONField(default=dict)
    status = fields.CharEnumField(OutboxStatus, max_length=16, default=OutboxStatus.PENDING)
    attempts = fields.IntField(default=0)
    next_attempt_at = fields.DatetimeField()
    last_error = fields.CharField(max_length=300, default="")
    created_at = fields.DatetimeField(auto_now_add=True)
    done_at = fields.DatetimeField(null=True)

    class Meta:
        table = "outbox"
        indexes = (("status", "next_attempt_at"),)


class OutboxAttempt(Model):
    id = fields.BigIntField(primary_key=True)
    outbox = fields.ForeignKeyField("models.Outbox", related_name="attempt_log", on_delete=fields.CASCADE)
    at = fields.DatetimeField(auto_now_add=True)
    ok = fields.BooleanField()
    detail = fields.CharField(max_length=300, default="")

    class Meta:
        table = "outbox_attempt"


class AuditEntry(Model):
    """Who did what, when, with the state before and after. ID numbers appear here masked only."""

    id = fields.BigIntField(primary_key=True)
    at = fields.DatetimeField(auto_now_add=True)
    actor = fields.CharField(max_length=64)  # person:<id>, admin:<id>, openid:<openid>, cli
    action = fields.CharField(max_length=32)
    target = fields.CharField(max_length=64)  # hour_record:<id>, admin:<id> ...
    before = fields.JSONField(null=True)
    after = fields.JSONField(null=True)

    class Meta:
        table = "audit_entry"
        indexes = (("target",), ("at",))


class SealFiling(Model):
    """A region's own e-seal, filed (备案) with the province. Until a region has one, its certificates
    carry the provincial seal."""

    id = fields.IntField(primary_key=True)
    region = fields.OneToOneField("models.Region", related_name="seal", on_delete=fields.RESTRICT)
    issuer = fields.CharField(max_length=100)  # the body named on the seal's arc
    filed_at = fields.DatetimeField()

    class Meta:
        table = "seal_filing"


class CertificateKind(StrEnum):
    FULL = "full"  # the certificate: every year; a person has one current at a time
    YEAR_EXTRACT = "year_extract"  # 年度学时证明 ("证书 2025"): one year's hours, never the current certificate


class CertificateSnapshot(Model):
    """One issued certificate, exactly as issued: its facts are stored, so it renders the same forever.

    A newer snapshot of the same person and kind (the full certificate, or the extract of one year)
    supersedes it; it then stays verifiable as genuine but superseded. A revoked one verifies as revoked.
    """

    id = fields.IntField(primary_key=True)
    code = fields.CharField(max_length=24, unique=True)  # in the QR code and printed as the snapshot number
    person = fields.ForeignKeyField("models.Person", related_name="certificates", on_delete=fields.RESTRICT)
    # The kind is this column, so every row ever written reads as what it was: null, the full certificate;
    # a year, that year's extract ("证书 2025").
    year = fields.IntField(null=True)
    record_ids = fields.JSONField()
    content_hash = fields.CharField(max_length=64)
    issuer = fields.CharField(max_length=100)
    seal_region = fields.ForeignKeyField("models.Region", null=True, on_delete=fields.RESTRICT)  # null: province
    facts = fields.JSONField()  # what the document shows
    issued_at = fields.DatetimeField()
    superseded_by = fields.ForeignKeyField("models.CertificateSnapshot", null=True, on_delete=fields.RESTRICT)
    revoked_at = fields.DatetimeField(null=True)
    revoke_reason = fields.CharField(max_length=200, default="")

    class Meta:
        table = "certificate_snapshot"
        indexes = (("person_id", "year"),)

    @property
    def kind(self) -> CertificateKind:
        return CertificateKind.FULL if self.year is None else CertificateKind.YEAR_EXTRACT


class SignedPdf(Model):
    """A snapshot's PDF as signed, once: signing is not deterministic (time, timestamp token, file id), so every
    worker serves these stored bytes. Keeps the signature it got, through any later change of key."""

    id = fields.IntField(primary_key=True)
    snapshot = fields.ForeignKeyField("models.CertificateSnapshot", on_delete=fields.CASCADE)
    engine = fields.CharField(max_length=20)
    signer = fields.CharField(max_length=64)  # SHA-256 of the signing certificate
    pdf = fields.BinaryField()
    signed_at = fields.DatetimeField()

    class Meta:
        table = "signed_pdf"
        unique_together = (("snapshot_id", "engine"),)


class ConsoleLink(Model):
    """A one-time sign-in link to the admin console, sent in the chat. Only its hash is kept."""

    id = fields.IntField(primary_key=True)
    token_hash = fields.CharField(max_length=64, unique=True)
    admin = fields.ForeignKeyField("models.Admin", related_name="console_links", on_delete=fields.CASCADE)
    expires_at = fields.DatetimeField()
    used_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "console_link"


class RebindCode(Model):
    """A one-time code that lets a person whose WeChat account an admin unbound bind a new one. The admin hands it
    over in person or by phone; only a keyed hash is kept, and each person has at most one (a new one replaces it)."""

    id = fields.IntField(primary_key=True)
    person = fields.OneToOneField("models.Person", related_name="rebind_code", on_delete=fields.CASCADE)
    code_hash = fields.CharField(max_length=64)
    issued_by = fields.ForeignKeyField("models.Admin", related_name="rebind_codes", on_delete=fields.RESTRICT)
    expires_at = fields.DatetimeField()
    used_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "rebind_code"


class ConsoleSession(Model):
    """A browser signed in to the admin console. The browser's cookie holds a random id; only its hash is kept,
    so a database leak signs nobody in."""

    id = fields.IntField(primary_key=True)
    token_hash = fields.CharField(max_length=64, unique=True)
    admin_id = fields.IntField(db_index=True)  # ended when the admin goes: the gate finds no admin
    scope = fields.CharField(max_length=64)  # the admin's scope at sign-in: a changed scope ends the session
    csrf = fields.CharField(max_length=64)
    created_at = fields.DatetimeField()
    seen_at = fields.DatetimeField()

    class Meta:
        table = "console_session"


class ProcessedMessage(Model):
    """A message whose effect has happened, with the reply it got: written in the transaction of the effect,
    so WeChat's retry after a crash finds it and is answered the same, with no second effect."""

    id = fields.IntField(primary_key=True)
    message_key = fields.CharField(max_length=64, unique=True)  # a digest of sender and MsgId (events: their key)
    reply = fields.JSONField()
    created_at = fields.DatetimeField(db_index=True)

    class Meta:
        table = "processed_message"


class ApplicationStatus(StrEnum):
    SUBMITTED = "submitted"
    APPROVED = "approved"  # 备案
    REJECTED = "rejected"


class SealApplication(Model):
    """附件2: a region asks the province to file its own e-seal (电子签章启用申请)."""

    id = fields.IntField(primary_key=True)
    region = fields.ForeignKeyField("models.Region", related_name="seal_applications", on_delete=fields.RESTRICT)
    applicant = fields.CharField(max_length=100)  # 申请单位, e.g. 郑州市人力资源和社会保障局
    issuer = fields.CharField(max_length=100)  # the body named on the seal
    applied_on = fields.DateField()
    status = fields.CharEnumField(ApplicationStatus, max_length=16, default=ApplicationStatus.SUBMITTED)
    submitted_by = fields.ForeignKeyField("models.Admin", related_name="seal_applications", on_delete=fields.RESTRICT)
    decided_by = fields.ForeignKeyField(
        "models.Admin", related_name="seal_decisions", null=True, on_delete=fields.RESTRICT
    )
    decided_at = fields.DatetimeField(null=True)
    reject_reason = fields.CharField(max_length=200, default="")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "seal_application"


class TrainingPlan(Model):
    """A unit's annual training plan (年度专业技术人员培训计划), filed by its admin."""

    id = fields.IntField(primary_key=True)
    unit = fields.ForeignKeyField("models.Unit", related_name="training_plans", on_delete=fields.RESTRICT)
    year = fields.IntField()
    text = fields.TextField()
    file_name = fields.CharField(max_length=200, default="")
    file_data = fields.BinaryField(null=True)
    filed_by = fields.ForeignKeyField("models.Admin", related_name="training_plans", on_delete=fields.RESTRICT)
    filed_at = fields.DatetimeField()

    class Meta:
        table = "training_plan"
        unique_together = (("unit", "year"),)


class HoursReminder(Model):
    """A reminder sent to a person who had not yet met a year's requirement; one a week at most.

    `week` numbers seven-day periods since 1970 (UTC): the unique pair makes two admins pressing at once send
    one, while the rolling seven days are checked on the way in."""

    id = fields.IntField(primary_key=True)
    person = fields.ForeignKeyField("models.Person", related_name="reminders", on_delete=fields.RESTRICT)
    year = fields.IntField()
    week = fields.IntField()
    sent_at = fields.DatetimeField()
    sent_by = fields.ForeignKeyField("models.Admin", related_name="reminders_sent", on_delete=fields.RESTRICT)

    class Meta:
        table = "hours_reminder"
        unique_together = (("person", "week"),)
