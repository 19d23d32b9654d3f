"""Spreadsheets as attackers and clerks make them: a legitimate file, and the bombs."""

import io
import re
import zipfile

from openpyxl import Workbook


def an_xlsx(rows: list[list[object]]) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _rewrite(xlsx: bytes, part: str, change) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(xlsx)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item.filename)
            target.writestr(item.filename, change(data) if item.filename == part else data)
    return out.getvalue()


def a_dimension_bomb() -> bytes:
    """About 1.5 KB that declares every cell of a sheet: A1:XFD1048576."""
    return _rewrite(
        an_xlsx([["4101002026000001"]]),
        "xl/worksheets/sheet1.xml",
        lambda xml: re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="A1:XFD1048576"', xml),
    )


def a_row_bomb(rows: int = 200_000) -> bytes:
    """No declared dimension, but a sheet of many rows that compresses to almost nothing."""
    body = b"".join(
        b'<row r="%d"><c r="A%d" t="inlineStr"><is><t>1</t></is></c></row>' % (i, i) for i in range(1, rows)
    )
    return _rewrite(
        an_xlsx([["x"]]),
        "xl/worksheets/sheet1.xml",
        lambda xml: re.sub(
            rb"<sheetData>.*</sheetData>", b"<sheetData>" + body + b"</sheetData>", xml, flags=re.S
        ).replace(b'<dimension ref="A1"/>', b""),
    )


def a_wide_row_bomb(rows: int = 20_000, column: str = "XFD") -> bytes:
    """A small sheet declaring one cell, whose every row holds a cell in the last column Excel has (16,384th)."""
    body = b"".join(
        b'<row r="%d"><c r="%s%d" t="inlineStr"><is><t>1</t></is></c></row>' % (i, column.encode(), i)
        for i in range(1, rows + 1)
    )
    return _rewrite(
        an_xlsx([["x"]]),
        "xl/worksheets/sheet1.xml",
        lambda xml: re.sub(rb"<sheetData>.*</sheetData>", b"<sheetData>" + body + b"</sheetData>", xml, flags=re.S),
    )


def an_inflation_bomb(megabytes: int = 200) -> bytes:
    """A part that inflates to hundreds of megabytes from a few hundred kilobytes."""
    padding = b" " * (megabytes * 2**20)
    return _rewrite(
        an_xlsx([["x"]]), "xl/worksheets/sheet1.xml", lambda xml: xml.replace(b"<sheetData>", padding + b"<sheetData>")
    )
