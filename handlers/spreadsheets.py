"""Reading an uploaded table (CSV or XLSX) with its limits checked before anything large is built.

An XLSX is a zip of XML: a 1.5 KB file can declare a sheet of 16,384 columns by a million rows, or hold a
part that inflates to gigabytes. So the zip's parts are measured first, the sheet's declared dimension is
refused when it is larger than any legitimate upload, and rows are read one at a time, each checked.
"""

import csv
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime

from openpyxl import load_workbook
from openpyxl.utils.cell import range_boundaries
from openpyxl.utils.exceptions import InvalidFileException


@dataclass(frozen=True)
class TableLimits:
    rows: int = 20_001  # header included
    columns: int = 30
    cell_chars: int = 500
    # What the zip's parts may inflate to: a 20,000-row import is about 3 MB of sheet XML.
    uncompressed_bytes: int = 24 * 2**20
    shared_strings_bytes: int = 8 * 2**20  # held in memory whole by the XLSX reader
    zip_entries: int = 200


class TableRefused(Exception):
    """The upload cannot be read as a table within the limits; the message is for the person who sent it."""


class UnreadableTable(TableRefused):
    """Not a CSV or XLSX file at all, or a damaged one."""


def read_table(data: bytes, suffix: str, limits: TableLimits = TableLimits()) -> list[list[str]]:
    """The rows as text cells, header included; XLSX dates become ISO dates. ".xlsx" by suffix, else CSV."""
    rows = _xlsx_rows(data, limits) if suffix.lower() == ".xlsx" else _csv_rows(data, limits)
    table: list[list[str]] = []
    for cells in rows:
        if len(table) >= limits.rows:
            raise TableRefused(f"表格行数过多：一次最多 {limits.rows - 1} 行（不含表头）。")
        if len(cells) > limits.columns:
            cells = _trim_empty_tail(cells)
            if len(cells) > limits.columns:
                raise TableRefused(f"第 {len(table) + 1} 行的列数过多：最多 {limits.columns} 列。")
        if any(len(cell) > limits.cell_chars for cell in cells):
            raise TableRefused(f"第 {len(table) + 1} 行有内容过长的单元格：每格最多 {limits.cell_chars} 个字符。")
        table.append(cells)
    return table


def _trim_empty_tail(cells: list[str]) -> list[str]:
    end = len(cells)
    while end and not cells[end - 1]:
        end -= 1
    return cells[:end]


def _csv_rows(data: bytes, limits: TableLimits) -> Iterator[list[str]]:
    try:
        text = data.decode("utf-8-sig")  # Excel writes a BOM into UTF-8 CSV
    except UnicodeDecodeError:
        try:
            text = data.decode("gb18030")  # what Excel on a Chinese Windows saves as "CSV"
        except UnicodeDecodeError:
            raise UnreadableTable("文件无法识别：请上传 UTF-8 或 GBK 编码的 CSV 文件，或 XLSX 文件。") from None
    reader = csv.reader(io.StringIO(text))
    try:
        for row in reader:
            # csv has no cell limit of its own that we control per call: check before keeping the row
            if len(row) > limits.columns * 4 or sum(len(cell) for cell in row) > limits.columns * limits.cell_chars:
                raise TableRefused(f"第 {reader.line_num} 行过长，请检查文件格式。")
            yield row
    except csv.Error:
        raise UnreadableTable("CSV 文件格式有误，无法读取。") from None


def _xlsx_rows(data: bytes, limits: TableLimits) -> Iterator[list[str]]:
    _check_zip(data, limits)
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, OSError):
        raise UnreadableTable("文件无法识别：请上传 XLSX 或 CSV 文件。") from None
    try:
        if not book.worksheets:
            raise TableRefused("表格中没有工作表。")
        sheet = book.worksheets[0]
        _check_dimension(sheet.calculate_dimension() if sheet.max_row and sheet.max_column else "", limits)
        sheet.reset_dimensions()  # rows are read as they are, never padded out to a declared size
        # One column past the limit, for the caller to refuse: a row with a cell at XFD is otherwise padded out
        # to 16,384 cells before anyone can look at it.
        for row in sheet.iter_rows(max_col=limits.columns + 1, values_only=True):
            yield [_cell(value) for value in row]
    except (zipfile.BadZipFile, KeyError, ValueError, OSError):  # a part that lies about its size or content
        raise UnreadableTable("文件内容已损坏，无法读取。") from None
    finally:
        book.close()


def _check_zip(data: bytes, limits: TableLimits) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            parts = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        raise UnreadableTable("文件无法识别：请上传 XLSX 或 CSV 文件。") from None
    if len(parts) > limits.zip_entries:
        raise TableRefused("文件结构异常（包含的部件过多），无法读取。")
    # Python's zip reader never inflates a part past its declared size, so the declared sizes bound the work.
    if sum(part.file_size for part in parts) > limits.uncompressed_bytes:
        raise TableRefused(f"文件解压后超过 {limits.uncompressed_bytes // 2**20} MB，请拆分后分批上传。")
    if any(
        p.filename.lower().endswith("sharedstrings.xml") and p.file_size > limits.shared_strings_bytes for p in parts
    ):
        raise TableRefused("表格中的文字内容过多，请拆分后分批上传。")


def _check_dimension(dimension: str, limits: TableLimits) -> None:
    if not dimension:
        return
    try:
        min_col, min_row, max_col, max_row = range_boundaries(dimension)
    except (ValueError, TypeError):
        return  # no usable declaration: the rows themselves are checked one by one
    if (max_row or 0) - (min_row or 1) + 1 > limits.rows or (max_col or 0) - (min_col or 1) + 1 > limits.columns:
        raise TableRefused(
            f"表格声明的范围（{dimension}）过大：最多 {limits.rows - 1} 行、{limits.columns} 列。"
            "请只保留需要的数据后重新保存再上传。"
        )


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
