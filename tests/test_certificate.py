"""证书 and verification: the certificate in the chat, the holder's page, the QR code and what it proves."""

import io
import re
import subprocess
from datetime import UTC, datetime, timedelta
from unittest import mock

import zxingcpp
from PIL import Image
from yarl import URL

from handlers.links import holder_token
from storage.certificates import revoke
from storage.models import AuditEntry, Category, CertificateSnapshot, RecordStatus
from tests.domain import a_registered_person, a_unit, an_admin, hours_of
from tests.test_cli import jxjy

NEWS_URL = re.compile(r"^(https://jxjy\.example\.gov\.cn/c/\S+)$", re.M)


def _path(url: str) -> str:
    """Our links carry PUBLIC_URL; the test server answers on another host, so follow by path."""
    return URL(url).path


async def a_person_with_hours(name: str = "张晓明", openid: str = "o_holder", region: str = "410100"):
    person = await a_registered_person(openid, name=name, unit=await a_unit("郑州市第一人民医院", region))
    await hours_of(
        person,
        2025,
        Category.PROFESSIONAL,
        "64",
    )
    await hours_of(person, 2025, Category.PUBLIC, "30")
    await hours_of(person, 2026, Category.PROFESSIONAL, "12.5")
    await hours_of(person, 2026, Category.PUBLIC, "8", status=RecordStatus.PENDING)
    return person


async def _certificate_link(service, openid: str = "o_holder", text: str = "证书") -> str:
    reply = await service.user(openid).says(text)
    match = NEWS_URL.search(reply)
    assert match, reply
    return match[1]


def _qr_url(png: bytes) -> str:
    [code] = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    return code.text


async def test_the_holder_gets_a_news_message_whose_page_shows_the_certificate(service):
    person = await a_person_with_hours()
    reply = await service.user("o_holder").says("证书")
    assert "【河南省专业技术人员继续教育证书】" in reply
    assert person.cert_number in reply and "2025 年 94 学时（已达标）" in reply and "2026 年 12.5 学时" in reply
    link = NEWS_URL.search(reply)[1]

    page = await service.client.get(_path(link))
    html = await page.text()
    assert page.status == 200 and "下载 PDF" in html and person.cert_number in html

    png = await service.client.get(_path(link) + "/certificate.png")
    assert png.status == 200 and png.content_type == "image/png"
    pdf = await service.client.get(_path(link) + "/certificate.pdf")
    assert pdf.status == 200 and (await pdf.read()).startswith(b"%PDF")


async def test_the_qr_code_on_the_image_and_the_printed_pdf_leads_to_a_page_proving_it_genuine(service, tmp_path):
    person = await a_person_with_hours(name="欧阳晓明")
    link = await _certificate_link(service)
    png = await (await service.client.get(_path(link) + "/certificate.png")).read()
    pdf = await (await service.client.get(_path(link) + "/certificate.pdf")).read()
    (tmp_path / "c.pdf").write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-r", "150", "-png", "-f", "1", "-l", "1", str(tmp_path / "c.pdf"), str(tmp_path / "p")],
        check=True,
    )
    printed = next(tmp_path.glob("p*.png")).read_bytes()

    verify_url = _qr_url(png)
    assert _qr_url(printed) == verify_url
    assert verify_url.startswith("https://jxjy.example.gov.cn/v/")

    page = await service.client.get(_path(verify_url))
    html = await page.text()
    assert page.status == 200 and "有效" in html and person.cert_number in html
    assert "欧**明" in html and person.id_number[:6] + "********" + person.id_number[-4:] in html
    assert "欧阳晓明" not in html and person.id_number not in html  # masked only
    text = subprocess.run(["pdftotext", str(tmp_path / "c.pdf"), "-"], capture_output=True, text=True).stdout
    assert "欧阳晓明" in text and person.cert_number in text


async def test_no_approved_hours_means_no_certificate_yet(service):
    person = await a_registered_person("o_new")
    await hours_of(person, 2026, Category.PUBLIC, "8", status=RecordStatus.PENDING)
    reply = await service.user("o_new").says("证书")
    assert "还没有审核通过的学时" in reply and "申报" in reply
    assert not await CertificateSnapshot.exists()


async def test_a_certificate_for_one_year(service):
    await a_person_with_hours()
    reply = await service.user("o_holder").says("证书 2025")
    assert "2025 年 94 学时" in reply and "2026 年" not in reply
    assert "没有审核通过的学时" in await service.user("o_holder").says("证书 2019")
    assert "证书 2025" in await service.user("o_holder").says("证书 去年")


