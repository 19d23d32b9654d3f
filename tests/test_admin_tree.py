"""单位与管理员: a region's (or the province's) admin adds units one at a time or from a table, corrects them,
invites admins with a code and a QR code that WeChat resolves to the invite, and removes admins — all within
their scope, all audited, and a removed admin's sessions end at once."""

import base64
import io
import re

from openpyxl import Workbook
from PIL import Image
from pyzbar import pyzbar

from bot.devtools.chat_client import event_xml, read_reply
from storage.models import Admin, AdminInvite, AuditEntry, Unit
from tests.console import sign_in
from tests.domain import a_credit_code

GOOD_CODE = a_credit_code(9001)


def a_table(*rows: tuple[str, ...]) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(["单位名称", "统一社会信用代码", "地区", "行业类别"])
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def test_a_region_admin_adds_a_unit_and_a_bad_or_duplicate_one_is_refused_by_name(console_service, world):
    region = await sign_in(console_service, "o_zhengzhou")
    status, html = await region.get("/admin/units")
    assert status == 200 and "郑州市第一人民医院" in html and "洛阳市中心医院" not in html

    status, html = await region.post(
        "/admin/units", {"name": "郑州市第三中学", "code": GOOD_CODE, "region": "410100", "industry": "教育"}
    )
    assert status == 200 and "已添加单位：郑州市第三中学。" in html
    unit = await Unit.get(credit_code=GOOD_CODE)
    assert unit.region_id == "410100" and unit.industry == "教育"
    assert (await AuditEntry.get(action="unit_added", target=f"unit:{unit.id}")).after["name"] == "郑州市第三中学"

    status, html = await region.post("/admin/units", {"name": "别的名字", "code": GOOD_CODE, "region": "410100"})
    assert status == 400 and "该统一社会信用代码已登记为“郑州市第三中学”" in html and 'value="别的名字"' in html
    status, html = await region.post(
        "/admin/units", {"name": "新单位", "code": GOOD_CODE[:-1] + "0", "region": "410100"}
    )
    assert status == 400 and "统一社会信用代码不正确" in html
    status, html = await region.post(
        "/admin/units", {"name": "新\u202e单位", "code": a_credit_code(9002), "region": ""}
    )
    assert status == 400 and "控制字符" in html
    status, html = await region.post(
        "/admin/units", {"name": "洛阳新单位", "code": a_credit_code(9003), "region": "410300"}
    )
    assert status == 400 and "该地区不在您的管理范围内" in html
    assert await Unit.filter(name__in=["别的名字", "新单位", "洛阳新单位"]).count() == 0
    await region.close()


async def test_a_table_imports_all_or_nothing_listing_every_bad_line(console_service, world):
    region = await sign_in(console_service, "o_zhengzhou")
    before = await Unit.all().count()
    bad = a_table(
        ("郑州市第四中学", a_credit_code(9101), "郑州市", ""),
        ("郑州市第五中学", "123", "410100", ""),
        ("郑州市某医院", world["home"].credit_code, "410100", ""),
        ("郑州市第六中学", a_credit_code(9101), "410100", ""),
        ("洛阳市某单位", a_credit_code(9102), "洛阳市", ""),
    )
    status, html = await region.post("/admin/units/import", files={"file": ("units.xlsx", bad)})
    assert status == 400 and "没有导入任何单位：以下 4 行需要修改后重新上传。" in html
    assert "第 3 行：统一社会信用代码不正确" in html
    assert "第 4 行：该统一社会信用代码已登记为“郑州市第一人民医院”" in html
    assert "第 5 行：统一社会信用代码与第 2 行重复" in html
    assert "第 6 行：该地区不在您的管理范围内" in html
    assert await Unit.all().count() == before

    good = a_table(
        ("郑州市第四中学", a_credit_code(9101), "郑州市", "教育"), ("郑州市第五中学", a_credit_code(9103), "410100", "")
    )
    status, html = await region.post("/admin/units/import", files={"file": ("units.xlsx", good)})
    assert status == 200 and "已导入 2 个单位。" in html
    assert await Unit.all().count() == before + 2
    assert (await AuditEntry.get(action="units_imported")).after == {"units": 2}

    status, html = await region.post("/admin/units/import", files={"file": ("units.exe", b"MZ")})
    assert status == 400 and "只能上传 XLSX 或 CSV" in html
    status, html = await region.post("/admin/units/import", files={"file": ("units.xlsx", b"PK\x03\x04 broken")})
    assert status == 400 and "只能上传 XLSX 或 CSV" in html
    await region.close()


