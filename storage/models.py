"""Declarative models. Behaviour lives in the modules named for what the domain does."""

from enum import StrEnum

from tortoise import fields
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
    created_at = fields.DatetimeField(auto_now_add=True)
    decided_at = fields.DatetimeField(null=True)

    class Meta:
        table = "hour_record"
        indexes = (("person_id", "year"),)


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
