"""Every XLSX export is written here, so none can carry a live formula.

A value typed by someone (a name, a unit, a course) that starts with =, +, -, @, a tab or a carriage return
would be run as a formula by Excel or WPS when the export is opened (CSV/formula injection); such text is
written with a leading apostrophe, which spreadsheet programs show as plain text. Only `neutralised` text
reaches the writer, so none of it starts with "=", which PyExcelerate would otherwise write as a formula.

PyExcelerate writes a 5,000-row export in about half openpyxl's time; the rows are kept until `bytes()`.
"""

import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from openpyxl.utils.cell import column_index_from_string, coordinate_from_string
from pyexcelerate import Font, Format, Panes, Style, Workbook

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_BOLD = Style(font=Font(bold=True))


def neutralised(value: object) -> object:
    """Text that a spreadsheet would read as a formula, made inert; every other value as it is."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


@dataclass(frozen=True)
class Formatted:
    """A number shown in a format (a rate as "0.0%")."""

    value: float | None
    number_format: str


class Export:
    """A workbook: `sheet = export.sheet(title, widths)`, `sheet.append(row)`, `export.bytes()`."""

    def __init__(self) -> None:
        self._sheets: list[ExportSheet] = []

    def sheet(self, title: str, widths: Sequence[float] = (), freeze: str | None = None) -> "ExportSheet":
        self._sheets.append(ExportSheet(title, widths, freeze))
        return self._sheets[-1]

    def bytes(self) -> bytes:
        book = Workbook()
        for sheet in self._sheets:
            sheet.write_to(book)
        out = io.BytesIO()
        book.save(out)
        return out.getvalue()


class ExportSheet:
    def __init__(self, title: str, widths: Sequence[float], freeze: str | None) -> None:
        self._title, self._widths, self._freeze = title, widths, freeze
        self._rows: list[list[object]] = []
        self._styled: list[tuple[int, int, Style]] = []  # (row, column), from 1

    def append(self, values: Iterable[object]) -> None:
        row = []
        for column, value in enumerate(values, 1):
            if isinstance(value, Formatted):
                self._styled.append((len(self._rows) + 1, column, Style(format=Format(value.number_format))))
                value = value.value
            row.append(_cell(value))
        self._rows.append(row)

    def header(self, values: Iterable[object]) -> None:
        """A row in bold."""
        self.append(values)
        self._styled += [(len(self._rows), column, _BOLD) for column in range(1, len(self._rows[-1]) + 1)]

    def number(self, value: float | None, number_format: str) -> Formatted:
        return Formatted(value, number_format)

    def write_to(self, book: Workbook) -> None:
        sheet = book.new_sheet(self._title, data=self._rows)
        for column, width in enumerate(self._widths, 1):
            sheet.set_col_style(column, Style(size=width))
        for row, column, style in self._styled:
            sheet.set_cell_style(row, column, style)
        if self._freeze:
            letters, row = coordinate_from_string(self._freeze)
            sheet.panes = Panes(column_index_from_string(letters) - 1, row - 1)


def _cell(value: object) -> object:
    if value is None or isinstance(value, bool | int | float | Decimal | datetime | date):
        return value
    return neutralised(str(value))
