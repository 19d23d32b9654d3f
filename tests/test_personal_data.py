"""Personal data stays where it belongs: no full ID number in the audit log or the service log however it
was typed, and a revoked certificate's holder link serves no image or PDF."""

import logging
import subprocess
import sys
from datetime import UTC, datetime

import pytest
from yarl import URL

from bot.logs import IdNumbersMasked
from storage.audit import audit
from storage.certificates import revoke
from storage.ids import mask_id_numbers_in
from storage.models import AuditEntry, CertificateSnapshot
from tests.console import sign_in
from tests.test_certificate import _certificate_link, a_person_with_hours

ID = "410105199003071234"


@pytest.mark.parametrize(
    "typed",
    [
        ID,
        "410105 19900307 1234",
        "410105-1990-0307-1234",
        "４１０１０５１９９００３０７１２３４",
        "410105\u200b199003071234",
        "410105\u300019900307\u30001234",  # the ideographic space of Chinese input methods
        "410105  19900307  1234",
        "410105\t19900307\t1234",
        "410105–1990–0307–1234",  # dashes an input method puts in
        "410105－1990－0307－1234",
    ],
)
def test_an_id_number_is_masked_however_it_was_typed(typed):
    masked = mask_id_numbers_in(f"查询 {typed} 的记录")
    assert masked == "查询 410105********1234 的记录"


def test_certificate_numbers_side_by_side_are_left_alone():
    assert mask_id_numbers_in("4101002026000001 4101002026000002") == "4101002026000001 4101002026000002"


async def test_a_long_people_search_is_masked_before_it_is_cut_short_for_the_log(console_service, world):
    """Cut at 40 characters first, the search kept 17 digits of the number: the 18th is their check character."""
    browser = await sign_in(console_service, "o_home")
    number = world["person"].id_number
    await browser.post("/admin/people", {"q": f"请帮忙查一下这位老师的继续教育学时记录身份证号{number}"})
    entry = await AuditEntry.get(action="read:people_search")
    assert number[6:14] not in entry.target, entry.target
    await browser.close()


async def test_the_audit_log_masks_an_id_number_anywhere_in_an_entry(service):
    await audit("admin:1", "read:people_search", f"q=张 {ID[:6]}-{ID[6:]}", after={"typed": [f"x{ID}y"]})
    entry = await AuditEntry.get()
    assert ID not in entry.target and ID[6:14] not in str(entry.after)
    assert "410105********1234" in entry.target


async def test_a_people_search_by_a_hyphenated_id_number_is_audited_masked(console_service, world):
    browser = await sign_in(console_service, "o_home")
    number = world["person"].id_number
    await browser.post("/admin/people", {"q": f"{number[:6]}-{number[6:14]}-{number[14:]}"})
    entry = await AuditEntry.get(action="read:people_search")
    assert number[6:14] not in entry.target
    await browser.close()


def test_the_service_log_masks_id_numbers_in_messages_and_tracebacks():
    try:
        raise ValueError(f"duplicate key {ID}")
    except ValueError:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "lookup of %s failed", (ID,), sys.exc_info())
    IdNumbersMasked().filter(record)
    line = logging.Formatter().format(record)
    assert ID not in line and "410105********1234" in line and "ValueError" in line


async def test_a_revoked_certificates_holder_link_shows_the_revocation_and_serves_no_image_or_pdf(service):
    await a_person_with_hours()
    link = URL(await _certificate_link(service))
    await revoke((await CertificateSnapshot.get()).code, "重复签发", datetime.now(UTC), "admin:1")
    page = await service.client.get(link.path)
    assert page.status == 410 and "已被撤销" in await page.text() and "重复签发" in await page.text()
    for suffix in ("certificate.png", "certificate.pdf"):
        response = await service.client.get(f"{link.path}/{suffix}")
        assert response.status == 410 and response.content_type == "text/html"


async def test_a_people_search_is_posted_so_the_number_never_sits_in_a_url(console_service, world):
    browser = await sign_in(console_service, "o_home")
    number = world["person"].id_number
    status, html = await browser.get("/admin/people")
    assert status == 200 and 'method="post"' in html
    status, html = await browser.get("/admin/people", q=number)  # an old bookmark: nothing is searched
    assert not await AuditEntry.filter(action="read:people_search").exists()
    status, html = await browser.post("/admin/people", {"q": number})
    assert status == 200 and "孙丽" in html
    await browser.close()


def test_the_service_log_leaves_out_a_renders_step_by_step_progress():
    script = (
        "import logging; from bot.logs import configure_logging; configure_logging(); "
        "print(logging.getLogger('weasyprint.progress').isEnabledFor(logging.INFO), "
        "logging.getLogger('bot.app').isEnabledFor(logging.INFO))"
    )
    shown = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    assert shown.split() == ["False", "True"]
