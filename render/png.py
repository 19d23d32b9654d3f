"""The certificate as one PNG for the phone: 1080 px wide, newest years first, bounded in height.

A phone shows the holder, a summary line per year and the detail rows of the most recent years; the rows
that do not fit are counted and left to the PDF, so the image stays readable and never grows without bound.

Readable means no text under 12 CSS px where the holder's page shows the image on a phone 390 px wide: there
it is about 358 CSS px wide (the page's margins), so a pixel of the image is a third of a CSS px and the
smallest type here is 37 px (tests/test_holder_page_browser.py measures it).
"""

import io
import re
from dataclasses import dataclass

from PIL import Image, ImageDraw, ImageFont

from render.certificate import (
    CODE_LABEL,
    VERIFY_LINE,
    Category,
    Certificate,
    HoursRecord,
    YearHours,
    format_date,
    format_hours,
    issuer_lines,
)
from render.fonts import SANS, SANS_BOLD, SERIF, SERIF_BOLD, font
from render.qr import qr_image
from render.seal import seal_image

WIDTH = 1080
# Type sizes in image pixels: SMALL is the least any text may be (12 CSS px at 358 CSS px for 1080 px).
SMALL, BODY, LARGE, HEADING, TITLE = 37, 40, 42, 46, 60
MAX_DETAIL_ROWS = 16
MAX_SUMMARY_YEARS = 12
_START_HEIGHT = 3000  # most certificates fit; the sheet grows when one does not, and is cropped to what was drawn

_PAD = 64
_CONTENT = WIDTH - 2 * _PAD
_PAPER = (255, 253, 248)
_INK = (33, 33, 33)
_MUTED = (112, 108, 104)
_RED = (158, 24, 24)
_RULE = (214, 204, 196)
_TINT = (248, 241, 233)
_GREEN = (30, 110, 60)

# Column widths of the detail rows: category, course (and below it how recorded and the provider), hours.
_DETAIL_COLUMNS = (130, 632, 190)
# Columns of the per-year summary: year, total, professional, public, required, verdict.
_SUMMARY_COLUMNS = (120, 124, 124, 124, 320, 140)
_LETTER = re.compile(r"\w")  # a character that carries meaning, CJK included; not a space or punctuation
assert sum(_DETAIL_COLUMNS) == _CONTENT and sum(_SUMMARY_COLUMNS) == _CONTENT


@dataclass(frozen=True)
class Drawn:
    """A line of text the image shows, and the part of the certificate it belongs to."""

    part: str  # "summary year", "year", "course", "origin", "holder", "issuer", or "" for labels and notes
    text: str


def certificate_png(data: Certificate) -> bytes:
    """The phone image of a certificate; same data, same bytes."""
    return _drawn(data).to_png()


def drawn_text(data: Certificate) -> list[Drawn]:
    """Every line of text the image shows, top to bottom."""
    return _drawn(data).drawn


def _drawn(data: Certificate) -> "_Canvas":
    canvas = _Canvas()
    canvas.title(data)
    canvas.holder(data)
    canvas.summary(data.printed_years, data.cap_footnote)
    canvas.details(data.printed_years)
    canvas.closing(data)
    return canvas


