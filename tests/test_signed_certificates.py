"""Certificates that prove themselves: a PDF signed PAdES by the issuing body, a QR code carrying a signed
token, keys a security officer would accept. Checked with readers nobody here wrote: pdfsig, pyHanko's
validator, zbar."""

import asyncio
import contextlib
import dataclasses
import datetime as dt
import io
import json
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import zxingcpp
from asn1crypto import keys as asn1_keys
from asn1crypto import tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from PIL import Image
from pydantic import ValidationError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.timestamps import DummyTimeStamper, TimestampRequestError
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext
from pyzbar import pyzbar
from yarl import URL

from bot.keys import TEST_CA_NAME, KeyProblem, init_test_keys, load_keys
from handlers.links import holder_token
from handlers.qr_token import (
    MIN_TOKEN_CHARS,
    Claims,
    SigningKey,
    TokenInvalid,
    UnknownKey,
    read_token,
    sign_token,
)
from render.cache import default_cache
from render.pdf import certificate_pdf
from render.qr import qr_png
from render.signing import sign_pdf
from storage.certificates import file_seal, revoke
from storage.ids import mask_name
from storage.models import Category, CertificateSnapshot, SignedPdf
from tests.conftest import keys_for_tests, make_settings, running_service
from tests.domain import hours_of
from tests.test_certificate import _certificate_link, _path, a_person_with_hours
from tests.test_cli import jxjy
from tests.test_render import a_certificate

PUBLIC = "https://jxjy.example.gov.cn"


def the_keys(**overrides):
    return load_keys(make_settings("sqlite://:memory:", **overrides))


def trust_roots() -> list[x509.Certificate]:
    return [x509.load_pem_x509_certificate((keys_for_tests()["signing_p12"].parent / "test-ca.pem").read_bytes())]


def pdfsig(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "signed.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdfsig", str(path)], capture_output=True, text=True).stdout


def pyhanko_status(pdf: bytes, also_trusted: tuple[x509.Certificate, ...] = ()):
    roots = [asn1_x509.Certificate.load(c.public_bytes(serialization.Encoding.DER)) for c in trust_roots()]
    roots += [asn1_x509.Certificate.load(c.public_bytes(serialization.Encoding.DER)) for c in also_trusted]
    [signature] = PdfFileReader(io.BytesIO(pdf), strict=False).embedded_signatures
    return validate_pdf_signature(signature, ValidationContext(trust_roots=roots, allow_fetching=False))


def zbar_texts(png: bytes) -> list[str]:
    return [symbol.data.decode() for symbol in pyzbar.decode(Image.open(io.BytesIO(png)))]


def qr_version_and_level(png: bytes) -> tuple[int, str]:
    [code] = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    return int(code.extra["Version"]), code.ec_level


def pdf_at_100_dpi(pdf: bytes) -> bytes:
    return subprocess.run(
        ["pdftoppm", "-png", "-r", "100", "-f", "1", "-l", "1", "-singlefile", "-"],
        input=pdf,
        capture_output=True,
        check=True,
    ).stdout


# --- the signed PDF ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def signed() -> bytes:
    return sign_pdf(certificate_pdf(a_certificate()), the_keys().pdf)


def test_a_signed_pdf_is_valid_and_covers_the_whole_document_for_pdfsig(signed, tmp_path) -> None:
    report = pdfsig(signed, tmp_path)
    assert "Signature is Valid." in report, report
    assert "Total document signed" in report
    assert "ETSI.CAdES.detached" in report  # PAdES, not the legacy PKCS#7 subfilter
    assert "河南省人力资源和社会保障厅（测试）" in report


def test_a_signed_pdf_is_intact_trusted_and_whole_for_pyhankos_validator(signed) -> None:
    status = pyhanko_status(signed)
    assert status.intact and status.valid and status.trusted, status.pretty_print_details()
    assert status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    assert status.signing_cert.issuer.native["common_name"] == TEST_CA_NAME
    assert status.timestamp_validity is None  # B-B: no timestamp authority configured


