"""The certificate renderers, pure: data in, bytes out. No database, no WeChat.

QR codes are read back with a real decoder (zxing-cpp) and PDFs with poppler's pdftotext and pdftoppm, as a
verifier's phone and a print shop would. Pictures worth a look are kept in tests/artifacts/.
"""

import io
import os
import subprocess
import sys
from dataclasses import replace
from datetime import date
from decimal import Decimal
from hashlib import sha256
from pathlib import Path
from typing import Any

import pytest
import zxingcpp
from PIL import Image

from render import (
    PROVINCE_ISSUER,
    Category,
    Certificate,
    HoursRecord,
    RecordSource,
    RenderCache,
    YearHours,
    cached_pdf,
    cached_png,
    certificate_pdf,
    certificate_png,
    content_hash,
    render_in_thread,
    render_pdf,
    render_png,
    seal_png,
    wkhtmltopdf_path,
)
from render.wkhtml import _fix_cmap

ARTIFACTS = Path(__file__).parent / "artifacts"
VERIFY_URL = "https://jxjy.example.cn/v/q8Zt3LmN0pXr"
# Characters Debian's wkhtmltopdf extracts as Kangxi radicals (⼾ ⽅ ⽇ ⼀); they must come out as themselves.
RADICAL_LOOKALIKES = "户方日一"


def a_record(course: str, hours: str = "30", category: Category = Category.PROFESSIONAL, **changes: Any) -> HoursRecord:
    record = HoursRecord(category, course, "河南省地方立法研究会", Decimal(hours), RecordSource.DECLARED)
    return replace(record, **changes)


def a_year(year: int, *records: HoursRecord) -> YearHours:
    return YearHours(year, records, required_total=Decimal(90), required_professional=Decimal(60))


def a_certificate(extra_records: int = 0, **changes: Any) -> Certificate:
    """三年学时, with 户 方 日 一 in the unit, courses and providers; `extra_records` more rows in 2024."""
    bulk = tuple(a_record(f"专题讲座第{i:03d}讲", "1.5", source=RecordSource.IMPORTED) for i in range(extra_records))
    certificate = Certificate(
        holder_name="张晓明",
        gender="男",
        id_number="410105198503121234",
        cert_number="4101002017000123",
        unit="郑州市户籍管理服务中心",
        region="郑州市",
        years=(
            a_year(
                2023,
                a_record("专业技术人员职业道德", "30", Category.PUBLIC, source=RecordSource.PAPER),
                a_record("户籍管理法规与实务", "36", source=RecordSource.PAPER),
                a_record("地方立法技术规范", "24", source=RecordSource.IMPORTED),
            ),
            a_year(
                2024,
                a_record("数字经济与创新驱动发展", "30", Category.PUBLIC),
                a_record("日常安全生产管理", "40", provider="郑州大学继续教育学院"),
                a_record("一级建造师继续教育", "12.5", provider="河南省建设教育协会"),
                *bulk,
            ),
            a_year(2025, a_record("医院感染管理讲座", "24")),
        ),
        issuer=PROVINCE_ISSUER,
        issued_on=date(2025, 6, 1),
        snapshot="S7K2-9QX4",
        verify_url=VERIFY_URL,
    )
    return replace(certificate, **changes)


def decoded_qr_texts(image: Image.Image) -> list[str]:
    return [barcode.text for barcode in zxingcpp.read_barcodes(image)]


