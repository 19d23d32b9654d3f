"""Admins: one-time invite codes, redeemed by text or by scanning, with the attachment-3 filing."""

from datetime import UTC, datetime, timedelta

from bot.devtools.chat_client import event_xml, read_reply
from storage.admins import create_invite, resolve_scope
from storage.models import Admin, AdminInvite, AdminRole, AuditEntry
from tests.domain import a_unit

FILING = ["吴敏", "女", "人事科", "科长", "0371-65551234", "无", "wumin@example.gov.cn", "450000", "郑州市金水路 1 号"]


async def an_invite(role=AdminRole.UNIT, unit=None, region="", hours=72, now=None):
    scope = await resolve_scope(role, unit.credit_code if unit else "", region)
    return await create_invite(scope, now or datetime.now(UTC), timedelta(hours=hours))


async def _file(user) -> str:
    reply = ""
    for answer in FILING:
        reply = await user.says(answer)
    return reply


async def test_an_invited_admin_binds_and_files_attachment_3(service):
    unit = await a_unit("郑州市第一人民医院")
    invite = await an_invite(unit=unit)
    wu = service.user("o_wu")
    intro = await wu.says(f"绑定管理员 {invite.code.lower()}")
    assert "单位管理员（郑州市第一人民医院）" in intro and "姓名" in intro
    summary = await _file(wu)
    assert "传真：无" in summary and "wumin@example.gov.cn" in summary
    assert "绑定成功" in await wu.says("确认")

    admin = await Admin.get(openid="o_wu")
    assert (admin.role, admin.unit_id, admin.name, admin.postcode) == (AdminRole.UNIT, unit.id, "吴敏", "450000")
    assert admin.fax == "" and admin.department == "人事科"
    assert await AuditEntry.filter(action="admin_bound").exists()
    assert "待审" in await wu.says("帮助")  # admins see their commands


async def test_a_bad_answer_in_the_filing_is_explained(service):
    invite = await an_invite(unit=await a_unit())
    wu = service.user("o_wu")
    await wu.says(f"绑定管理员 {invite.code}")
    await wu.says("吴敏")
    assert "“男”或“女”" in await wu.says("未知")
    for answer in FILING[1:6]:
        await wu.says(answer)
    assert "电子信箱" in await wu.says("not-an-email")


async def test_an_invite_code_works_once(service):
    invite = await an_invite(unit=await a_unit())
    wu = service.user("o_wu")
    await wu.says(f"绑定管理员 {invite.code}")
    await _file(wu)
    await wu.says("确认")
    assert "已被使用" in await service.user("o_other").says(f"绑定管理员 {invite.code}")
    assert await Admin.filter(openid="o_other").count() == 0


async def test_a_code_spent_while_someone_was_filing_is_refused_at_the_end(service):
    invite = await an_invite(unit=await a_unit())
    slow, fast = service.user("o_slow"), service.user("o_fast")
    await slow.says(f"绑定管理员 {invite.code}")
    await _file(slow)
    await fast.says(f"绑定管理员 {invite.code}")
    await _file(fast)
    assert "绑定成功" in await fast.says("确认")
    assert "已被使用" in await slow.says("确认")
    assert await Admin.all().count() == 1


async def test_an_expired_invite_is_refused(service):
    invite = await an_invite(unit=await a_unit(), hours=1, now=datetime.now(UTC) - timedelta(hours=2))
    assert "已过期" in await service.user("o_wu").says(f"绑定管理员 {invite.code}")
    assert "不正确" in await service.user("o_wu").says("绑定管理员 ZZZZZZZZ")
    assert "邀请码" in await service.user("o_wu").says("绑定管理员")


async def test_scanning_the_invites_qr_starts_the_binding(service):
    invite = await an_invite(role=AdminRole.REGION, region="410300")
    response, signed = await service.post(event_xml("o_scan", "SCAN", f"admin:{invite.code}"))
    assert "地区管理员（洛阳市）" in read_reply(service.settings, await response.text(), signed.query)
    response, signed = await service.post(event_xml("o_new", "subscribe", f"qrscene_admin:{invite.code}"))
    assert "地区管理员（洛阳市）" in read_reply(service.settings, await response.text(), signed.query)


async def test_an_admin_cannot_bind_twice(service):
    unit = await a_unit()
    first, second = await an_invite(unit=unit), await an_invite(unit=unit)
    wu = service.user("o_wu")
    await wu.says(f"绑定管理员 {first.code}")
    await _file(wu)
    await wu.says("确认")
    assert "无需重复绑定" in await wu.says(f"绑定管理员 {second.code}")
    assert (await AdminInvite.get(id=second.id)).used_at is None


async def test_an_email_too_long_to_file_is_refused_at_its_step(service):
    invite = await an_invite(unit=await a_unit())
    wu = service.user("o_wu")
    await wu.says(f"绑定管理员 {invite.code}")
    for answer in FILING[:6]:
        await wu.says(answer)
    assert "电子信箱" in await wu.says("a" * 120 + "@example.com")


async def test_guessing_invite_codes_stops_after_ten_refused_tries_even_for_a_right_code(service):
    invite = await an_invite(unit=await a_unit())
    guesser = service.user("o_guesser")
    for n in range(10):
        assert "邀请码不正确" in await guesser.says(f"绑定管理员 ZZZZZZ{n:02d}")
    assert "尝试次数过多" in await guesser.says(f"绑定管理员 {invite.code}")
    assert await Admin.filter(openid="o_guesser").count() == 0
    assert "姓名" in await service.user("o_wu").says(f"绑定管理员 {invite.code}")  # another account is not held back
