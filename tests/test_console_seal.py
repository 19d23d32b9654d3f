"""电子签章 on the console (附件2): a region applies, the province files (备案) or rejects, new certificates carry
the filed seal while earlier ones keep theirs; the application prints in the attachment's form."""

import asyncio
import base64
import re

import pytest

from render.seal import seal_png
from storage.models import (
    ApplicationStatus,
    AuditEntry,
    Category,
    CertificateSnapshot,
    SealApplication,
    SealFiling,
)
from storage.vocabulary import PROVINCE_ISSUER
from tests.browser import phone_screenshot, print_page_artifacts
from tests.console import anonymous, sign_in
from tests.domain import an_admin, hours_of

ZHENGZHOU_BUREAU = "郑州市人力资源和社会保障局"
APPLICATION = {"applicant": ZHENGZHOU_BUREAU, "issuer": ZHENGZHOU_BUREAU, "applied_on": "2026-03-01"}


async def an_application(service, applicant: str = ZHENGZHOU_BUREAU) -> SealApplication:
    region = await sign_in(service, "o_zhengzhou")
    status, html = await region.post("/admin/seal", APPLICATION | {"applicant": applicant})
    await region.close()
    assert status == 200, html
    return await SealApplication.filter(region_id="410100").order_by("-id").first()


async def test_a_filed_seal_goes_on_the_regions_next_certificate_and_earlier_ones_keep_the_provinces(
    console_service,
    world,
):
    person = world["person"]
    await hours_of(person, 2025, Category.PROFESSIONAL, "64")
    await console_service.user("o_person").says("证书")
    earlier = await CertificateSnapshot.get(person_id=person.id)
    assert earlier.issuer == PROVINCE_ISSUER and earlier.seal_region_id is None

    region = await sign_in(console_service, "o_zhengzhou")
    _, html = await region.get("/admin/seal")
    assert f'value="{ZHENGZHOU_BUREAU}"' in html  # the applicant defaults to the region's bureau
    assert "本地区签章尚未备案" in html
    status, html = await region.post("/admin/seal", APPLICATION)
    assert status == 200 and "等待省人力资源和社会保障厅备案" in html
    application = await SealApplication.get(region_id="410100")
    assert application.status == ApplicationStatus.SUBMITTED and application.issuer == ZHENGZHOU_BUREAU

    province = await sign_in(console_service, "o_province")
    _, html = await province.get("/admin/seal")
    assert f"#{application.id} 郑州市" in html and "待备案" in html
    status, html = await province.post(f"/admin/seal/{application.id}/decision", {"action": "approve"})
    assert status == 200 and "确认为以下 1 份电子签章申请备案" in html and f"#{application.id} 郑州市" in html
    assert (await SealApplication.get(id=application.id)).status == ApplicationStatus.SUBMITTED
    decision = {"action": "approve", "confirm": "1"}
    status, html = await province.post(f"/admin/seal/{application.id}/decision", decision)
    assert status == 200 and f"已备案：郑州市今后新生成的电子证书加盖“{ZHENGZHOU_BUREAU}”签章" in html
    await application.refresh_from_db()
    assert application.status == ApplicationStatus.APPROVED and application.decided_at is not None
    assert (await SealFiling.get(region_id="410100")).issuer == ZHENGZHOU_BUREAU

    await console_service.user("o_person").says("证书")
    newest = await CertificateSnapshot.filter(person_id=person.id).order_by("-id").first()
    assert newest.id != earlier.id
    assert newest.issuer == ZHENGZHOU_BUREAU and newest.seal_region_id == "410100"
    await earlier.refresh_from_db()
    assert earlier.issuer == PROVINCE_ISSUER and earlier.facts["issuer"] == PROVINCE_ISSUER
    assert earlier.seal_region_id is None

    _, html = await region.get("/admin/seal")
    assert "本地区签章" in html and "已备案" in html
    actions = await AuditEntry.filter(target=f"seal_application:{application.id}").values_list("action", flat=True)
    assert sorted(actions) == ["seal_applied", "seal_decided"]
    assert await AuditEntry.filter(action="seal_filed", target="region:410100").exists()
    await region.close()
    await province.close()


