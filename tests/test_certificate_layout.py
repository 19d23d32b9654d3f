"""The certificate reads well at every length: the PDF's pages as WeasyPrint laid them out and as poppler
extracts them, the phone image as its drawing code drew it, the seal as its pixels show it.

Long names are 40 and more Chinese characters; long certificates run to 150 records.
"""

import itertools
import math
import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, replace

import pytest
import weasyprint
from weasyprint.formatting_structure import boxes

from render import Certificate, certificate_pdf
from render.pdf import certificate_html
from render.png import drawn_text
from render.seal import arc_layout, seal_image
from storage.vocabulary import PROVINCE_ISSUER
from tests.test_render import a_certificate, a_record, a_year

LONG_UNIT = "河南省郑州航空港经济综合实验区管理委员会人力资源和社会保障局下属专业技术人员继续教育服务中心第一分中心"
LONG_COURSE = "新时代背景下专业技术人员创新能力提升与科研成果转化路径研究暨知识产权保护实务专题高级研修班第一期"
LONG_PROVIDER = "河南省人力资源和社会保障厅专业技术人员继续教育基地郑州大学继续教育学院联合培训中心"
AIRPORT_BUREAU = "河南省郑州航空港经济综合实验区人力资源和社会保障局"
TABLE_HEADER = ("年度", "类别", "课程 / 活动", "施教机构", "学时", "登记方式")


def a_certificate_of(records: int, **changes: object) -> Certificate:
    """`a_certificate` with `records` records in all (it has seven of its own)."""
    return a_certificate(extra_records=records - 7, **changes)


def with_long_names(data: Certificate) -> Certificate:
    """Every free-text field long; a course of 96 characters first, then courses of every length from 17 to 56
    characters and providers from 5 to 40, so that whatever a column holds a line, some of them end one character
    into a new line unless the layout prevents it."""
    records = [
        a_record(LONG_COURSE[:length], provider=LONG_PROVIDER[: 5 + (length * 7) % 36]) for length in range(17, 57)
    ]
    return replace(
        data,
        unit=LONG_UNIT,
        region="郑州航空港经济综合实验区（郑州新郑综合保税区）",
        issuer=AIRPORT_BUREAU,
        years=(*data.years[:-1], a_year(2025, a_record(LONG_COURSE * 2, provider=LONG_PROVIDER), *records)),
    )


# --- the PDF as laid out ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    table: str  # the class of its table: holder, summary, records
    head: bool  # a header row, repeated on every page
    cells: tuple[tuple[str, ...], ...]  # each cell's lines, as laid out
    top: float


@dataclass(frozen=True)
class Page:
    rows: tuple[Row, ...]
    closing_top: float | None  # where the QR code, seal and issuer begin, if on this page

    def records(self) -> list[Row]:
        return [row for row in self.rows if row.table == "records" and not row.head]


def laid_out(data: Certificate) -> list[Page]:
    """The PDF's pages as WeasyPrint lays them out, before a byte is written."""
    document = weasyprint.HTML(string=certificate_html(data)).render()
    return [_page(page._page_box) for page in document.pages]


def _page(page_box: boxes.Box) -> Page:
    rows: list[Row] = []
    closing_top = None
    for box, table, group in _walk(page_box, "", ""):
        if isinstance(box, boxes.TableRowBox):
            cells = tuple(tuple(_text(line) for line in _lines(cell)) for cell in box.children)
            rows.append(Row(table, group == "thead", cells, box.position_y))
        elif isinstance(box, boxes.BlockBox) and box.element is not None and box.element.get("class") == "closing":
            closing_top = box.position_y
    return Page(tuple(rows), closing_top)


def _walk(box: boxes.Box, table: str, group: str) -> Iterator[tuple[boxes.Box, str, str]]:
    if isinstance(box, boxes.TableBox):
        table = box.element.get("class") or ""
    if isinstance(box, boxes.TableRowGroupBox):
        group = box.element_tag
    yield box, table, group
    for child in getattr(box, "children", ()):
        yield from _walk(child, table, group)


def _lines(box: boxes.Box) -> Iterator[boxes.LineBox]:
    for child in getattr(box, "children", ()):
        if isinstance(child, boxes.LineBox):
            yield child
        else:
            yield from _lines(child)


