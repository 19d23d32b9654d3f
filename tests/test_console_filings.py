"""管理员备案 on the console (附件3): an admin keeps their own filing; region and province admins see, print and
export the filings in their scope, and no further."""

import html as markup
import io
import re

from openpyxl import load_workbook

from storage.models import Admin, AuditEntry, Unit
from tests.browser import phone_screenshot, print_page_artifacts
from tests.console import anonymous, sign_in
from tests.domain import an_admin

GOOD = {
    "name": "本单位管理员",
    "gender": "女",
    "department": "科教科",
    "post": "科长",
    "phone": "0371-66661234",
    "fax": "无",
    "email": "kejiao@example.com",
    "postcode": "450003",
    "address": "郑州市金水区经三路 12 号",
}


def text_of(html: str) -> str:
    """What a reader sees, spaces collapsed (the em spaces of the form's blanks too)."""
    return re.sub(r"\s+", " ", markup.unescape(re.sub(r"<[^>]+>", " ", html)))


async def test_an_admin_corrects_their_filing_and_a_bad_email_is_refused(console_service, world):
    await Unit.filter(id=world["home"].id).update(industry="卫生和社会工作")
    browser = await sign_in(console_service, "o_home")
    status, html = await browser.get("/admin/filings")
    assert status == 200 and "郑州市第一人民医院" in html and "卫生和社会工作" in html
    assert world["home"].credit_code in html  # the organisation code is the unit's credit code

    status, html = await browser.post("/admin/filings", GOOD | {"email": "kejiao@", "postcode": "4500"})
    assert status == 200 and "请填写有效的电子信箱" in html and "邮编应为 6 位数字" in html
    assert 'value="kejiao@"' in html  # what was typed stays in the form to correct
    admin = await Admin.get(openid="o_home")
    assert admin.email == "" and admin.department == ""
    assert not await AuditEntry.filter(action="filing_updated").exists()

    status, html = await browser.post("/admin/filings", GOOD)
    assert status == 200 and "备案信息已保存" in html
    admin = await Admin.get(openid="o_home")
    assert {field: getattr(admin, field) for field in GOOD} == GOOD | {"fax": ""}
    entry = await AuditEntry.get(action="filing_updated", target=f"admin:{admin.id}")
    assert entry.before["email"] == "" and entry.after["email"] == "kejiao@example.com"

    _, html = await browser.post("/admin/filings", GOOD)
    assert "备案信息没有变化" in html
    assert await AuditEntry.filter(action="filing_updated").count() == 1
    await browser.close()


async def test_the_printed_filing_has_the_attachments_rows(console_service, world):
    await Admin.filter(openid="o_home").update(**(GOOD | {"fax": ""}))
    admin = await Admin.get(openid="o_home")
    browser = await sign_in(console_service, "o_home")
    status, html = await browser.get(f"/admin/filings/{admin.id}/print")
    assert status == 200
    text = text_of(html)
    for line in (
        "河南省专业技术人员继续教育证书 管理员信息备案表",
        "单位名称 郑州市第一人民医院 行业类别",
        f"单位组织机构代码 {world['home'].credit_code}",
        "管理员姓名 本单位管理员 性别 女",
        "工作部门 科教科 职务 科长",
        "联系电话 0371-66661234 传真",
        "电子信箱 kejiao@example.com 邮编 450003",
        "邮寄地址 郑州市金水区经三路 12 号",
        "管理员职责 指导所属单位管理员及专业技术人员进行注册登记。 审核本单位专业技术人员继续教育学时。 "
        "制定并报备本单位年度专业技术人员培训计划。 做好本单位专业技术人员继续教育信息查询、统计分析等工作。",
        "单位 意见 （盖 章） 年 月 日",
        "说明：此表一式二份，一份单位留存，一份报送备案。",
    ):
        assert line in text, line
    await browser.close()


async def test_a_region_admin_sees_the_filings_of_its_region_and_not_another_regions(console_service, world):
    luoyang_unit_admin = await an_admin("o_far", "unit", unit=world["far"], name="洛阳单位管理员")
    region = await sign_in(console_service, "o_zhengzhou")
    status, html = await region.get("/admin/filings")
    assert status == 200
    for name in ("本单位管理员", "邻单位管理员", "郑州市管理员"):
        assert name in html, name
    for name in ("洛阳市管理员", "洛阳单位管理员", "省管理员"):
        assert name not in html, name
    assert await AuditEntry.filter(action="read:filings").exists()

    home = await Admin.get(openid="o_home")
    status, html = await region.get(f"/admin/filings/{home.id}/print")
    assert status == 200 and "本单位管理员" in html
    assert await AuditEntry.filter(action="read:filing", target=f"admin:{home.id}").exists()
    for outside in (luoyang_unit_admin, await Admin.get(openid="o_luoyang"), await Admin.get(openid="o_province")):
        status, html = await region.get(f"/admin/filings/{outside.id}/print")
        assert status == 403 and outside.name not in html
    await region.close()

    province = await sign_in(console_service, "o_province")
    _, html = await province.get("/admin/filings")
    for name in ("本单位管理员", "郑州市管理员", "洛阳市管理员", "洛阳单位管理员", "省管理员"):
        assert f'">{name}</a> ·' in html, name
    await province.close()