async def test_the_province_rejects_an_application_only_with_a_reason(console_service, world):
    application = await an_application(console_service)
    province = await sign_in(console_service, "o_province")
    status, html = await province.post(f"/admin/seal/{application.id}/decision", {"action": "reject"})
    assert status == 200 and "退回申请需要填写理由" in html
    await application.refresh_from_db()
    assert application.status == ApplicationStatus.SUBMITTED

    status, html = await province.post(
        f"/admin/seal/{application.id}/decision", {"action": "reject", "reason": "请加盖公章后重新提交"}
    )
    assert "已退回" in html and "请加盖公章后重新提交" in html
    await application.refresh_from_db()
    assert application.status == ApplicationStatus.REJECTED and application.reject_reason == "请加盖公章后重新提交"
    assert not await SealFiling.exists()

    _, html = await province.post(f"/admin/seal/{application.id}/decision", {"action": "approve"})
    assert "已由省管理员处理（已退回），未重复处理" in html
    assert not await SealFiling.exists()

    region = await sign_in(console_service, "o_zhengzhou")
    _, html = await region.get("/admin/seal")
    assert "已退回" in html and "请加盖公章后重新提交" in html
    assert "提交申请" in html  # nothing waits now: the region may apply again
    await region.close()
    await province.close()


async def test_a_region_has_one_open_application_at_a_time(console_service, world):
    first = await an_application(console_service)
    region = await sign_in(console_service, "o_zhengzhou")
    _, html = await region.get("/admin/seal")
    assert "提交申请" not in html and f"本地区已有一份待备案的申请（#{first.id}，2026-03-01）" in html
    status, html = await region.post("/admin/seal", APPLICATION | {"applicant": "郑州市人社局（第二份）"})
    assert status == 200 and f"本地区已有一份待备案的申请（#{first.id}）" in html
    assert await SealApplication.filter(region_id="410100").count() == 1
    await region.close()


@pytest.mark.postgres_only
async def test_two_admins_of_a_region_applying_at_once_make_one_application(console_service, world):
    await an_admin("o_zhengzhou_2", "region", region="410100", name="郑州市管理员乙")
    first, second = await sign_in(console_service, "o_zhengzhou"), await sign_in(console_service, "o_zhengzhou_2")
    for _ in range(5):
        pages = await asyncio.gather(first.post("/admin/seal", APPLICATION), second.post("/admin/seal", APPLICATION))
        assert [("本地区已有一份待备案的申请" in html) for _, html in pages].count(True) == 1
        assert await SealApplication.filter(status=ApplicationStatus.SUBMITTED).count() == 1
        await SealApplication.filter(status=ApplicationStatus.SUBMITTED).update(status=ApplicationStatus.REJECTED)
    assert await AuditEntry.filter(action="seal_applied").count() == 5
    await first.close()
    await second.close()


async def test_a_bad_application_is_refused_with_the_reason(console_service, world):
    region = await sign_in(console_service, "o_zhengzhou")
    for changed, problem in (
        ({"applicant": "郑州"}, "请填写申请单位全称"),
        ({"issuer": "郑州市" * 10}, "请填写签章上的单位名称"),
        ({"applied_on": "2099-01-01"}, "请填写申请日期"),
        ({"applied_on": "昨天"}, "请填写申请日期"),
    ):
        status, html = await region.post("/admin/seal", APPLICATION | changed)
        assert status == 200 and problem in html, changed
    assert not await SealApplication.exists()
    await region.close()


@pytest.mark.parametrize("outsider", ["o_home", "o_luoyang", "o_zhengzhou"])
async def test_only_the_province_decides_an_application(console_service, world, outsider):
    application = await an_application(console_service)
    browser = await sign_in(console_service, outsider)
    for action in (
        {"action": "approve"},
        {"action": "approve", "confirm": "1"},
        {"action": "reject", "reason": "不同意"},
    ):
        status, _ = await browser.post(f"/admin/seal/{application.id}/decision", action)
        assert status == 403
    await application.refresh_from_db()
    assert application.status == ApplicationStatus.SUBMITTED and application.decided_by_id is None
    assert not await SealFiling.exists()
    assert not await AuditEntry.filter(action="seal_decided").exists()
    await browser.close()