class _Canvas:
    """A tall sheet drawn top to bottom; `y` is where the next section starts."""

    def __init__(self) -> None:
        self.image = Image.new("RGB", (WIDTH, _START_HEIGHT), _PAPER)
        self.draw = ImageDraw.Draw(self.image)
        self.y = 0
        self.drawn: list[Drawn] = []

    def room(self, height: int) -> None:
        """Make sure `height` pixels below `y` exist before drawing them."""
        if self.y + height > self.image.height:
            taller = Image.new("RGB", (WIDTH, max(self.y + height, self.image.height * 3 // 2)), _PAPER)
            taller.paste(self.image, (0, 0))
            self.image, self.draw = taller, ImageDraw.Draw(taller)

    # --- sections, top to bottom -------------------------------------------------------------------------

    def title(self, data: Certificate) -> None:
        self.y = 90
        self.text(WIDTH // 2, self.y, data.title, font(SERIF_BOLD, TITLE), _RED, anchor="mt")
        self.y += 96
        self.draw.line((_PAD, self.y, WIDTH - _PAD, self.y), fill=_RED, width=4)
        self.draw.line((_PAD, self.y + 9, WIDTH - _PAD, self.y + 9), fill=_RED, width=1)
        self.y += 44
        if data.extract_note:
            self.text(WIDTH // 2, self.y, data.extract_note, font(SERIF_BOLD, BODY), _RED, anchor="mt")
            self.y += 80

    def holder(self, data: Certificate) -> None:
        label_w = 230
        half = _CONTENT // 2
        rows: list[list[tuple[str, str, int]]] = [
            [("姓　　名", data.holder_name, half - label_w), ("性　　别", data.gender, half - label_w)],
            [("证书管理号", data.cert_number, _CONTENT - label_w)],
            [("身份证号", data.id_number, _CONTENT - label_w)],
            [("工作单位", data.unit, _CONTENT - label_w)],
            [("所属地区", data.region, _CONTENT - label_w)],
        ]
        value_font = font(SERIF, LARGE)
        for row in rows:
            wrapped = [self.wrap(value, value_font, width - 32) for _, value, width in row]
            height = max(len(lines) for lines in wrapped) * 58 + 26
            self.room(height)
            x = _PAD
            for (label, _, width), lines in zip(row, wrapped, strict=True):
                self.draw.rectangle((x, self.y, x + label_w, self.y + height), fill=_TINT, outline=_RULE)
                self.text(x + label_w // 2, self.y + height // 2, label, font(SERIF, SMALL + 1), _MUTED, anchor="mm")
                self.draw.rectangle((x + label_w, self.y, x + label_w + width, self.y + height), outline=_RULE)
                for i, line in enumerate(lines):
                    y = self.y + 13 + i * 58 + 29
                    self.text(x + label_w + 20, y, line, value_font, _INK, anchor="lm", part="holder")
                x += label_w + width
            self.y += height
        self.y += 40

    def summary(self, years: tuple[YearHours, ...], footnote: str) -> None:
        self.heading("学时汇总")
        headers = ("年度", "合计", "专业", "公需", "要求", "结论")
        self.table_row(headers, _SUMMARY_COLUMNS, font(SANS_BOLD, SMALL), _MUTED, fill=_TINT, height=68)
        shown = years[:MAX_SUMMARY_YEARS]
        for year in shown:
            cells = (
                f"{year.year}",
                format_hours(year.total),
                format_hours(year.professional),
                format_hours(year.public),
                f"{format_hours(year.required_total)}（专业≥{format_hours(year.required_professional)}）",
                "达标" if year.met else "未达标",
            )
            # Where the cap leaves part of the 公需 hours out, the counted total goes under the raw one.
            below = {1: f"计入 {format_hours(year.counted)}*"} if year.capped else {}
            self.table_row(
                cells,
                _SUMMARY_COLUMNS,
                font(SANS, BODY),
                _INK,
                height=112 if below else 70,
                verdict=year.met,
                below=below,
                part="summary year",
            )
        if not years:
            self.note("暂无经审核的学时记录")
        elif len(years) > len(shown):
            self.note(f"另有 {len(years) - len(shown)} 个更早年度见 PDF 版证书")
        if footnote:
            self.note(f"* {footnote}")
        self.y += 40

    def details(self, years: tuple[YearHours, ...]) -> None:
        if not years:
            return
        shown, left_out = _recent(years)
        self.heading("学时明细" if not left_out else "近年学时明细")
        for year, records in shown:
            self.year_band(year, len(records))
            for record in records:
                self.detail_row(record)
            self.y += 20
        if left_out:
            self.note(f"另有 {left_out} 条记录未在图片中列出，完整记录见 PDF 版证书")
        self.y += 20

    def closing(self, data: Certificate) -> None:
        self.room(500)
        top = self.y + 10
        # Whole pixels per module: a fractional scale blurs module edges and slows the scanner down.
        qr = qr_image(data.verify_url, module_px=1)
        qr = qr.resize((qr.width * (256 // qr.width),) * 2, Image.Resampling.NEAREST).convert("RGB")
        qr_side = qr.width
        self.image.paste(qr, (_PAD, top))
        self.text(_PAD + qr_side // 2, top + qr_side + 12, VERIFY_LINE, font(SERIF_BOLD, SMALL + 1), _INK, anchor="mt")

        # The issuer block sits right; the seal is stamped over it the way a paper seal overlaps the date.
        centre_x = _PAD + qr_side + (_CONTENT - qr_side) // 2 + 40
        issuer_font = font(SERIF, LARGE)
        line_y = top + 90
        for line in issuer_lines(data.issuer):
            self.text(centre_x, line_y, line, issuer_font, _INK, anchor="mm", part="issuer")
            line_y += 58
        self.text(centre_x, line_y + 8, format_date(data.issued_on), issuer_font, _INK, anchor="mm")
        seal = seal_image(data.issuer, diameter=300)
        seal_top = line_y + 8 - seal.height // 2  # centred on the date: 骑年盖月
        self.image.paste(seal, (centre_x - seal.width // 2, seal_top), seal)

        self.y = max(top + qr_side + 80, seal_top + seal.height + 16)
        self.draw.line((_PAD, self.y, WIDTH - _PAD, self.y), fill=_RULE, width=1)
        self.text(_PAD, self.y + 20, f"{CODE_LABEL} {data.snapshot}", font(SANS, SMALL), _MUTED, anchor="lt")
        self.text(_PAD, self.y + 72, f"证书管理号 {data.cert_number}", font(SANS, SMALL), _MUTED, anchor="lt")
        self.y += 150

    # --- pieces ------------------------------------------------------------------------------------------

    def heading(self, title: str) -> None:
        self.room(80)
        self.draw.rectangle((_PAD, self.y + 6, _PAD + 8, self.y + 54), fill=_RED)
        self.text(_PAD + 24, self.y, title, font(SERIF_BOLD, HEADING), _INK, anchor="lt")
        self.y += 80

    def year_band(self, year: YearHours, shown: int) -> None:
        height = 84
        self.room(height + 72)
        self.draw.rectangle((_PAD, self.y, WIDTH - _PAD, self.y + height), fill=_TINT)
        self.draw.line((_PAD, self.y, WIDTH - _PAD, self.y), fill=_RED, width=2)
        middle = self.y + height // 2
        self.text(_PAD + 20, middle, f"{year.year} 年度", font(SERIF_BOLD, LARGE + 2), _INK, anchor="lm", part="year")
        verdict = "达标" if year.met else "未达标"
        counted = f"（计入 {format_hours(year.counted)}）" if year.capped else ""
        summary = f"合计 {format_hours(year.total)} 学时{counted}　{verdict}"
        self.text(WIDTH - _PAD - 20, middle, summary, font(SANS, BODY), _GREEN if year.met else _RED, anchor="rm")
        self.y += height
        if shown < len(year.records):
            self.text(_PAD + 20, self.y + 12, f"列出 {shown} / {len(year.records)} 条", font(SANS, SMALL), _MUTED, "lt")
            self.y += 64

    def detail_row(self, record: HoursRecord) -> None:
        widths = _DETAIL_COLUMNS
        course_font, small = font(SANS, BODY), font(SANS, SMALL)
        course_lines = self.wrap(record.course, course_font, widths[1] - 24, max_lines=3)
        # How it was recorded first, so a long provider name never hides it.
        origin = f"{record.source} · {record.provider}" if record.provider else str(record.source)
        origin_lines = self.wrap(origin, small, widths[1] - 24, max_lines=2)
        height = 18 + 54 * len(course_lines) + 48 * len(origin_lines) + 14
        self.room(height)
        x = _PAD
        professional = record.category is Category.PROFESSIONAL
        chip, chip_colour = ("专业", _RED) if professional else ("公需", _MUTED)
        self.draw.rounded_rectangle((x + 8, self.y + 20, x + 108, self.y + 74), radius=8, outline=chip_colour, width=2)
        self.text(x + 58, self.y + 47, chip, small, chip_colour, anchor="mm")
        x += widths[0]
        line_y = self.y + 18
        for line in course_lines:
            self.text(x, line_y, line, course_font, _INK, anchor="lt", part="course")
            line_y += 54
        for line in origin_lines:
            self.text(x, line_y + 2, line, small, _MUTED, anchor="lt", part="origin")
            line_y += 48
        x += widths[1]
        self.text(WIDTH - _PAD, self.y + 18, f"{format_hours(record.hours)} 学时", course_font, _INK, anchor="rt")
        self.y += height
        self.draw.line((_PAD, self.y, WIDTH - _PAD, self.y), fill=_RULE, width=1)

    def table_row(
        self,
        cells: tuple[str, ...],
        widths: tuple[int, ...],
        cell_font: ImageFont.FreeTypeFont,
        colour: tuple[int, int, int],
        *,
        height: int,
        fill: tuple[int, int, int] | None = None,
        verdict: bool | None = None,
        below: dict[int, str] | None = None,
        part: str = "",
    ) -> None:
        """`below`: a small second line under some cells, by column; `part` names what the first cell shows."""
        self.room(height)
        below = below or {}
        x = _PAD
        for i, (cell, width) in enumerate(zip(cells, widths, strict=True)):
            self.draw.rectangle((x, self.y, x + width, self.y + height), fill=fill, outline=_RULE)
            cell_colour = colour
            if verdict is not None and i == len(cells) - 1:
                cell_colour = _GREEN if verdict else _RED
            if i == 0:
                self.text(x + width // 2, self.y + height // 2, cell, cell_font, cell_colour, anchor="mm", part=part)
            elif i in below:
                self.text(x + width // 2, self.y + height // 2 - 4, cell, cell_font, cell_colour, anchor="md")
                self.text(x + width // 2, self.y + height // 2 + 4, below[i], font(SANS, SMALL), _MUTED, anchor="mt")
            else:
                self.text(x + width // 2, self.y + height // 2, cell, cell_font, cell_colour, anchor="mm")
            x += width
        self.y += height

    def note(self, text: str) -> None:
        lines = self.wrap(text, font(SERIF, SMALL), _CONTENT)
        self.room(28 + 52 * len(lines))
        for i, line in enumerate(lines):
            self.text(WIDTH // 2, self.y + 18 + 52 * i, line, font(SERIF, SMALL), _MUTED, anchor="mt")
        self.y += 28 + 52 * len(lines)

    def text(
        self,
        x: int,
        y: int,
        text: str,
        text_font: ImageFont.FreeTypeFont,
        colour: tuple[int, int, int],
        anchor: str,
        part: str = "",
    ) -> None:
        self.draw.text((x, y), text, font=text_font, fill=colour, anchor=anchor)
        self.drawn.append(Drawn(part, text))

    @staticmethod
    def wrap(text: str, text_font: ImageFont.FreeTypeFont, width: int, max_lines: int = 0) -> list[str]:
        """Break anywhere (Chinese has no spaces to wait for), but never leave one character on the last line;
        past `max_lines`, the last line shown ends in an ellipsis."""
        lines, line = [], ""
        for char in text:
            if line and text_font.getlength(line + char) > width:
                lines.append(line)
                line = ""
            line += char
        lines = [*lines, line] if line or not lines else lines
        while len(lines) > 1 and len(_LETTER.findall(lines[-1])) < 2 and len(lines[-2]) > 1:
            lines[-2], lines[-1] = lines[-2][:-1], lines[-2][-1] + lines[-1]
        if max_lines and len(lines) > max_lines:
            kept = lines[max_lines - 1]
            while kept and text_font.getlength(kept + "…") > width:
                kept = kept[:-1]
            lines = [*lines[: max_lines - 1], kept + "…"]
        return lines

    def to_png(self) -> bytes:
        height = self.y + 40
        image = self.image.crop((0, 0, WIDTH, height))
        draw = ImageDraw.Draw(image)
        # The double frame of a paper certificate, drawn last so it spans the final height.
        draw.rectangle((20, 20, WIDTH - 21, height - 21), outline=_RED, width=5)
        draw.rectangle((32, 32, WIDTH - 33, height - 33), outline=_RED, width=1)
        # 256 colours hold the paper, the inks and their anti-aliasing; a third of the bytes, and faster to encode.
        palette = image.quantize(256, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE)
        out = io.BytesIO()
        palette.save(out, format="PNG", compress_level=3)
        return out.getvalue()


def _recent(years: tuple[YearHours, ...]) -> tuple[list[tuple[YearHours, tuple[HoursRecord, ...]]], int]:
    """The records that fit in MAX_DETAIL_ROWS, from the first years given (the last year shown may be cut
    short), and how many records were left out."""
    shown: list[tuple[YearHours, tuple[HoursRecord, ...]]] = []
    budget = MAX_DETAIL_ROWS
    for year in years:
        if budget == 0:
            break
        shown.append((year, year.records[:budget]))
        budget -= len(shown[-1][1])
    total = sum(len(y.records) for y in years)
    return shown, total - sum(len(records) for _, records in shown)