async def test_asking_again_unchanged_reuses_the_snapshot_and_new_hours_supersede_it(service):
    person = await a_person_with_hours()
    first = await _certificate_link(service)
    again = await _certificate_link(service)
    assert await CertificateSnapshot.all().count() == 1 and first == again

    old = await CertificateSnapshot.get()
    await hours_of(person, 2026, Category.PROFESSIONAL, "20")
    await _certificate_link(service)
    new = await CertificateSnapshot.filter(superseded_by=None).get()
    assert new.id != old.id

    html = await (await service.client.get(f"/v/{old.code}")).text()
    assert "已更新" in html and new.code in html and "增加 20 学时" in html
    assert "有效" in await (await service.client.get(f"/v/{new.code}")).text()


async def test_a_revoked_certificate_says_so_with_the_reason(service, tmp_path):
    await a_person_with_hours()
    await _certificate_link(service)
    snapshot = await CertificateSnapshot.get()
    status, output = await jxjy(
        service.settings.database_url, "cert", "revoke", snapshot.code, "--reason", "学时记录有误", cwd=tmp_path
    )
    assert status == 0, output
    html = await (await service.client.get(f"/v/{snapshot.code}")).text()
    assert "已撤销" in html and "学时记录有误" in html
    reply = await service.user("o_holder").says("证书")  # asking again does not undo the revocation
    assert "已被撤销" in reply and "学时记录有误" in reply
    assert await CertificateSnapshot.all().count() == 1


async def test_a_tampered_or_unknown_code_reveals_nothing_and_guessing_is_slowed(service):
    await a_person_with_hours()
    await _certificate_link(service)
    code = (await CertificateSnapshot.get()).code
    tampered = code[:-1] + ("A" if code[-1] != "A" else "B")
    for bad in (tampered, "AAAAAAAAAAAAAAAAA", "x"):
        response = await service.client.get(f"/v/{bad}")
        html = await response.text()
        assert response.status == 404 and "无效" in html and "郑州市第一人民医院" not in html
    for _ in range(30):
        response = await service.client.get("/v/NOTACODE")
    assert response.status == 429
    assert (await service.client.get(f"/v/{code}")).status == 200  # a genuine code always answers
    behind_proxy = await service.client.get("/v/NOTACODE", headers={"X-Forwarded-For": "203.0.113.7"})
    assert behind_proxy.status == 404  # another verifier behind the same proxy is not blocked
    # a code of the right length in other characters counts as one more failure from the limited address
    assert (await service.client.get("/v/二二二二二二二二二二二二二二二二二")).status == 429


async def test_the_holder_link_expires(service):
    await a_person_with_hours()
    await _certificate_link(service)
    snapshot = await CertificateSnapshot.get()
    eight_days_ago = (datetime.now(UTC) - timedelta(days=8)).timestamp()
    with mock.patch("itsdangerous.timed.time.time", return_value=eight_days_ago):
        old_token = holder_token(snapshot.id, service.settings.secret_key)
    response = await service.client.get(f"/c/{old_token}")
    assert response.status == 410 and "已过期" in await response.text()
    assert (await service.client.get(f"/c/{old_token}/certificate.pdf")).status == 410
    assert (await service.client.get("/c/forged.token.here")).status == 404


async def test_a_regions_filed_seal_goes_on_its_new_certificates_and_old_ones_keep_theirs(service, tmp_path):
    person = await a_person_with_hours()
    await _certificate_link(service)
    status, output = await jxjy(service.settings.database_url, "seal", "file", "--region", "410100", cwd=tmp_path)
    assert status == 0, output
    await hours_of(person, 2026, Category.PUBLIC, "2")
    await _certificate_link(service)
    old, new = await CertificateSnapshot.all().order_by("id")
    assert old.issuer == "河南省人力资源和社会保障厅" and old.seal_region_id is None
    assert new.issuer == "郑州市人力资源和社会保障局" and new.seal_region_id == "410100"
    assert "郑州市人力资源和社会保障局" in await (await service.client.get(f"/v/{new.code}")).text()


async def test_admins_can_revoke_through_storage_with_an_audit_entry(service):
    await an_admin("o_admin", "province")
    await a_person_with_hours()
    await _certificate_link(service)
    snapshot = await CertificateSnapshot.get()
    await revoke(snapshot.code, "重复签发", datetime.now(UTC), "admin:1")
    await snapshot.refresh_from_db()
    assert snapshot.revoked_at is not None and snapshot.revoke_reason == "重复签发"
    entry = await AuditEntry.get(action="certificate_revoked")
    assert entry.actor == "admin:1" and entry.target == f"certificate:{snapshot.code}"
    assert entry.after == {"reason": "重复签发"}


async def test_a_year_typed_right_after_the_word_is_the_year(service):
    await a_person_with_hours()
    reply = await service.user("o_holder").says("证书2025")
    assert "2025 年 94 学时" in reply and "2026 年" not in reply


# --- one current certificate: the full one; "证书 2025" is a one-year extract ---------------------------

OLD_WORDING = ("快照", "最新证书", "当前")


def plain_wording(html: str) -> None:
    for word in OLD_WORDING:
        assert word not in html, word