async def test_a_unit_admin_sees_only_their_own_filing(console_service, world):
    browser = await sign_in(console_service, "o_home")
    _, html = await browser.get("/admin/filings")
    assert "邻单位管理员" not in html and "导出 Excel" not in html
    neighbour = await Admin.get(openid="o_neighbour")
    assert (await browser.get(f"/admin/filings/{neighbour.id}/print"))[0] == 403
    own = await Admin.get(openid="o_home")
    assert (await browser.get(f"/admin/filings/{own.id}/print"))[0] == 200
    status, data, _ = await browser.get_bytes("/admin/filings/export.xlsx")
    sheet = load_workbook(io.BytesIO(data)).active
    assert status == 200 and [row[6] for row in sheet.iter_rows(min_row=2, max_row=3, values_only=True)] == [
        "本单位管理员",
        None,
    ]
    await browser.close()


async def test_the_filings_export_opens_in_excel_with_the_scope_only(console_service, world):
    await an_admin("o_far", "unit", unit=world["far"], name="洛阳单位管理员")
    await Admin.filter(openid="o_home").update(**(GOOD | {"department": '=HYPERLINK("http://x","点我")'}))
    region = await sign_in(console_service, "o_zhengzhou")
    status, data, content_type = await region.get_bytes("/admin/filings/export.xlsx")
    assert status == 200 and content_type == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    sheet = load_workbook(io.BytesIO(data)).active
    rows = list(sheet.iter_rows(values_only=True))
    header = rows[0]
    assert header[:8] == ("序号", "级别", "所属地区", "单位名称", "行业类别", "单位组织机构代码", "姓名", "性别")
    people = {row[header.index("姓名")]: row for row in rows[1:] if isinstance(row[0], int)}
    assert set(people) == {"郑州市管理员", "本单位管理员", "邻单位管理员"}
    home = people["本单位管理员"]
    assert home[header.index("单位组织机构代码")] == world["home"].credit_code
    assert home[header.index("电子信箱")] == "kejiao@example.com"
    department = sheet.cell(row=[r[0] for r in rows].index(home[0]) + 1, column=header.index("工作部门") + 1)
    assert department.data_type == "s"  # typed text stays text, never a formula
    entry = await AuditEntry.get(action="exported_filings")
    assert entry.actor == f"admin:{(await Admin.get(openid='o_zhengzhou')).id}" and entry.after == {"rows": 3}
    await region.close()


async def test_nobody_without_a_session_reaches_the_filings(console_service, world):
    home = await Admin.get(openid="o_home")
    stranger = anonymous(console_service)
    for method, path in (
        ("GET", "/admin/filings"),
        ("POST", "/admin/filings"),
        ("GET", f"/admin/filings/{home.id}/print"),
        ("GET", "/admin/filings/export.xlsx"),
    ):
        status, body = await (stranger.get(path) if method == "GET" else stranger.post(path, GOOD))
        assert status == 401 and "本单位管理员" not in body, (method, path)
    assert (await Admin.get(id=home.id)).email == ""
    assert not await AuditEntry.filter(action="exported_filings").exists()
    await stranger.close()


async def test_the_filing_form_prints_on_one_a4_sheet_and_reads_on_a_phone(
    console_service,
    world,
    chromium,
    tmp_path,
    database_url,
):
    await Unit.filter(id=world["home"].id).update(industry="卫生和社会工作")
    await Admin.filter(openid="o_home").update(**(GOOD | {"fax": ""}))
    home = await Admin.get(openid="o_home")
    backend = "postgres" if database_url.startswith("postgres") else "sqlite"
    text = await print_page_artifacts(
        console_service, chromium, "o_zhengzhou", f"/admin/filings/{home.id}/print", f"filing-print-{backend}", tmp_path
    )
    assert "管理员信息备案表" in text and "kejiao@example.com" in text and "此表一式二份" in text
    text = await phone_screenshot(
        console_service, chromium, "o_zhengzhou", "/admin/filings", f"filings-phone-{backend}"
    )
    assert "本地区管理员备案（3 人）" in text
