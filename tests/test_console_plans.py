"""年度培训计划 on the console: a unit admin files the unit's plan; region and province admins see who has filed
and who has not, and open plans in their scope only."""

import re
from datetime import datetime

import pytest

from handlers.chat import CHINA
from storage.filings import PLAN_FILE_MAX_BYTES
from storage.models import AuditEntry, TrainingPlan
from tests.browser import ARTIFACTS, PHONE, console_page
from tests.console import anonymous, sign_in

PLAN_TEXT = "一、培训目标：全员完成 90 学时。\n二、专业科目：临床新技术 64 学时。\n三、公需科目：26 学时。"
PDF = b"%PDF-1.4\n% a training plan\n" + bytes(range(256)) * 40 + b"\n%%EOF\n"


def this_year() -> int:
    return datetime.now(CHINA).year


def section(html: str, anchor: str) -> str:
    """The part of the overview under one heading (filed / missing)."""
    found = re.search(rf'<section class="card" id="{anchor}">(.*?)</section>', html, re.S)
    assert found, anchor
    return found[1]


async def a_filed_plan(service, openid: str = "o_home", text: str = PLAN_TEXT, files: dict | None = None, **data):
    browser = await sign_in(service, openid)
    files = {"file": ("2026年度培训计划.pdf", PDF)} if files is None else files
    status, html = await browser.post("/admin/plans", {"year": this_year(), "text": text} | data, files=files)
    await browser.close()
    return status, html


async def test_a_unit_files_its_plan_and_the_region_sees_who_has_and_has_not(console_service, world):
    status, html = await a_filed_plan(console_service)
    assert status == 200 and f"{this_year()} 年度培训计划已报备" in html and "2026年度培训计划.pdf" in html
    plan = await TrainingPlan.get(unit_id=world["home"].id, year=this_year())
    assert bytes(plan.file_data) == PDF and plan.text == PLAN_TEXT
    assert await AuditEntry.filter(action="plan_filed", target=f"training_plan:{plan.id}").exists()

    region = await sign_in(console_service, "o_zhengzhou")
    status, html = await region.get("/admin/plans", year=this_year())
    assert status == 200
    assert "郑州市第一人民医院" in section(html, "filed") and "郑州市中心医院" not in section(html, "filed")
    assert "郑州市中心医院" in section(html, "missing") and "郑州市第一人民医院" not in section(html, "missing")
    assert "洛阳市中心医院" not in html
    _, html = await region.get("/admin/plans", year=this_year() - 1)
    assert "郑州市第一人民医院" in section(html, "missing")  # a plan is for its year only

    status, html = await region.get(f"/admin/plans/{plan.id}")
    assert status == 200 and "临床新技术 64 学时" in html
    status, body, content_type = await region.get_bytes(f"/admin/plans/{plan.id}/file")
    assert status == 200 and body == PDF and content_type == "application/pdf"
    assert await AuditEntry.filter(action="read:training_plan", target=f"training_plan:{plan.id}").exists()
    assert await AuditEntry.filter(action="exported_plan_file", target=f"training_plan:{plan.id}").exists()
    await region.close()

    luoyang = await sign_in(console_service, "o_luoyang")
    for path in (f"/admin/plans/{plan.id}", f"/admin/plans/{plan.id}/file"):
        status, html = await luoyang.get(path)
        assert status == 403 and "临床新技术" not in html and PDF[:20].decode() not in html, path
    _, html = await luoyang.get("/admin/plans", year=this_year())
    assert "郑州市" not in section(html, "filed") + section(html, "missing")
    assert "洛阳市中心医院" in section(html, "missing")
    await luoyang.close()

    province = await sign_in(console_service, "o_province")
    _, html = await province.get("/admin/plans", year=this_year())
    assert "郑州市第一人民医院" in section(html, "filed")
    assert "郑州市中心医院" in section(html, "missing") and "洛阳市中心医院" in section(html, "missing")
    assert (await province.get_bytes(f"/admin/plans/{plan.id}/file"))[1] == PDF
    await province.close()


async def test_another_unit_of_the_same_region_cannot_open_the_plan(console_service, world):
    await a_filed_plan(console_service)
    plan = await TrainingPlan.get()
    neighbour = await sign_in(console_service, "o_neighbour")
    assert (await neighbour.get(f"/admin/plans/{plan.id}"))[0] == 403
    assert (await neighbour.get_bytes(f"/admin/plans/{plan.id}/file"))[0] == 403
    _, html = await neighbour.get("/admin/plans")
    assert "尚未报备" in html
    await neighbour.close()


