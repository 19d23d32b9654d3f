"""Every uploaded table is read with its limits checked first: a bomb is refused politely and quickly,
a legitimate file of thousands of rows is read whole."""

import time

import pytest

from handlers.spreadsheets import TableLimits, TableRefused, UnreadableTable, read_table
from storage.models import AuditEntry, HourRecord
from tests.console import sign_in
from tests.test_cli import jxjy
from tests.uploads import a_dimension_bomb, a_row_bomb, a_wide_row_bomb, an_inflation_bomb, an_xlsx


def test_a_legitimate_sheet_of_five_thousand_numbers_is_read_whole():
    rows = [["号码"]] + [[f"41010020260{i:05d}"] for i in range(5000)]
    table = read_table(an_xlsx(rows), ".xlsx", TableLimits(rows=5001))
    assert len(table) == 5001 and table[-1] == ["4101002026004999"]


def test_a_sheet_that_declares_every_cell_is_refused_before_it_is_read():
    with pytest.raises(TableRefused, match="A1:XFD1048576"):
        read_table(a_dimension_bomb(), ".xlsx")


def test_a_part_that_inflates_to_hundreds_of_megabytes_is_refused_by_its_declared_size():
    with pytest.raises(TableRefused, match="解压后超过"):
        read_table(an_inflation_bomb(), ".xlsx")


def test_a_sheet_of_more_rows_than_allowed_is_refused_at_the_first_row_too_many():
    with pytest.raises(TableRefused, match="行数过多"):
        read_table(a_row_bomb(30_000), ".xlsx", TableLimits(rows=20_001))


def _fastest_read(data: bytes) -> float:
    fastest = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        read_table(data, ".xlsx")
        fastest = min(fastest, time.perf_counter() - started)
    return fastest


def test_rows_reaching_the_last_column_cost_no_more_than_rows_of_one_cell():
    """Each row with a cell at XFD would be padded out to 16,384 cells before anyone could look at it."""
    wide, narrow = _fastest_read(a_wide_row_bomb(column="XFD")), _fastest_read(a_wide_row_bomb(column="A"))
    assert wide < 2 * narrow, (wide, narrow)


@pytest.mark.parametrize(
    ("rows", "limits", "message"),
    [
        ([["a"] * 31], TableLimits(), "列数过多"),
        ([["x" * 501]], TableLimits(), "内容过长"),
        ([["a"]] * 11, TableLimits(rows=10), "行数过多"),
    ],
)
def test_csv_rows_columns_and_cells_are_bounded(rows, limits, message):
    data = "\n".join(",".join(row) for row in rows).encode()
    with pytest.raises(TableRefused, match=message):
        read_table(data, ".csv", limits)


def test_trailing_empty_columns_do_not_count_against_the_limit():
    assert read_table(("a" + "," * 40).encode(), ".csv") == [["a"]]


@pytest.mark.parametrize("data", [b"PK\x03\x04 not really a zip", b"\x00\x01\x02", b""])
def test_a_file_that_is_not_a_spreadsheet_is_unreadable_not_a_crash(data):
    with pytest.raises(UnreadableTable):
        read_table(data, ".xlsx")


def test_a_gbk_csv_from_chinese_excel_is_read():
    assert read_table("号码\n4101002026000001\n".encode("gb18030"), ".csv") == [["号码"], ["4101002026000001"]]


async def test_the_batch_query_refuses_a_dimension_bomb_with_a_clear_sentence(console_service, world):
    browser = await sign_in(console_service, "o_province")
    status, html = await browser.post("/admin/query", files={"file": ("numbers.xlsx", a_dimension_bomb())})
    assert status == 400 and "表格声明的范围（A1:XFD1048576）过大" in html
    assert not await AuditEntry.filter(action="read:query").exists()
    await browser.close()


async def test_an_hours_import_bomb_is_refused_and_nothing_is_imported(service, tmp_path):
    path = tmp_path / "hours.xlsx"
    path.write_bytes(a_dimension_bomb())
    status, output = await jxjy(service.settings.database_url, "hours", "import", str(path), cwd=tmp_path)
    assert status != 0 and "过大" in output
    assert not await HourRecord.exists()
