"""Every XLSX export is written here, so none can carry a live formula.

A value typed by someone (a name, a unit, a course) that starts with =, +, -, @, a tab or a carriage return
would be run as a formula by Excel or WPS when the export is opened (CSV/formula injection); such text is
written with a leading apostrophe, which spreadsheet programs show as plain text.
"""

import io
from collections.abc import Iterable, Sequence

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import Cell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralised(value: object) -> object:
    """Text that a spreadsheet would read as a formula, made inert; every other value as it is."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class Export:
    """A write-only workbook: `sheet = export.sheet(title, widths)`, `sheet.append(row)`, `export.bytes()`."""

    def __init__(self) -> None:
        self._book = Workbook(write_only=True)

    def sheet(self, title: str, widths: Sequence[float] = (), freeze: str | None = None) -> "ExportSheet":
        sheet = self._book.create_sheet(title)
        for column, width in enumerate(widths, 1):
            sheet.column_dimensions[get_column_letter(column)].width = width
        if freeze:
            sheet.freeze_panes = freeze
        return ExportSheet(sheet)

    def bytes(self) -> bytes:
        out = io.BytesIO()
        self._book.save(out)
        return out.getvalue()


class ExportSheet:
    def __init__(self, sheet) -> None:
        self._sheet = sheet

    def append(self, values: Iterable[object]) -> None:
        self._sheet.append([self._cell(value) for value in values])

    def header(self, values: Iterable[object]) -> None:
        """A row in bold."""
        cells = []
        for value in values:
            cell = WriteOnlyCell(self._sheet, value=neutralised(value))
            cell.font = Font(bold=True)
            cells.append(cell)
        self._sheet.append(cells)

    def number(self, value: float | None, number_format: str) -> Cell:
        """A number shown in a format (a rate as "0.0%")."""
        cell = WriteOnlyCell(self._sheet, value=value)
        cell.number_format = number_format
        return cell

    @staticmethod
    def _cell(value: object) -> object:
        if isinstance(value, Cell):
            value.value = neutralised(value.value)
            return value
        return neutralised(value)