@contextlib.contextmanager
def a_local_timestamp_authority() -> Iterator[tuple[str, x509.Certificate]]:
    """An RFC 3161 timestamp service on a loopback port, as a CA runs one: pyHanko's DummyTimeStamper answering
    over HTTP with a TSA certificate (extended key usage timeStamping) of its own CA. Yields its URL and root."""
    root_key, tsa_key = (rsa.generate_private_key(public_exponent=65537, key_size=2048) for _ in range(2))
    root_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Local TSA root (tests)")])
    start = dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
    builder = x509.CertificateBuilder().issuer_name(root_name).not_valid_before(start)
    builder = builder.not_valid_after(start + dt.timedelta(days=30))
    root = (
        builder.subject_name(root_name)
        .public_key(root_key.public_key())
        .serial_number(1)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(root_key, hashes.SHA256())
    )
    tsa = (
        builder.subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Local TSA (tests)")]))
        .public_key(tsa_key.public_key())
        .serial_number(2)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
        .sign(root_key, hashes.SHA256())
    )
    stamper = DummyTimeStamper(
        tsa_cert=asn1_x509.Certificate.load(tsa.public_bytes(serialization.Encoding.DER)),
        tsa_key=asn1_keys.PrivateKeyInfo.load(
            tsa_key.private_bytes(
                serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        ),
        certs_to_embed=[asn1_x509.Certificate.load(root.public_bytes(serialization.Encoding.DER))],
    )
    asked: list[bytes] = []

    class Answer(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            request = self.rfile.read(int(self.headers["Content-Length"]))
            asked.append(request)
            reply = stamper.request_tsa_response(tsp.TimeStampReq.load(request)).dump()
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Answer)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/tsa", root
    finally:
        server.shutdown()
        server.server_close()
    assert asked, "the timestamp authority was never asked"


def test_with_a_timestamp_authority_configured_the_signature_is_timestamped_pades_b_t(tmp_path) -> None:
    with a_local_timestamp_authority() as (url, tsa_root):
        signer = the_keys(timestamp_url=url).pdf
        signed = sign_pdf(certificate_pdf(a_certificate()), signer)

    status = pyhanko_status(signed, also_trusted=(tsa_root,))
    assert status.intact and status.valid and status.trusted, status.pretty_print_details()
    assert status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    stamp = status.timestamp_validity
    assert stamp is not None and stamp.intact and stamp.valid and stamp.trusted, status.pretty_print_details()
    assert abs(stamp.timestamp - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=5)
    report = pdfsig(signed, tmp_path)
    assert "Signature is Valid." in report and "Total document signed" in report, report


def test_an_unreachable_timestamp_authority_signs_nothing_rather_than_drop_to_b_b() -> None:
    signer = the_keys(timestamp_url=a_url_nobody_answers()).pdf
    with pytest.raises(TimestampRequestError):
        sign_pdf(certificate_pdf(a_certificate()), signer)


def a_url_nobody_answers() -> str:
    """On a loopback port that was just free: the connection is refused, as by a timestamp service that is down."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    port = server.server_address[1]
    server.server_close()
    return f"http://127.0.0.1:{port}/tsa"


# --- the QR token --------------------------------------------------------------------------------------------


CLAIMS = Claims(
    cert_number="4101002026000001",
    name="欧**明",
    id_number="410105********1234",
    issuer_region="410100",
    issued_on=dt.date(2026, 3, 1),
    snapshot="ABCDEFGHIJKLMNOPQ",
    digest=bytes(range(10)),
)


def test_a_token_round_trips_and_a_changed_character_or_an_unknown_key_is_refused() -> None:
    key = SigningKey(Ed25519PrivateKey.generate())
    token = sign_token(CLAIMS, key)
    assert read_token(token, {key.public.kid: key.public}) == (CLAIMS, key.public)
    for at in (10, 60, len(token) - 3):
        changed = token[:at] + ("B" if token[at] != "B" else "C") + token[at + 1 :]
        with pytest.raises(TokenInvalid):
            read_token(changed, {key.public.kid: key.public})
    other = SigningKey(Ed25519PrivateKey.generate())
    with pytest.raises(UnknownKey):
        read_token(token, {other.public.kid: other.public})


def test_the_longest_name_registration_accepts_still_fits_a_version_10_qr_code_at_level_m() -> None:
    longest = "阿" * 9 + "·" + "买" * 10  # 20 characters, the most registration takes
    claims = dataclasses.replace(CLAIMS, name=mask_name(longest))
    link = f"{PUBLIC}/v/{sign_token(claims, the_keys().qr)}"
    png = qr_png(link)
    version, level = qr_version_and_level(png)
    assert version <= 10 and level == "M" and zbar_texts(png) == [link]


# --- through the service -------------------------------------------------------------------------------------


async def test_the_qr_on_the_image_and_on_the_pdf_at_100_dpi_decodes_with_zbar_to_a_small_signed_link(service):
    await a_person_with_hours(name="欧阳晓明")
    link = await _certificate_link(service)
    png = await (await service.client.get(_path(link) + "/certificate.png")).read()
    pdf = await (await service.client.get(_path(link) + "/certificate.pdf")).read()
    printed = pdf_at_100_dpi(pdf)

    [on_screen] = zbar_texts(png)
    [on_paper] = zbar_texts(printed)
    assert on_screen == on_paper and on_screen.startswith(f"{PUBLIC}/v/")
    for image in (png, printed):
        version, level = qr_version_and_level(image)
        assert version <= 10 and level in ("M", "Q", "H")
    claims, key = read_token(URL(on_screen).name, the_keys().by_kid())
    assert claims.name == "欧**明" and key.is_test

    page = await service.client.get(_path(on_screen))
    html = await page.text()
    assert page.status == 200 and "有效" in html and "二维码签名：<strong>有效</strong>" in html
    assert "不一致" not in html and "测试证书" in html


async def test_the_page_says_test_certificate_when_only_the_pdf_is_signed_by_the_test_ca(database_url, tmp_path):
    production_qr_key = tmp_path / "qr.pem"  # no test mark: as a real QR key is made (README, "Signing keys")
    production_qr_key.write_bytes(
        Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    async with running_service(make_settings(database_url, qr_signing_key=production_qr_key)) as service:
        await a_person_with_hours()
        link = await _certificate_link(service)
        [verify_url] = zbar_texts(await (await service.client.get(_path(link) + "/certificate.png")).read())
        html = await (await service.client.get(_path(verify_url))).text()
    assert "二维码签名：<strong>有效</strong>" in html and "，测试密钥）" not in html  # a key without the mark
    assert "测试证书" in html  # the PDF it verifies is signed by the test CA


async def test_the_page_says_where_the_token_and_the_records_disagree(service):
    person = await a_person_with_hours()
    link = await _certificate_link(service)
    png = await (await service.client.get(_path(link) + "/certificate.png")).read()
    [verify_url] = zbar_texts(png)
    snapshot = await CertificateSnapshot.get(person_id=person.id)

    # The record's facts changed after issue: the digest in the token no longer matches.
    snapshot.content_hash = "0" * 64
    await snapshot.save()
    html = await (await service.client.get(_path(verify_url))).text()
    assert "内容摘要与平台记录不一致" in html

    await revoke(snapshot.code, "证书信息有误", dt.datetime.now(dt.UTC), "test")
    html = await (await service.client.get(_path(verify_url))).text()
    assert "已撤销" in html and "平台记录显示该证书已被撤销" in html

    # A genuinely signed token for a snapshot the platform never issued.
    token = sign_token(dataclasses.replace(CLAIMS, snapshot="NOSUCHSNAPSHOT123"), the_keys().qr)
    page = await service.client.get(f"/v/{token}")
    html = await page.text()
    assert page.status == 404 and "平台上没有这份证书" in html and "4101002026000001" in html


async def test_a_forged_token_is_refused_and_reveals_nothing(service):
    person = await a_person_with_hours()
    link = await _certificate_link(service)
    [verify_url] = zbar_texts(await (await service.client.get(_path(link) + "/certificate.png")).read())
    token = URL(verify_url).name
    forged = token[:40] + ("A" if token[40] != "A" else "B") + token[41:]
    page = await service.client.get(f"/v/{forged}")
    html = await page.text()
    assert page.status == 404 and "二维码签名：<strong>无效</strong>" in html and person.cert_number not in html


async def test_tokens_an_attacker_makes_are_refused_without_error_or_revealing_the_certificate(service):
    person = await a_person_with_hours()
    link = await _certificate_link(service)
    [verify_url] = zbar_texts(await (await service.client.get(_path(link) + "/certificate.png")).read())
    token = URL(verify_url).name
    snapshot = await CertificateSnapshot.get(person_id=person.id)
    true_claims = dataclasses.replace(
        CLAIMS, cert_number=person.cert_number, snapshot=snapshot.code, digest=bytes.fromhex(snapshot.content_hash)
    )
    unknown_key = sign_token(true_claims, SigningKey(Ed25519PrivateKey.generate()))
    truncated = [token[:-1], token[:-13], token[: len(token) // 2], token[:MIN_TOKEN_CHARS]]
    for forged in (unknown_key, *truncated, "A" * 4000):
        page = await service.client.get(f"/v/{forged}")
        html = await page.text()
        assert page.status == 404 and "无效" in html, (forged, page.status)
        assert person.cert_number not in html and "有效</strong>" not in html

    # A path longer than any request line the server reads is refused before the application sees it.
    page = await service.client.get("/v/" + "A" * 20_000)
    assert page.status in (400, 414)


async def test_a_token_signed_with_our_key_but_another_name_is_shown_as_disagreeing_with_the_records(service):
    person = await a_person_with_hours(name="欧阳晓明")
    await _certificate_link(service)
    snapshot = await CertificateSnapshot.get(person_id=person.id)
    claims = dataclasses.replace(
        CLAIMS,
        cert_number=person.cert_number,
        name="李*",
        snapshot=snapshot.code,
        digest=bytes.fromhex(snapshot.content_hash),
        issued_on=snapshot.issued_at.astimezone(dt.timezone(dt.timedelta(hours=8))).date(),
        issuer_region="410000",
    )
    html = await (await service.client.get(f"/v/{sign_token(claims, the_keys().qr)}")).text()
    assert "二维码中的姓名（李*）与平台记录（欧**明）不一致" in html


async def test_an_old_link_with_the_snapshot_code_alone_keeps_working(service):
    person = await a_person_with_hours()
    await _certificate_link(service)
    snapshot = await CertificateSnapshot.get(person_id=person.id)
    page = await service.client.get(f"/v/{snapshot.code}")
    assert page.status == 200 and "有效" in await page.text()


async def test_the_pdf_is_signed_once_and_every_request_gets_the_stored_bytes(service):
    await a_person_with_hours()
    link = await _certificate_link(service)
    first = await (await service.client.get(_path(link) + "/certificate.pdf")).read()
    default_cache.clear()  # as another worker would: nothing in its memory
    second = await (await service.client.get(_path(link) + "/certificate.pdf")).read()
    assert first == second and await SignedPdf.all().count() == 1
    assert (await asyncio.to_thread(pyhanko_status, second)).intact


def another_signing_certificate(directory: Path) -> dict[str, object]:
    """A signing certificate besides the tests' own (from a test CA of its own), as REGIONAL_SIGNING names one."""
    init_test_keys(directory / "another.p12", "another-password", directory / "unused-qr.pem")
    return {"p12": directory / "another.p12", "password": "another-password"}


def signer_of(pdf: bytes) -> str:
    [signature] = PdfFileReader(io.BytesIO(pdf), strict=False).embedded_signatures
    return signature.signer_cert.sha256.hex()


async def test_a_region_with_its_own_certificate_signs_its_certificates_the_others_fall_back_to_the_provinces(
    database_url, tmp_path
):
    settings = make_settings(database_url, regional_signing={"410100": another_signing_certificate(tmp_path)})
    keys = load_keys(settings)
    province, zhengzhou = keys.pdf.fingerprint, keys.regional["410100"].fingerprint
    assert province != zhengzhou and keys.pdf_signer_for("410200").fingerprint == province
    async with running_service(settings) as service:
        person = await a_person_with_hours()
        await _certificate_link(service)  # before the seal is filed: the province's seal and certificate
        await file_seal("410100", "郑州市人力资源和社会保障局", dt.datetime.now(dt.UTC), "test")
        await hours_of(person, 2026, Category.PUBLIC, "2")
        await _certificate_link(service)
        old, new = await CertificateSnapshot.all().order_by("id")
        pdfs = {}
        for snapshot in (old, new):
            link = f"/c/{holder_token(snapshot.id, settings.secret_key)}/certificate.pdf"
            pdfs[snapshot.seal_region_id] = await (await service.client.get(link)).read()
        published = await (await service.client.get("/.well-known/jxjy-keys.json")).json()

    assert signer_of(pdfs[None]) == province and signer_of(pdfs["410100"]) == zhengzhou
    assert (await asyncio.to_thread(pdfsig, pdfs["410100"], tmp_path)).count("Signature is Valid.") == 1
    certificates = {entry["region"]: entry["sha256"] for entry in published["pdf_signing_certificates"]}
    assert certificates == {"410000": province, "410100": zhengzhou}


async def test_a_new_signing_certificate_signs_new_pdfs_and_stored_ones_keep_the_signature_they_got(
    database_url, tmp_path
):
    async with running_service(make_settings(database_url)) as service:
        person = await a_person_with_hours()
        old_link = await _certificate_link(service)
        before = await (await service.client.get(_path(old_link) + "/certificate.pdf")).read()

    replacement = another_signing_certificate(tmp_path)
    settings = make_settings(database_url, signing_p12=replacement["p12"], signing_p12_password=replacement["password"])
    default_cache.clear()  # a restarted worker remembers nothing
    async with running_service(settings) as service:
        after = await (await service.client.get(_path(old_link) + "/certificate.pdf")).read()
        await hours_of(person, 2026, Category.PUBLIC, "2")
        new_link = await _certificate_link(service)
        newer = await (await service.client.get(_path(new_link) + "/certificate.pdf")).read()

    assert after == before and signer_of(after) == the_keys().pdf.fingerprint
    assert signer_of(newer) == load_keys(settings).pdf.fingerprint != signer_of(after)
    assert (await asyncio.to_thread(pyhanko_status, after)).intact


async def test_while_the_timestamp_authority_is_down_the_holder_is_asked_to_retry_and_nothing_is_stored(
    database_url,
):
    async with running_service(make_settings(database_url, timestamp_url=a_url_nobody_answers())) as service:
        await a_person_with_hours()
        link = await _certificate_link(service)
        page = await service.client.get(_path(link) + "/certificate.pdf")
        assert page.status == 503 and "系统繁忙" in await page.text()
        assert not await SignedPdf.exists()

    with a_local_timestamp_authority() as (url, tsa_root):
        async with running_service(make_settings(database_url, timestamp_url=url)) as service:
            pdf = await (await service.client.get(_path(link) + "/certificate.pdf")).read()
    status = await asyncio.to_thread(pyhanko_status, pdf, (tsa_root,))
    assert status.intact and status.timestamp_validity is not None and status.timestamp_validity.intact


async def test_published_keys_keep_retired_ones_and_verify_qr_checks_a_token_offline(database_url, tmp_path):
    old = SigningKey(Ed25519PrivateKey.generate())
    retired = tmp_path / "old-qr.pub.pem"
    retired.write_bytes(
        old.public.key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    settings = make_settings(database_url, qr_retired_keys=[retired])
    async with running_service(settings) as service:
        await a_person_with_hours()
        link = await _certificate_link(service)
        [verify_url] = zbar_texts(await (await service.client.get(_path(link) + "/certificate.png")).read())
        published = await (await service.client.get("/.well-known/jxjy-keys.json")).json()
        old_token = sign_token(CLAIMS, old)
        old_page = await (await service.client.get(f"/v/{old_token}")).text()

    kids = {entry["kid"]: entry["status"] for entry in published["keys"]}
    assert kids == {the_keys().qr.public.kid: "current", old.public.kid: "retired"}
    assert "已停用的旧密钥" in old_page  # an old QR code still verifies against the retired key
    keys_file = tmp_path / "jxjy-keys.json"
    keys_file.write_text(json.dumps(published), encoding="utf-8")

    code, output = await jxjy(database_url, "verify-qr", verify_url, "--keys", str(keys_file), cwd=tmp_path)
    assert code == 0, output
    assert "签名有效" in output and "欧" not in output and "张*明" in output and "410100" in output
    assert "测试密钥" in output and "离线无法证明" in output and "撤销" in output

    forged = verify_url[:-10] + ("A" if verify_url[-10] != "A" else "B") + verify_url[-9:]
    code, output = await jxjy(database_url, "verify-qr", forged, "--keys", str(keys_file), cwd=tmp_path)
    assert code == 1 and "无效" in output


# --- keys ----------------------------------------------------------------------------------------------------------


def test_keys_init_makes_a_test_ca_once_and_never_overwrites(tmp_path) -> None:
    p12, qr = tmp_path / "keys" / "signing.p12", tmp_path / "keys" / "qr-ed25519.pem"
    written = init_test_keys(p12, "pw", qr)
    assert set(written) >= {p12, qr} and oct(p12.stat().st_mode & 0o777) == "0o600"
    before = p12.read_bytes(), qr.read_bytes()
    assert init_test_keys(p12, "pw", qr) == []
    assert (p12.read_bytes(), qr.read_bytes()) == before
    keys = the_keys(signing_p12=p12, signing_p12_password="pw", qr_signing_key=qr)
    assert keys.pdf.is_test and keys.qr.is_test


def test_a_missing_unreadable_or_expired_key_stops_start_up_with_a_clear_message(tmp_path) -> None:
    with pytest.raises(KeyProblem, match=r"找不到签章证书.*jxjy keys init"):
        the_keys(signing_p12=tmp_path / "nothing.p12")
    with pytest.raises(KeyProblem, match="SIGNING_P12_PASSWORD 不对"):
        the_keys(signing_p12_password="wrong")
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("not a key")
    with pytest.raises(KeyProblem, match=r"二维码签名密钥 .* 无法读取"):
        the_keys(qr_signing_key=garbage)
    with pytest.raises(KeyProblem, match=r"无法读取签章证书（SIGNING_P12）"):
        the_keys(signing_p12=tmp_path)  # a directory, say, where the file was meant to be
    with pytest.raises(KeyProblem, match=r"无法读取二维码签名密钥"):
        the_keys(qr_signing_key=tmp_path)
    far_future = dt.datetime(2100, 1, 1, tzinfo=dt.UTC)
    with pytest.raises(KeyProblem, match=r"已于 .* 过期"):
        load_keys(make_settings("sqlite://:memory:"), now=far_future)


def test_a_regions_configured_certificate_that_is_missing_or_wrong_stops_start_up_naming_the_region(tmp_path):
    with pytest.raises(KeyProblem, match=r"找不到410100 的签章证书（REGIONAL_SIGNING）"):
        the_keys(regional_signing={"410100": {"p12": tmp_path / "nothing.p12"}})
    wrong_password = another_signing_certificate(tmp_path) | {"password": "wrong"}
    with pytest.raises(KeyProblem, match="REGIONAL_SIGNING 中 410100 的 password 不对"):
        the_keys(regional_signing={"410100": wrong_password})
    with pytest.raises(ValidationError, match="the province's certificate is SIGNING_P12"):
        the_keys(regional_signing={"410000": another_signing_certificate(tmp_path)})


async def test_jxjy_serve_refuses_to_start_without_its_keys(tmp_path):
    code, output = await jxjy(
        f"sqlite://{tmp_path}/db.sqlite3", "serve", cwd=tmp_path, extra_env={"SIGNING_P12": str(tmp_path / "x.p12")}
    )
    assert code == 2 and "未启动" in output and "找不到签章证书" in output
