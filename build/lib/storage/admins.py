"""Admins and their scope (分级管理): a unit, a region (省辖市 / 省直管县(市)), or the province."""

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from storage.audit import audit
from storage.errors import AdminScopeInvalid, AlreadyAdmin, InviteUnusable
from storage.models import Admin, AdminInvite, AdminRole, Region, RegionKind, Unit
from storage.vocabulary import FILING_LABELS

INVITE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # nothing to misread: no 0/O, 1/I
FILING_FIELDS = tuple(FILING_LABELS)  # 附件3's fields an admin files


@dataclass(frozen=True)
class Scope:
    role: AdminRole
    unit: Unit | None
    region: Region | None


async def resolve_scope(role: AdminRole, unit_code: str = "", region_code: str = "") -> Scope:
    """Check that the role and its unit or region fit together."""
    if role == AdminRole.UNIT:
        unit = await Unit.get_or_none(credit_code=unit_code.upper()).prefetch_related("region")
        if unit is None:
            raise AdminScopeInvalid("a unit admin needs the credit code of a registered unit")
        return Scope(role, unit, None)
    if role == AdminRole.REGION:
        region = await Region.get_or_none(code=region_code)
        if region is None or region.kind == RegionKind.PROVINCE:
            raise AdminScopeInvalid("a region admin needs the code of a 省辖市 or 省直管县(市)")
        return Scope(role, None, region)
    return Scope(role, None, None)


async def add_admin(openid: str, scope: Scope, filing: dict[str, str], actor: str) -> Admin:
    values = {k: v for k, v in filing.items() if k in FILING_FIELDS}
    try:
        async with in_transaction():
            if await Admin.filter(openid=openid).exists():
                raise AlreadyAdmin(openid)
            admin = await Admin.create(openid=openid, role=scope.role, unit=scope.unit, region=scope.region, **values)
            await audit(actor, "admin_bound", f"admin:{admin.id}", after=_admin_facts(admin))
            return admin
    except IntegrityError:
        raise AlreadyAdmin(openid) from None


async def admin_by_openid(openid: str) -> Admin | None:
    return await Admin.get_or_none(openid=openid).prefetch_related("unit__region", "region")


async def admin_by_id(admin_id: int) -> Admin | None:
    return await Admin.get_or_none(id=admin_id).prefetch_related("unit__region", "region")


async def create_invite(scope: Scope, now: datetime, valid_for: timedelta) -> AdminInvite:
    code = "".join(secrets.choice(INVITE_ALPHABET) for _ in range(8))
    return await AdminInvite.create(
        code=code, role=scope.role, unit=scope.unit, region=scope.region, expires_at=now + valid_for
    )


async def usable_invite(code: str, now: datetime) -> AdminInvite:
    invite = await AdminInvite.get_or_none(code=code.strip().upper()).prefetch_related("unit__region", "region")
    if invite is None:
        raise InviteUnusable("unknown")
    if invite.used_at is not None:
        raise InviteUnusable("used")
    if invite.expires_at <= now:
        raise InviteUnusable("expired")
    return invite


async def redeem_invite(code: str, openid: str, filing: dict[str, str], now: datetime) -> Admin:
    """Use the code once: the admin is created and the code spent in one transaction. The admin comes with
    their unit and region."""
    invite = await usable_invite(code, now)
    scope = Scope(invite.role, invite.unit, invite.region)
    async with in_transaction():
        spent = await AdminInvite.filter(id=invite.id, used_at=None, expires_at__gt=now).update(used_at=now)
        if not spent:
            raise InviteUnusable("used")
        admin = await add_admin(openid, scope, filing, actor=f"invite:{invite.id}")
        await AdminInvite.filter(id=invite.id).update(admin_id=admin.id)
    await admin.fetch_related("unit", "region")
    return admin


async def admins_to_notify(unit: Unit, declarant_openid: str | None = None) -> list[Admin]:
    """The unit's admins; none there, the region's; none there, the province's. A declarant who is an admin
    themselves (the same WeChat account) is not told of their own hours, which they may not decide: with
    nobody else at their level, it goes up one."""
    for level in (
        Admin.filter(role=AdminRole.UNIT, unit_id=unit.id),
        Admin.filter(role=AdminRole.REGION, region_id=unit.region_id),
        Admin.filter(role=AdminRole.PROVINCE),
    ):
        admins = await level.filter(openid__not_isnull=True).order_by("id")
        admins = [admin for admin in admins if declarant_openid is None or admin.openid != declarant_openid]
        if admins:
            return admins
    return []


def _admin_facts(admin: Admin) -> dict[str, str]:
    return {"role": str(admin.role), "unit_id": admin.unit_id, "region_id": admin.region_id, "name": admin.name}