async def test_another_regions_admin_sees_neither_the_application_nor_its_print(console_service, world):
    application = await an_application(console_service)
    luoyang = await sign_in(console_service, "o_luoyang")
    _, html = await luoyang.get("/admin/seal")
    assert ZHENGZHOU_BUREAU not in html and "暂无申请" in html
    for path in (f"/admin/seal/{application.id}/print", f"/admin/seal/{application.id}/seal.png"):
        status, html = await luoyang.get(path)
        assert status == 403 and ZHENGZHOU_BUREAU not in html
    await luoyang.close()


async def test_a_unit_admin_sees_the_regions_seal_status_read_only(console_service, world):
    application = await an_application(console_service)
    unit = await sign_in(console_service, "o_home")
    status, html = await unit.get("/admin/seal")
    assert status == 200 and "郑州市新生成的电子证书加盖：" in html and PROVINCE_ISSUER in html
    assert "单位管理员仅可查看" in html and "提交申请" not in html and f"#{application.id} 郑州市" not in html
    assert (await unit.get(f"/admin/seal/{application.id}/print"))[0] == 403
    status, _ = await unit.post("/admin/seal", APPLICATION)
    assert status == 403
    province = await sign_in(console_service, "o_province")
    status, _ = await province.post("/admin/seal", APPLICATION)  # the province files, it does not apply
    assert status == 403
    assert await SealApplication.all().count() == 1
    await unit.close()
    await province.close()


async def test_the_print_page_is_the_attachments_form_with_the_seal_to_be_filed(console_service, world):
    application = await an_application(console_service)
    region = await sign_in(console_service, "o_zhengzhou")
    status, html = await region.get(f"/admin/seal/{application.id}/print")
    assert status == 200
    text = re.sub(r"<[^>]+>", "", html)
    for line in (
        "《河南省专业技术人员继续教育证书》电子签章启用申请",
        "河南省人力资源和社会保障厅：",
        "根据《河南省专业技术人员继续教育证书管理办法》，经研究，决定启用本地区专业技术人员继续教育证书专用章。",
        "特此申请。",
        f"申请单位：{ZHENGZHOU_BUREAU}（公章）",
        "2026 年 3 月 1 日",
        "专业技术人员继续教育证书专用章（备案）",
    ):
        assert line in text, line
    seal = re.search(r'src="data:image/png;base64,([^"]+)"', html)
    assert seal and base64.b64decode(seal[1]) == seal_png(ZHENGZHOU_BUREAU, 360)
    await region.close()


async def test_nobody_without_a_session_reaches_the_seal_pages(console_service, world):
    application = await an_application(console_service)
    stranger = anonymous(console_service)
    for method, path in (
        ("GET", "/admin/seal"),
        ("POST", "/admin/seal"),
        ("GET", f"/admin/seal/{application.id}/print"),
        ("GET", f"/admin/seal/{application.id}/seal.png"),
        ("POST", f"/admin/seal/{application.id}/decision"),
    ):
        data = APPLICATION if path == "/admin/seal" else {"action": "approve"}
        status, body = await (stranger.get(path) if method == "GET" else stranger.post(path, data))
        assert status == 401 and ZHENGZHOU_BUREAU not in body, (method, path)
    await application.refresh_from_db()
    assert application.status == ApplicationStatus.SUBMITTED
    assert await SealApplication.all().count() == 1
    await stranger.close()


# --- In a real browser: the print pages at a phone's size and as printed on A4 --------------------------------


async def test_the_seal_application_prints_on_one_a4_sheet_and_reads_on_a_phone(
    console_service,
    world,
    chromium,
    tmp_path,
    database_url,
):
    application = await an_application(console_service)
    backend = "postgres" if database_url.startswith("postgres") else "sqlite"
    text = await print_page_artifacts(
        console_service,
        chromium,
        "o_zhengzhou",
        f"/admin/seal/{application.id}/print",
        f"seal-print-{backend}",
        tmp_path,
    )
    assert "电子签章启用申请" in text and f"申请单位：{ZHENGZHOU_BUREAU}（公章）" in text
    text = await phone_screenshot(
        console_service, chromium, "o_province", "/admin/seal", f"seal-province-phone-{backend}"
    )
    assert "备案" in text and "退回" in text
    text = await phone_screenshot(console_service, chromium, "o_home", "/admin/seal", f"seal-unit-phone-{backend}")
    assert "单位管理员仅可查看" in text