async def test_a_unit_is_corrected_and_only_the_province_moves_it_to_another_region(console_service, world):
    home = world["home"]
    region = await sign_in(console_service, "o_zhengzhou")
    status, html = await region.post(
        f"/admin/units/{home.id}", {"name": "郑州市第一人民医院（东院）", "region": "410100"}
    )
    assert status == 200 and "单位信息已保存" in html
    status, _ = await region.post(f"/admin/units/{home.id}", {"name": "郑州市第一人民医院", "region": "410300"})
    assert status == 403
    assert (await Unit.get(id=home.id)).region_id == "410100"
    status, _ = await region.get(f"/admin/units/{world['far'].id}")
    assert status == 403

    province = await sign_in(console_service, "o_province")
    status, html = await province.post(
        f"/admin/units/{home.id}", {"name": "郑州市第一人民医院（东院）", "region": "410300"}
    )
    assert status == 200 and "单位信息已保存" in html
    entry = await AuditEntry.filter(action="unit_corrected").order_by("-id").first()
    assert entry.before["region"] == "410100" and entry.after["region"] == "410300"
    await region.close()
    await province.close()


async def test_an_invite_shows_a_code_and_a_qr_code_that_wechat_resolves_to_it(console_service, world):
    region = await sign_in(console_service, "o_zhengzhou")
    status, html = await region.post("/admin/admins/invite", {"role": "unit", "unit": world["neighbour"].id})
    assert status == 200
    code = re.search(r"邀请码已生成：([2-9A-Z]{8})", html).group(1)
    invite = await AdminInvite.get(code=code)
    assert invite.unit_id == world["neighbour"].id and invite.used_at is None
    assert await AuditEntry.filter(action="admin_invited", target=f"unit:{world['neighbour'].id}").exists()

    png = base64.b64decode(re.search(r'src="data:image/png;base64,([^"]+)"', html).group(1))
    [symbol] = pyzbar.decode(Image.open(io.BytesIO(png)))
    scene = await (await console_service.fake.get("/_fake/scene", params={"url": symbol.data.decode()})).json()
    assert scene == {"scene": f"admin:{code}"}
    response, signed = await console_service.post(event_xml("o_new_admin", "SCAN", scene["scene"]))
    assert "单位管理员（郑州市中心医院）" in read_reply(console_service.settings, await response.text(), signed.query)

    status, _ = await region.post("/admin/admins/invite", {"role": "unit", "unit": world["far"].id})
    assert status == 403
    status, _ = await region.post("/admin/admins/invite", {"role": "region", "region": "410300"})
    assert status == 403
    status, _ = await region.post("/admin/admins/invite", {"role": "province"})
    assert status == 403
    status, html = await region.post("/admin/admins/invite", {"role": "emperor"})
    assert status == 400 and "请选择被邀请管理员的单位或地区" in html
    assert await AdminInvite.all().count() == 1
    await region.close()


async def test_when_wechat_cannot_make_the_qr_code_the_invite_still_works_by_code(console_service, world):
    await console_service.fault(errcode=45009, times=1, path="/cgi-bin/qrcode/create")
    province = await sign_in(console_service, "o_province")
    status, html = await province.post("/admin/admins/invite", {"role": "region", "region": "410300"})
    assert status == 200 and "邀请码已生成" in html and "暂时无法生成二维码" in html
    await province.close()


async def test_a_removed_admin_is_asked_about_first_then_signed_out_everywhere(console_service, world):
    clerk = await sign_in(console_service, "o_home")
    status, _ = await clerk.get("/admin/review")
    assert status == 200
    status, _ = await clerk.get("/admin/units")
    assert status == 403  # a unit admin manages no tree

    region = await sign_in(console_service, "o_zhengzhou")
    target = await Admin.get(openid="o_home")
    status, html = await region.post(f"/admin/admins/{target.id}/remove", {})
    assert status == 200 and "确定解除 本单位管理员（单位管理员，郑州市第一人民医院）的管理员身份吗？" in html
    assert (await Admin.get(id=target.id)).openid == "o_home"  # asking is not removing

    status, html = await region.post(f"/admin/admins/{target.id}/remove", {"confirm": "1"})
    assert status == 200 and "已解除 本单位管理员 的管理员身份" in html
    assert (await Admin.get(id=target.id)).openid is None
    status, html = await clerk.get("/admin/review")
    assert status == 401 and "请重新登录" in html  # the session is gone
    assert "登录链接" not in await console_service.user("o_home").says("后台")
    entry = await AuditEntry.get(action="admin_removed", target=f"admin:{target.id}")
    assert entry.before["name"] == "本单位管理员" and "o_home" not in str(entry.before)

    status, html = await region.post(f"/admin/admins/{target.id}/remove", {"confirm": "1"})
    assert status == 400 and "该管理员已被解除" in html
    me = await Admin.get(openid="o_zhengzhou")
    status, html = await region.post(f"/admin/admins/{me.id}/remove", {"confirm": "1"})
    assert status == 400 and "不能解除自己的管理员身份" in html
    luoyang = await sign_in(console_service, "o_luoyang")
    neighbour = await Admin.get(openid="o_neighbour")
    status, _ = await luoyang.post(f"/admin/admins/{neighbour.id}/remove", {"confirm": "1"})
    assert status == 403 and (await Admin.get(id=neighbour.id)).openid == "o_neighbour"
    for browser in (clerk, region, luoyang):
        await browser.close()