async def test_a_one_year_extract_then_the_full_certificate_the_full_one_is_current_and_the_extract_says_so(
    service, tmp_path
):
    await a_person_with_hours(name="欧阳晓明")
    reply = await service.user("o_holder").says("证书 2025")
    assert "【2025 年度学时证明】" in reply and "继续教育证书" not in reply
    assert "本证明仅列 2025 年度继续教育学时，非完整证书" in reply and "完整证书请发送“证书”" in reply
    extract_link = NEWS_URL.search(reply)[1]
    assert "【河南省专业技术人员继续教育证书】" in await service.user("o_holder").says("证书")

    extract, full = await CertificateSnapshot.all().order_by("id")
    assert extract.year == 2025 and full.year is None
    assert extract.superseded_by_id is None and full.superseded_by_id is None  # neither replaces the other

    html = await (await service.client.get(f"/v/{full.code}")).text()
    assert "这是持证人目前有效的证书" in html and "本证书核验码" in html and full.code in html
    plain_wording(html)
    html = await (await service.client.get(f"/v/{extract.code}")).text()
    assert "2025 年度学时证明验证" in html and "这是 2025 年度学时证明，真实有效" in html
    assert "不是持证人的完整证书" in html and "本证明核验码" in html
    assert "目前有效的证书" not in html and "<td>2026</td>" not in html
    plain_wording(html)

    holder_page = await (await service.client.get(_path(extract_link))).text()
    assert "2025 年度学时证明" in holder_page
    pdf = await (await service.client.get(_path(extract_link) + "/certificate.pdf")).read()
    (tmp_path / "extract.pdf").write_bytes(pdf)
    text = subprocess.run(["pdftotext", str(tmp_path / "extract.pdf"), "-"], capture_output=True, text=True).stdout
    assert "2025 年度学时证明" in text and "本证明仅列 2025 年度继续教育学时，非完整证书" in text
    assert "继续教育证书" not in text and "欧阳晓明" in text


async def test_a_later_full_certificate_supersedes_only_the_full_one(service):
    person = await a_person_with_hours()
    await _certificate_link(service, text="证书 2025")
    await _certificate_link(service)
    await hours_of(person, 2026, Category.PROFESSIONAL, "20")
    await _certificate_link(service)
    extract, old_full, new_full = await CertificateSnapshot.all().order_by("id")
    assert old_full.superseded_by_id == new_full.id
    assert extract.superseded_by_id is None and new_full.superseded_by_id is None

    html = await (await service.client.get(f"/v/{old_full.code}")).text()
    assert "已更新" in html and "持证人已有更新的证书，本证书内容已被更新（学时变化如下）" in html
    assert new_full.code in html and "增加 20 学时" in html
    plain_wording(html)
    html = await (await service.client.get(f"/v/{extract.code}")).text()
    assert "有效" in html and "这是 2025 年度学时证明" in html


async def test_a_new_extract_of_a_year_supersedes_only_the_extract_of_that_year(service):
    person = await a_person_with_hours()
    await _certificate_link(service)
    await _certificate_link(service, text="证书 2025")
    await _certificate_link(service, text="证书 2026")
    await hours_of(person, 2025, Category.PUBLIC, "6")
    await _certificate_link(service, text="证书 2025")
    full, extract_2025, extract_2026, new_2025 = await CertificateSnapshot.all().order_by("id")
    assert extract_2025.superseded_by_id == new_2025.id
    assert full.superseded_by_id is None and extract_2026.superseded_by_id is None

    html = await (await service.client.get(f"/v/{extract_2025.code}")).text()
    assert "已更新" in html and "持证人已有更新的 2025 年度学时证明，本证明内容已被更新（学时变化如下）" in html
    assert "增加 6 学时" in html and "与本证明相比" in html
    plain_wording(html)


async def test_a_revoked_extract_says_it_is_a_revoked_extract(service):
    await a_person_with_hours()
    await _certificate_link(service, text="证书 2025")
    extract = await CertificateSnapshot.get()
    await revoke(extract.code, "重复签发", datetime.now(UTC), "admin:1")
    html = await (await service.client.get(f"/v/{extract.code}")).text()
    assert "已撤销" in html and "这是 2025 年度学时证明，该证明已撤销" in html and "重复签发" in html
    plain_wording(html)


async def test_the_pages_of_a_valid_and_a_revoked_certificate_read_plainly(service):
    await a_person_with_hours()
    await _certificate_link(service)
    snapshot = await CertificateSnapshot.get()
    html = await (await service.client.get(f"/v/{snapshot.code}")).text()
    assert "证书真实有效。这是持证人目前有效的证书。" in html
    plain_wording(html)
    await revoke(snapshot.code, "重复签发", datetime.now(UTC), "admin:1")
    html = await (await service.client.get(f"/v/{snapshot.code}")).text()
    assert "该证书已撤销，不再有效。" in html
    plain_wording(html)
    html = await (await service.client.get("/v/NOTACODE")).text()
    assert "无效" in html
    plain_wording(html)
