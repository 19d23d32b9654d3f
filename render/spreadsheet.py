"""Every XLSX export is written here, so none can carry a live formula.

A value typed by someone (a name, a unit, a course) that starts with =, +, -, @, a tab or a carriage return
would be run as a formula by Excel or WPS when the export is opened (CSV/formula injection); such text is
written with a leading apostrophe, which spreadsheet programs show as plain text.

The workbook is written as its XML parts directly: plain rows, bold headers, number formats, column widths and
frozen panes are all an export needs, and openpyxl's cell objects cost about a second per 5,000 rows of the
batch query's 27 columns. Text is always an inline string, never a formula, whatever it starts with.
"""

import io
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from xml.sax.saxutils import escape

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.utils import get_column_letter
from openpyxl.utils.cell import column_index_from_string, coordinate_from_string
from openpyxl.utils.exceptions import IllegalCharacterError

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
MAX_TEXT = 32_767  # Excel's longest cell text: longer text is cut, as openpyxl did
BOLD = 1  # the style of a header cell (cellXfs index); 0 is the default, number formats follow
FIRST_CUSTOM_FORMAT = 164  # ids below are Excel's built-in number formats


def neutralised(value: object) -> object:
    """Text that a spreadsheet would read as a formula, made inert; every other value as it is."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


@dataclass(frozen=True)
class Formatted:
    """A number shown in a format (a rate as "0.0%"): what ExportSheet.number gives, for a row."""

    value: float | None
    number_format: str
    style: int


class Export:
    """A workbook written once: `sheet = export.sheet(title, widths)`, `sheet.append(row)`, `export.bytes()`."""

    def __init__(self) -> None:
        self._sheets: list[ExportSheet] = []
        self._formats: dict[str, int] = {}  # number format → its cellXfs index

    def sheet(self, title: str, widths: Sequence[float] = (), freeze: str | None = None) -> "ExportSheet":
        sheet = ExportSheet(self, title, widths, freeze)
        self._sheets.append(sheet)
        return sheet

    def style_of(self, number_format: str) -> int:
        return self._formats.setdefault(number_format, BOLD + 1 + len(self._formats))

    def bytes(self) -> bytes:
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as book:
            book.writestr("[Content_Types].xml", self._content_types())
            book.writestr("_rels/.rels", ROOT_RELS)
            book.writestr("xl/workbook.xml", self._workbook())
            book.writestr("xl/_rels/workbook.xml.rels", self._workbook_rels())
            book.writestr("xl/styles.xml", self._styles())
            for number, sheet in enumerate(self._sheets, 1):
                book.writestr(f"xl/worksheets/sheet{number}.xml", sheet.xml())
        return out.getvalue()

    def _content_types(self) -> str:
        sheets = "".join(
            f'<Override PartName="/xl/worksheets/sheet{n}.xml" ContentType="{SHEET_TYPE}"/>'
            for n in range(1, len(self._sheets) + 1)
        )
        return (
            f'{XML}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument'
            '.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument'
            f'.spreadsheetml.styles+xml"/>{sheets}</Types>'
        )

    def _workbook(self) -> str:
        sheets = "".join(
            f'<sheet name="{escape(sheet.title, QUOTE)}" sheetId="{n}" r:id="rId{n}"/>'
            for n, sheet in enumerate(self._sheets, 1)
        )
        return f'{XML}<workbook xmlns="{MAIN}" xmlns:r="{RELATIONSHIPS}"><sheets>{sheets}</sheets></workbook>'

    def _workbook_rels(self) -> str:
        count = len(self._sheets)
        sheets = "".join(
            f'<Relationship Id="rId{n}" Type="{RELATIONSHIPS}/worksheet" Target="worksheets/sheet{n}.xml"/>'
            for n in range(1, count + 1)
        )
        styles = f'<Relationship Id="rId{count + 1}" Type="{RELATIONSHIPS}/styles" Target="styles.xml"/>'
        return f'{XML}<Relationships xmlns="{PACKAGE_RELATIONSHIPS}">{sheets}{styles}</Relationships>'

    def _styles(self) -> str:
        formats = "".join(
            f'<numFmt numFmtId="{FIRST_CUSTOM_FORMAT + n}" formatCode="{escape(code, QUOTE)}"/>'
            for n, code in enumerate(self._formats)
        )
        formatted = "".join(
            f'<xf numFmtId="{FIRST_CUSTOM_FORMAT + n}" fontId="0" fillId="0" borderId="0" xfId="0"'
            ' applyNumberFormat="1"/>'
            for n in range(len(self._formats))
        )
        return (
            f'{XML}<styleSheet xmlns="{MAIN}">'
            + (f'<numFmts count="{len(self._formats)}">{formats}</numFmts>' if self._formats else "")
            + '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>'
            '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
            '<fills count="2"><fill><patternFill patternType="none"/></fill>'
            '<fill><patternFill patternType="gray125"/></fill></fills>'
            '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
            '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
            f'<cellXfs count="{2 + len(self._formats)}">'
            '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
            '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
            f"{formatted}</cellXfs>"
            '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
            "</styleSheet>"
        )


class ExportSheet:
    def __init__(self, export: Export, title: str, widths: Sequence[float], freeze: str | None) -> None:
        self._export, self.title, self._widths, self._freeze = export, title, widths, freeze
        self._rows: list[str] = []

    def append(self, values: Iterable[object]) -> None:
        self._row(values, 0)

    def header(self, values: Iterable[object]) -> None:
        """A row in bold."""
        self._row(values, BOLD)

    def number(self, value: float | None, number_format: str) -> Formatted:
        """A number shown in a format (a rate as "0.0%")."""
        return Formatted(value, number_format, self._export.style_of(number_format))

    def _row(self, values: Iterable[object], style: int) -> None:
        r = len(self._rows) + 1
        cells = [_cell(f"{_column(c)}{r}", value, style) for c, value in enumerate(values, 1)]
        self._rows.append(f'<row r="{r}">{"".join(cells)}</row>')

    def xml(self) -> str:
        views = '<sheetViews><sheetView workbookViewId="0">'
        if self._freeze:
            column, row = coordinate_from_string(self._freeze)
            x, y = column_index_from_string(column) - 1, row - 1
            pane = "bottomRight" if x and y else "bottomLeft" if y else "topRight"
            split = (f' xSplit="{x}"' if x else "") + (f' ySplit="{y}"' if y else "")
            views += f'<pane{split} topLeftCell="{self._freeze}" activePane="{pane}" state="frozen"/>'
            views += f'<selection pane="{pane}"/>'
        views += "</sheetView></sheetViews>"
        columns = "".join(
            f'<col min="{c}" max="{c}" width="{width}" customWidth="1"/>' for c, width in enumerate(self._widths, 1)
        )
        return (
            f'{XML}<worksheet xmlns="{MAIN}" xmlns:r="{RELATIONSHIPS}">{views}'
            '<sheetFormatPr defaultRowHeight="15"/>'
            + (f"<cols>{columns}</cols>" if columns else "")
            + f"<sheetData>{''.join(self._rows)}</sheetData></worksheet>"
        )


def _cell(ref: str, value: object, style: int) -> str:
    if isinstance(value, Formatted):
        value, style = value.value, value.style
    styled = f' s="{style}"' if style else ""
    if isinstance(value, str) and value:
        text = str(neutralised(value))[:MAX_TEXT]
        if ILLEGAL_CHARACTERS_RE.search(text):
            raise IllegalCharacterError(f"{text} cannot be used in worksheets.")
        space = ' xml:space="preserve"' if text[0].isspace() or text[-1].isspace() else ""
        return f'<c r="{ref}"{styled} t="inlineStr"><is><t{space}>{text.translate(ESCAPED)}</t></is></c>'
    if value is None or value == "":
        return f'<c r="{ref}"{styled}/>'
    if isinstance(value, bool):
        return f'<c r="{ref}"{styled} t="b"><v>{int(value)}</v></c>'
    if isinstance(value, int | float | Decimal):
        return f'<c r="{ref}"{styled} t="n"><v>{float(value):.16g}</v></c>'  # as openpyxl writes numbers
    raise TypeError(f"an export holds text and numbers, not {type(value).__name__}")


_COLUMNS: list[str] = []


def _column(index: int) -> str:
    if index > len(_COLUMNS):
        _COLUMNS.extend(get_column_letter(c) for c in range(len(_COLUMNS) + 1, index + 1))
    return _COLUMNS[index - 1]


XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELATIONSHIPS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE_RELATIONSHIPS = "http://schemas.openxmlformats.org/package/2006/relationships"
SHEET_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
ROOT_RELS = (
    f'{XML}<Relationships xmlns="{PACKAGE_RELATIONSHIPS}">'
    f'<Relationship Id="rId1" Type="{RELATIONSHIPS}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
QUOTE = {'"': "&quot;"}
# A carriage return as a reference: a parser turns a bare one into a line feed.
ESCAPED = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"})