async def test_filing_the_same_year_again_replaces_the_plan_and_is_audited(console_service, world):
    await a_filed_plan(console_service)
    status, html = await a_filed_plan(console_service, text="修订后的培训计划：增加公需科目。", files={})
    assert status == 200 and "已更新（替换原报备内容）" in html
    [plan] = await TrainingPlan.all()
    assert plan.text == "修订后的培训计划：增加公需科目。" and bytes(plan.file_data) == PDF  # no new file: kept
    entry = await AuditEntry.get(action="plan_refiled")
    assert entry.before["text_chars"] == len(PLAN_TEXT) and entry.after["text_chars"] == len(plan.text)

    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 100
    await a_filed_plan(console_service, files={"file": ("计划.png", png)})
    [plan] = await TrainingPlan.all()
    assert plan.file_name == "计划.png" and bytes(plan.file_data) == png

    await a_filed_plan(console_service, files={}, remove_file="1")
    [plan] = await TrainingPlan.all()
    assert plan.file_name == "" and plan.file_data is None
    assert await AuditEntry.filter(action="plan_refiled").count() == 3


@pytest.mark.parametrize(
    ("name", "content", "problem"),
    [
        ("plan.exe", b"MZ\x90\x00", "附件只能是 PDF"),
        ("plan.pdf", b"<html><script>alert(1)</script></html>", "附件只能是 PDF"),  # the name alone proves nothing
        ("plan.pdf", b"", "附件是空文件"),
        ("plan.pdf", b"%PDF-" + b"0" * PLAN_FILE_MAX_BYTES, "附件不能超过 5 MB"),
    ],
)
async def test_a_file_of_the_wrong_kind_or_size_is_refused(console_service, world, name, content, problem):
    status, html = await a_filed_plan(console_service, files={"file": (name, content)})
    assert status == 200 and problem in html
    assert "临床新技术" in html  # the text typed stays in the form
    assert not await TrainingPlan.exists()


async def test_a_file_of_five_megabytes_is_accepted_and_a_larger_upload_told_so(console_service, world):
    largest = b"%PDF-" + b"0" * (PLAN_FILE_MAX_BYTES - 5)
    status, html = await a_filed_plan(console_service, files={"file": ("plan.pdf", largest)})
    assert status == 200 and "已报备" in html
    assert len((await TrainingPlan.get()).file_data) == PLAN_FILE_MAX_BYTES

    status, html = await a_filed_plan(console_service, files={"file": ("plan.pdf", largest * 2)})
    assert status == 413 and "文件过大" in html


async def test_a_plan_needs_its_text_and_a_sensible_year(console_service, world):
    _, html = await a_filed_plan(console_service, text=" ")
    assert "请填写培训计划内容" in html
    _, html = await a_filed_plan(console_service, year=this_year() + 5)
    assert "年度应在 2017 年至明年之间" in html
    assert not await TrainingPlan.exists()


@pytest.mark.parametrize("admin", ["o_zhengzhou", "o_province"])
async def test_only_a_unit_admin_files_a_plan(console_service, world, admin):
    status, _ = await a_filed_plan(console_service, openid=admin)
    assert status == 403
    assert not await TrainingPlan.exists()


async def test_nobody_without_a_session_reaches_the_plans(console_service, world):
    await a_filed_plan(console_service)
    plan = await TrainingPlan.get()
    stranger = anonymous(console_service)
    for path in ("/admin/plans", f"/admin/plans/{plan.id}", f"/admin/plans/{plan.id}/file"):
        status, body = await stranger.get(path)
        assert status == 401 and "临床新技术" not in body, path
    status, _ = await stranger.post("/admin/plans", {"year": this_year(), "text": "伪造的计划"})
    assert status == 401
    assert (await TrainingPlan.get()).text == PLAN_TEXT
    await stranger.close()


async def test_a_unit_admin_files_a_plan_from_the_phones_browser(console_service, world, chromium, database_url):
    backend = "postgres" if database_url.startswith("postgres") else "sqlite"
    ARTIFACTS.mkdir(exist_ok=True)
    page = await console_page(console_service, chromium, "o_home", phone=True)
    await page.goto(str(console_service.client.make_url("/admin/plans")))
    await page.locator("textarea[name=text]").fill(PLAN_TEXT)
    await page.locator("input[type=file]").set_input_files(
        {"name": "2026年度培训计划.pdf", "mimeType": "application/pdf", "buffer": PDF}
    )
    await page.screenshot(path=str(ARTIFACTS / f"plans-unit-phone-{backend}.png"), full_page=True)
    await page.get_by_role("button", name="报备").click()
    await page.wait_for_selector(".flash")
    assert "培训计划已报备" in await page.locator(".flash").inner_text()
    plan = await TrainingPlan.get()
    assert plan.file_name == "2026年度培训计划.pdf" and bytes(plan.file_data) == PDF
    await page.context.close()

    page = await console_page(console_service, chromium, "o_zhengzhou", phone=True)
    await page.goto(str(console_service.client.make_url("/admin/plans")))
    assert "郑州市第一人民医院" in await page.locator("#filed").inner_text()
    assert "郑州市中心医院" in await page.locator("#missing").inner_text()
    assert await page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    await page.screenshot(path=str(ARTIFACTS / f"plans-region-phone-{backend}.png"), full_page=True)
    await page.context.close()