def pdftotext(pdf: bytes) -> str:
    return subprocess.run(
        ["pdftotext", "-enc", "UTF-8", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()


def pdf_page_png(pdf: bytes, page: int = 1, dpi: int = 150) -> bytes:
    return subprocess.run(
        ["pdftoppm", "-png", "-r", str(dpi), "-f", str(page), "-l", str(page), "-singlefile", "-"],
        input=pdf,
        capture_output=True,
        check=True,
    ).stdout


def pdf_page_count(pdf: bytes) -> int:
    info = subprocess.run(["pdfinfo", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    return int(next(line.split()[1] for line in info.splitlines() if line.startswith("Pages:")))


def keep(name: str, data: bytes) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / name).write_bytes(data)


# --- the phone image --------------------------------------------------------------------------------------


def test_the_phone_image_carries_a_qr_code_that_decodes_to_the_verification_url() -> None:
    png = certificate_png(a_certificate())
    keep("certificate.png", png)

    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG"
    assert image.width == 1080
    assert decoded_qr_texts(image) == [VERIFY_URL]


def test_a_long_record_keeps_the_phone_image_bounded() -> None:
    long_png = certificate_png(a_certificate(extra_records=300))
    keep("certificate-300-records.png", long_png)
    short = Image.open(io.BytesIO(certificate_png(a_certificate())))
    long = Image.open(io.BytesIO(long_png))

    assert long.width == 1080
    assert short.height < long.height <= 5000
    assert decoded_qr_texts(long) == [VERIFY_URL]


# --- the A4 PDF -------------------------------------------------------------------------------------------


def test_the_printed_pdf_carries_a_qr_code_that_decodes_to_the_verification_url() -> None:
    pdf = certificate_pdf(a_certificate())
    page = pdf_page_png(pdf)
    keep("certificate.pdf", pdf)
    keep("certificate-page1.png", page)

    assert pdf.startswith(b"%PDF-")
    assert decoded_qr_texts(Image.open(io.BytesIO(page))) == [VERIFY_URL]


def test_the_pdf_text_extracts_as_written_including_characters_that_look_like_radicals() -> None:
    text = pdftotext(certificate_pdf(a_certificate()))

    for expected in ("张晓明", "4101002017000123", "户籍管理法规与实务", "地方立法", "日常", "一级", "扫码验证真伪"):
        assert expected in text
    for char in RADICAL_LOOKALIKES:
        assert char in text
    assert not [c for c in text if 0x2E80 <= ord(c) <= 0x2FDF], "Kangxi or CJK radicals in the extracted text"


def test_a_certificate_of_300_records_flows_onto_numbered_pages_with_every_row_present() -> None:
    data = a_certificate(extra_records=300)
    pdf = certificate_pdf(data)
    keep("certificate-300-records.pdf", pdf)
    keep("certificate-300-records-page2.png", pdf_page_png(pdf, page=2, dpi=72))
    text = pdftotext(pdf)

    pages = pdf_page_count(pdf)
    assert data.record_count == 307
    assert pages > 1
    for year in data.years:
        for record in year.records:
            assert record.course in text
    assert f"第 1 页 共 {pages} 页" in text
    assert f"第 {pages} 页 共 {pages} 页" in text
    # The table header is repeated on every page the table runs over.
    page_texts = text.split("\f")[:pages]
    table_pages = [page for page in page_texts if "专题讲座" in page]
    assert len(table_pages) > 1
    assert all("施教机构" in page for page in table_pages)
    assert decoded_qr_texts(Image.open(io.BytesIO(pdf_page_png(pdf, page=pages)))) == [VERIFY_URL]


def test_a_certificate_without_approved_hours_still_renders() -> None:
    data = a_certificate(years=())

    assert "暂无经审核的学时记录" in pdftotext(certificate_pdf(data))
    assert decoded_qr_texts(Image.open(io.BytesIO(certificate_png(data)))) == [VERIFY_URL]


@pytest.mark.skipif(wkhtmltopdf_path() is None, reason="wkhtmltopdf is not installed")
def test_the_wkhtmltopdf_engine_gives_correct_text_a_working_qr_code_and_stable_bytes() -> None:
    data = a_certificate()
    pdf = certificate_pdf(data, engine="wkhtmltopdf")
    keep("certificate-wkhtmltopdf-page1.png", pdf_page_png(pdf))
    text = pdftotext(pdf)

    assert "张晓明" in text
    assert "4101002017000123" in text
    for char in RADICAL_LOOKALIKES:
        assert char in text
    assert not [c for c in text if 0x2E80 <= ord(c) <= 0x2FDF]
    assert decoded_qr_texts(Image.open(io.BytesIO(pdf_page_png(pdf)))) == [VERIFY_URL]
    assert certificate_pdf(data, engine="wkhtmltopdf") == pdf


def test_radicals_in_a_tounicode_map_become_the_ideographs_while_glyph_codes_stay() -> None:
    cmap = (
        b"2 beginbfchar\n<0001> <2F3E>\n<2F00> <4E00>\nendbfchar\n"
        b"3 beginbfrange\n<0002> <0003> [<2F45> <7C4D>]\n<0004> <0005> <2F00>\n<0006> <0007> <0041>\nendbfrange\n"
    )

    assert _fix_cmap(cmap) == (
        b"2 beginbfchar\n<0001> <6237>\n<2F00> <4E00>\nendbfchar\n"  # ⼾ -> 户 (not NFKC's 戶); the code <2F00> stays
        b"3 beginbfrange\n<0002> <0003> [<65B9> <7C4D>]\n"
        b"<0004> <0005> [<4E00> <4E28>]\n"  # a run through a radical is spelled out: ⼀ ⼁ -> 一 丨
        b"<0006> <0007> <0041>\nendbfrange\n"
    )


def test_an_unknown_pdf_engine_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown PDF engine"):
        certificate_pdf(a_certificate(), engine="latex")  # type: ignore[arg-type]


# --- the seal ---------------------------------------------------------------------------------------------


def test_the_seal_is_red_on_a_transparent_background() -> None:
    png = seal_png(PROVINCE_ISSUER)
    keep("seal.png", png)
    seal = Image.open(io.BytesIO(png))

    assert seal.mode == "RGBA"
    raw = seal.tobytes()
    pixels = list(zip(raw[0::4], raw[1::4], raw[2::4], raw[3::4], strict=True))
    transparent = [p for p in pixels if p[3] == 0]
    inked = [p for p in pixels if p[3] > 128]
    assert len(transparent) > len(pixels) * 0.4  # corners and the space between ring, words and star
    assert len(inked) > len(pixels) * 0.05
    assert all(r > 150 and g < 80 and b < 80 for r, g, b, _ in inked)


def test_a_region_whose_seal_is_filed_gets_its_own_seal() -> None:
    zhengzhou = "郑州市人力资源和社会保障局"
    keep("seal-zhengzhou.png", seal_png(zhengzhou))

    assert seal_png(zhengzhou) != seal_png(PROVINCE_ISSUER)
    assert certificate_png(a_certificate(issuer=zhengzhou)) != certificate_png(a_certificate())
    assert zhengzhou in pdftotext(certificate_pdf(a_certificate(issuer=zhengzhou)))


# --- determinism, hashing, caching ------------------------------------------------------------------------


def test_the_same_data_renders_to_the_same_bytes() -> None:
    # Built twice, so nothing can be shared between the two renders but the values themselves.
    assert certificate_png(a_certificate()) == certificate_png(a_certificate())
    assert certificate_pdf(a_certificate()) == certificate_pdf(a_certificate())


def digests_in_a_fresh_process(hash_seed: str) -> list[str]:
    """content hash, PNG sha256 and PDF sha256 of `a_certificate()`, rendered by a new Python process."""
    script = (
        "import hashlib; from tests.test_render import a_certificate;"
        "from render import certificate_png, certificate_pdf, content_hash; d = a_certificate();"
        "print(content_hash(d), hashlib.sha256(certificate_png(d)).hexdigest(),"
        " hashlib.sha256(certificate_pdf(d)).hexdigest())"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=Path(__file__).parent.parent,
        env={**os.environ, "PYTHONHASHSEED": hash_seed},
        capture_output=True,
        check=True,
        text=True,
    )
    return done.stdout.split()[-3:]


def test_another_process_renders_the_same_bytes() -> None:
    # Any worker may serve any certificate, so nothing may depend on the process: not hash seeds, not the clock.
    data = a_certificate()
    here = [content_hash(data), sha256(certificate_png(data)).hexdigest(), sha256(certificate_pdf(data)).hexdigest()]

    assert digests_in_a_fresh_process("1") == here
    assert digests_in_a_fresh_process("2") == here


def test_any_change_in_the_data_changes_the_bytes_and_the_hash() -> None:
    data = a_certificate()
    newer = replace(data, snapshot="S7K2-9QX5")

    assert content_hash(newer) != content_hash(data)
    assert certificate_png(newer) != certificate_png(data)
    assert certificate_pdf(newer) != certificate_pdf(data)


def test_the_content_hash_is_stable_and_tells_apart_what_prints_differently() -> None:
    data = a_certificate()

    assert content_hash(data) == content_hash(a_certificate())
    assert len(content_hash(data)) == 64
    # 12.50 prints differently from 12.5, so it is different content.
    changed_hours = a_certificate(years=(a_year(2023, a_record("户籍管理", "12.50")),))
    same_hours = a_certificate(years=(a_year(2023, a_record("户籍管理", "12.5")),))
    assert content_hash(changed_hours) != content_hash(same_hours)


def test_a_repeat_render_comes_from_the_cache_at_once() -> None:
    cache = RenderCache()
    data = a_certificate()
    first = cache.render("png", certificate_png, data)
    again = cache.render("png", certificate_png, a_certificate())

    assert again is first  # the very same bytes object: nothing was rendered again


def test_the_cache_forgets_the_least_recently_used_beyond_its_bounds() -> None:
    cache = RenderCache(max_entries=2)
    calls: list[str] = []

    def renderer(data: Certificate) -> bytes:
        calls.append(data.snapshot)
        return data.snapshot.encode()

    a, b, c = (a_certificate(snapshot=s) for s in "ABC")
    cache.render("x", renderer, a)
    cache.render("x", renderer, b)
    cache.render("x", renderer, a)  # a is now the most recently used
    cache.render("x", renderer, c)  # evicts b
    cache.render("x", renderer, a)
    cache.render("x", renderer, b)

    assert calls == ["A", "B", "C", "B"]
    assert len(cache) == 2


def test_the_cache_keeps_within_its_byte_budget() -> None:
    cache = RenderCache(max_bytes=10)
    cache.put("x", "1", b"123456")
    cache.put("x", "2", b"123456")

    assert cache.get("x", "1") is None
    assert cache.get("x", "2") == b"123456"


def test_the_shared_cache_serves_a_repeat_png_and_pdf_at_once() -> None:
    first_png, first_pdf = cached_png(a_certificate(snapshot="sync")), cached_pdf(a_certificate(snapshot="sync"))
    again_png, again_pdf = cached_png(a_certificate(snapshot="sync")), cached_pdf(a_certificate(snapshot="sync"))

    assert again_png is first_png and again_pdf is first_pdf


async def test_a_handler_awaiting_the_same_certificate_again_gets_it_from_the_cache_at_once() -> None:
    first_png = await render_png(a_certificate(snapshot="async"))
    first_pdf = await render_pdf(a_certificate(snapshot="async"))
    again_png = await render_png(a_certificate(snapshot="async"))
    again_pdf = await render_pdf(a_certificate(snapshot="async"))

    assert again_png is first_png and again_pdf is first_pdf
    assert first_png == certificate_png(a_certificate(snapshot="async"))


async def test_rendering_off_the_event_loop_gives_the_same_bytes() -> None:
    data = a_certificate()

    png = await render_in_thread(certificate_png, data)

    assert png == certificate_png(data)


# --- the data itself --------------------------------------------------------------------------------------


def test_a_certificate_number_must_be_16_digits() -> None:
    with pytest.raises(ValueError, match="16 digits"):
        a_certificate(cert_number="41010020170001")


def test_hours_must_be_decimal_not_float() -> None:
    with pytest.raises(TypeError, match="Decimal"):
        HoursRecord(Category.PUBLIC, "课程", "机构", 1.5, RecordSource.DECLARED)  # type: ignore[arg-type]


def test_years_are_kept_oldest_first_and_once_each() -> None:
    data = a_certificate()
    reversed_years = replace(data, years=data.years[::-1])

    assert [y.year for y in reversed_years.years] == [2023, 2024, 2025]
    assert content_hash(reversed_years) == content_hash(data)
    with pytest.raises(ValueError, match="once"):
        replace(data, years=(a_year(2024), a_year(2024)))


def test_year_totals_add_up_by_category() -> None:
    year = a_certificate().years[1]

    assert (year.total, year.professional, year.public) == (Decimal("82.5"), Decimal("52.5"), Decimal(30))


# --- the one-year extract ---------------------------------------------------------------------------------

_RED_INK = (158, 24, 24)


def _red_columns(image: Image.Image, top: int, bottom: int) -> range:
    """The horizontal extent of the title red between two heights (empty when there is none)."""
    band = image.convert("RGB").crop((40, top, image.width - 40, bottom))  # inside the red frame
    xs = [
        x
        for x in range(band.width)
        for y in range(0, band.height, 2)
        if sum(abs(a - b) for a, b in zip(band.getpixel((x, y)), _RED_INK, strict=True)) < 60
    ]
    return range(min(xs), max(xs) + 1) if xs else range(0)


def an_extract(year: int = 2024) -> Certificate:
    full = a_certificate()
    return replace(full, years=tuple(y for y in full.years if y.year == year), extract_year=year)


def test_an_extracts_pdf_is_titled_and_marked_as_one_year_only() -> None:
    pdf = certificate_pdf(an_extract())
    keep("extract.pdf", pdf)
    text = pdftotext(pdf)
    assert "2024 年度学时证明" in text and "本证明仅列 2024 年度继续教育学时，非完整证书" in text
    assert "继续教育证书" not in text and "2023" not in text
    assert "核验码 S7K2-9QX4" in text and "快照" not in text

    full = pdftotext(certificate_pdf(a_certificate()))
    assert "河南省专业技术人员继续教育证书" in full and "年度学时证明" not in full and "非完整证书" not in full
    assert "最新证书" not in full


def test_an_extracts_image_has_its_own_shorter_title_and_a_red_note_under_it() -> None:
    png = certificate_png(an_extract())
    keep("extract.png", png)
    extract = Image.open(io.BytesIO(png))
    full = Image.open(io.BytesIO(certificate_png(replace(an_extract(), extract_year=None))))

    # "2024 年度学时证明" is about half as wide as 河南省专业技术人员继续教育证书, both centred.
    extract_title, full_title = _red_columns(extract, 96, 150), _red_columns(full, 96, 150)
    assert 300 < len(extract_title) < len(full_title) * 0.7
    # The note sits in red where the full certificate's holder table begins.
    assert len(_red_columns(extract, 224, 262)) > 600
    assert len(_red_columns(full, 224, 262)) == 0
    assert decoded_qr_texts(extract) == [VERIFY_URL]


def test_an_extract_shows_its_own_year_only() -> None:
    with pytest.raises(ValueError, match="2024"):
        replace(a_certificate(), extract_year=2024)