def _text(box: boxes.Box) -> str:
    if isinstance(box, boxes.TextBox):
        return box.text
    return "".join(_text(child) for child in getattr(box, "children", ()))


def page_text(pdf: bytes, page: int) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", "-enc", "UTF-8", "-f", str(page), "-l", str(page), "-", "-"],
        input=pdf,
        capture_output=True,
        check=True,
    ).stdout.decode()


def letters(line: str) -> int:
    """Characters that carry meaning: letters and digits of any script, not spaces or punctuation."""
    return len(re.findall(r"\w", line))


# --- years: one order in both ---------------------------------------------------------------------------------


def test_the_image_and_the_pdf_list_the_years_newest_first_alike() -> None:
    data = a_certificate()
    pages = laid_out(data)
    drawn = drawn_text(data)

    pdf_summary = [
        int(row.cells[0][0]) for page in pages for row in page.rows if row.table == "summary" and not row.head
    ]
    pdf_details = [int(row.cells[0][0]) for page in pages for row in page.records()]
    image_summary = [int(d.text) for d in drawn if d.part == "summary year"]
    image_details = [int(d.text.split()[0]) for d in drawn if d.part == "year"]

    assert pdf_summary == image_summary == [2025, 2024, 2023]
    assert list(dict.fromkeys(pdf_details)) == image_details == [2025, 2024, 2023]


def test_a_long_image_shows_the_newest_records_and_counts_the_rest_for_the_pdf() -> None:
    drawn = drawn_text(a_certificate_of(150))

    assert [d.text.split()[0] for d in drawn if d.part == "year"] == ["2025", "2024"]
    assert len([d for d in drawn if d.part == "course"]) == 16
    assert "另有 134 条记录未在图片中列出，完整记录见 PDF 版证书" in [d.text for d in drawn]


# --- many pages -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("records", [25, 60, 150])
def test_every_page_says_whose_it_is_and_repeats_the_table_header(records: int) -> None:
    data = a_certificate_of(records)
    pdf = certificate_pdf(data)
    pages = laid_out(data)

    assert len(pages) > 1
    for number in range(1, len(pages) + 1):
        text = page_text(pdf, number)
        first_line = next(line for line in text.splitlines() if line.strip())
        if number > 1:  # page 1 opens with the title and the holder table
            assert "张晓明" in first_line and "证书管理号 4101002017000123" in first_line, first_line
        assert re.search(rf"第\s*{number}\s*页\s*共\s*{len(pages)}\s*页", text)  # -layout drops the spaces
        header = [row for row in pages[number - 1].rows if row.table == "records" and row.head]
        assert [cell[0] for cell in header[0].cells] == list(TABLE_HEADER)
        assert pages[number - 1].records(), f"page {number} has no rows"
    assert sum(len(page.records()) for page in pages) == records


def test_a_certificate_on_one_page_has_no_holder_line_above_it() -> None:
    pdf = certificate_pdf(a_certificate())

    first_line = next(line for line in page_text(pdf, 1).splitlines() if line.strip())
    assert first_line.split() == ["河南省专业技术人员继续教育证书"]


def rows_on_a_full_first_page() -> int:
    return len(laid_out(a_certificate_of(60))[0].records())


def test_the_seal_and_qr_code_never_stand_on_a_last_page_without_rows_of_the_table() -> None:
    full = rows_on_a_full_first_page()
    # From a table that fills page 1 back to one that leaves room for the closing block: those that leave less
    # room than it needs push it to page 2, where the last rows must come with it.
    two_pages = 0
    for records in range(full - 12, full + 1):
        pages = laid_out(a_certificate_of(records))
        last = pages[-1]
        if len(pages) == 1:
            continue
        two_pages += 1

        assert len(pages) == 2, records
        assert last.closing_top is not None, records
        assert len(last.records()) >= 3, f"{records} records: {len(last.records())} on the last page"
        assert max(row.top for row in last.records()) < last.closing_top
        assert all(page.closing_top is None for page in pages[:-1])
    assert two_pages >= 6  # the block is about nine rows tall


