"""The notice's paperwork tells the next level: a region's seal application reaches the province's admins, their
decision reaches the applicant, an admin's filing (附件3) reaches the level above; the training-plan overview
pages through a province's units instead of stopping."""

import re

from storage.models import Outbox, Unit
from tests.console import sign_in
from tests.domain import a_unit
from tests.test_console_filings import GOOD
from tests.test_console_seal import APPLICATION, ZHENGZHOU_BUREAU


async def test_a_seal_application_reaches_the_province_and_the_decision_the_applicant(console_service, world):
    region = await sign_in(console_service, "o_zhengzhou")
    province = await sign_in(console_service, "o_province")
    status, _ = await region.post("/admin/seal", APPLICATION)
    assert status == 200
    await console_service.deliver()

    [told] = await console_service.pushed_texts("o_province")
    assert told.startswith("【印章备案申请】郑州市（郑州市管理员）") and ZHENGZHOU_BUREAU in told
    assert "管理后台" in told and "电子签章" in told
    assert await console_service.pushed_texts("o_luoyang") == []  # another region has nothing to act on
    application_id = int(re.search(r"编号 (\d+)", told).group(1))

    rejection = {"action": "reject", "reason": "名称有误"}
    status, _ = await province.post(f"/admin/seal/{application_id}/decision", rejection)
    assert status == 200
    await console_service.deliver()
    [decided] = await console_service.pushed_texts("o_zhengzhou")
    assert decided.startswith("【印章申请退回】") and "理由：名称有误" in decided

    await region.post("/admin/seal", APPLICATION)
    await console_service.deliver()
    second_id = int(re.search(r"编号 (\d+)", (await console_service.pushed_texts("o_province"))[-1]).group(1))
    await province.post(f"/admin/seal/{second_id}/decision", {"action": "approve", "confirm": "1"})
    await console_service.deliver()
    assert (await console_service.pushed_texts("o_zhengzhou"))[-1].startswith("【印章已备案】")
    await region.close()
    await province.close()


async def test_a_refused_application_tells_nobody(console_service, world):
    region = await sign_in(console_service, "o_zhengzhou")
    status, html = await region.post("/admin/seal", APPLICATION | {"issuer": "郑"})
    assert status == 200 and "签章上的单位名称" in html and not await Outbox.filter(kind="seal_applied").exists()
    await region.close()


async def test_a_decision_taken_twice_tells_the_applicant_once(console_service, world):
    region = await sign_in(console_service, "o_zhengzhou")
    province = await sign_in(console_service, "o_province")
    await region.post("/admin/seal", APPLICATION)
    application_id = (await Outbox.get(kind="seal_applied")).payload["application_id"]
    await province.post(f"/admin/seal/{application_id}/decision", {"action": "approve", "confirm": "1"})
    await province.post(f"/admin/seal/{application_id}/decision", {"action": "approve", "confirm": "1"})
    assert await Outbox.filter(kind="seal_decided").count() == 1
    await region.close()
    await province.close()


async def test_a_unit_admins_filing_reaches_the_regions_admins_and_a_regions_the_province(console_service, world):
    unit_admin = await sign_in(console_service, "o_home")
    await unit_admin.post("/admin/filings", GOOD)
    await unit_admin.post("/admin/filings", GOOD)  # unchanged: nobody is told again
    await console_service.deliver()
    [told] = await console_service.pushed_texts("o_zhengzhou")
    assert told.startswith("【管理员备案】郑州市第一人民医院的管理员 本单位管理员 更新了管理员信息备案表（附件3）")
    assert "联系电话" in told and "电子信箱" in told and "0371" not in told  # which fields, not their values
    assert await console_service.pushed_texts("o_luoyang") == []
    assert await console_service.pushed_texts("o_province") == []

    region = await sign_in(console_service, "o_zhengzhou")
    await region.post("/admin/filings", GOOD | {"name": "郑州市管理员"})
    await console_service.deliver()
    [from_region] = await console_service.pushed_texts("o_province")
    assert from_region.startswith("【管理员备案】郑州市人力资源和社会保障局的管理员 郑州市管理员")

    province = await sign_in(console_service, "o_province")
    await province.post("/admin/filings", GOOD | {"name": "省管理员"})
    assert await Outbox.filter(kind="filing_updated").count() == 2  # the province files with nobody
    for browser in (unit_admin, region, province):
        await browser.close()


async def test_the_plan_overview_pages_through_every_unit(console_service, world):
    existing = await Unit.all().count()
    for number in range(450 - existing):
        await a_unit(f"郑州市第{number:03d}号测试单位", region="410100")
    province = await sign_in(console_service, "o_province")
    status, html = await province.get("/admin/plans?year=2026")
    assert status == 200 and "<strong>450</strong>未报备单位" in html
    assert html.count("<li>") == 200 and "共 3 页" in html

    status, html = await province.get("/admin/plans?year=2026&missing_page=3")
    assert status == 200 and html.count("<li>") == 50 and "<strong>第 3 页</strong>" in html
    for hostile in ("0", "-1", "99999999", "abc", "3" * 400):
        status, html = await province.get(f"/admin/plans?year=2026&missing_page={hostile}")
        assert status == 200 and "未报备单位" in html
    await province.close()