def test_a_certificate_without_hours_keeps_its_seal_on_its_one_page() -> None:
    pages = laid_out(a_certificate(years=()))

    assert len(pages) == 1 and pages[0].closing_top is not None


# --- no line of one character -----------------------------------------------------------------------------------


def test_no_cell_of_the_pdf_holds_a_line_of_one_character() -> None:
    data = with_long_names(a_certificate())
    pages = laid_out(data)

    wrapped = 0
    lone = []
    for page in pages:
        for row in page.rows:
            for cell in row.cells:
                if len(cell) > 1:
                    wrapped += 1
                    lone += [(line, cell) for line in cell if letters(line) == 1]
    assert wrapped > 60  # the long names did wrap, so the check means something
    assert not lone
    # What keeps the last two characters together is invisible to a reader copying the text out.
    text = page_text(certificate_pdf(data), 1)
    assert "郑州航空港经济综合实验区（郑州新郑综合保税区）" in text and "张晓明" in text and "\u2060" not in text


def test_no_line_of_the_image_holds_one_character_and_a_long_course_ends_in_an_ellipsis() -> None:
    data = with_long_names(a_certificate())
    drawn = drawn_text(data)

    lines = [d for d in drawn if d.part in ("holder", "course", "origin", "issuer")]
    lone = [d for d in lines if letters(d.text) == 1 and d.text != data.gender]
    assert not lone
    courses = [d.text for d in drawn if d.part == "course"]
    assert courses[2].endswith("…")  # the longest course: three lines, then the ellipsis
    assert (LONG_COURSE * 2).startswith("".join(courses[:3]).rstrip("…"))
    unit = "".join(d.text for d in drawn if d.part == "holder" and d.text in LONG_UNIT)
    assert unit == LONG_UNIT  # the unit is never cut


def test_a_long_issuer_name_takes_two_even_lines_above_the_seal_in_both() -> None:
    data = replace(a_certificate(), issuer=AIRPORT_BUREAU)
    pdf_text = page_text(certificate_pdf(data), 1)

    image_lines = [d.text for d in drawn_text(data) if d.part == "issuer"]
    assert image_lines == ["河南省郑州航空港经济综合实验区", "人力资源和社会保障局"]
    assert all(line in pdf_text for line in image_lines)


# --- the seal ---------------------------------------------------------------------------------------------------

ISSUERS = [
    "周口市人社局",
    PROVINCE_ISSUER,
    "郑州市人力资源和社会保障局",
    AIRPORT_BUREAU,
    "新疆维吾尔自治区生产建设兵团第十三师新星市人力资源和社会保障局",
]


@pytest.mark.parametrize("issuer", ISSUERS)
def test_the_characters_on_the_seals_arc_never_touch(issuer: str) -> None:
    """Between every two neighbours on the arc, a radial line through the band of the name crosses no ink."""
    diameter = 600
    alpha = seal_image(issuer, diameter).getchannel("A")
    centre = diameter / 2
    radius = diameter / 2 * 0.97
    placed = arc_layout(issuer)

    assert [p.char for p in placed] == list(issuer)
    touching = []
    for left, right in itertools.pairwise(placed):
        middle = math.radians((left.angle + right.angle) / 2)
        inner, outer = (left.radius - left.size / 2) * radius, (left.radius + left.size / 2) * radius
        inked = [
            alpha.getpixel((round(centre + r * math.sin(middle)), round(centre - r * math.cos(middle))))
            for r in (inner + (outer - inner) * k / 40 for k in range(41))
        ]
        if max(inked) > 40:
            touching.append(left.char + right.char)
    assert not touching


def test_a_long_name_is_narrowed_then_made_smaller_and_never_runs_past_240_degrees() -> None:
    province, airport, longest = (arc_layout(name) for name in (PROVINCE_ISSUER, AIRPORT_BUREAU, ISSUERS[-1]))

    for placed in (province, airport, longest):
        assert placed[-1].angle - placed[0].angle <= 240 + 1e-9
        assert placed[0].angle == -placed[-1].angle  # centred on the top
    assert airport[0].squeeze < province[0].squeeze
    assert longest[0].size < airport[0].size < province[0].size
    assert len({(p.size, p.squeeze, p.radius) for p in longest}) == 1  # one type for the whole name
