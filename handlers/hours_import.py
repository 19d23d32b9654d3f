"""Bulk import of hours (`jxjy hours import FILE`) for a unit or training provider: CSV or XLSX.

Every row is checked first; the file is imported whole or not at all, and each bad row is reported
with its line number and reason.
"""

import asyncio
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from handlers.hours_entry import entry_refusal, parse_category, parse_date
from handlers.refusals import No, Refusal
from handlers.spreadsheets import TableLimits, TableRefused, read_table
from storage.declarations import (
    EntryProblem,
    HoursEntry,
    ImportRow,
    InvalidEntry,
    check_entry,
    find_person,
    import_hours,
)
from storage.ids import as_number
from storage.text import is_safe_text

HEADER = ("证书管理号或身份证号", "年度", "科目类别", "课程或活动", "培训机构", "学习日期", "学时")
MAX_ROWS = 20_000


@dataclass(frozen=True)
class RowProblem:
    line: int
    reason: str


class ImportRefused(Exception):
    def __init__(self, problems: list[RowProblem]) -> None:
        super().__init__(f"{len(problems)} bad rows")
        self.problems = problems


async def check_rows(table: list[list[str]], today: date) -> tuple[list[ImportRow], list[RowProblem]]:
    if not table or tuple(cell.strip() for cell in table[0][: len(HEADER)]) != HEADER:
        return [], [RowProblem(1, "表头应为：" + ",".join(HEADER))]
    rows, problems = [], []
    for line, cells in enumerate(table[1:], start=2):
        if not any(cell.strip() for cell in cells):
            continue  # blank lines are not rows
        if len(rows) + len(problems) >= MAX_ROWS:
            problems.append(RowProblem(line, f"一次最多导入 {MAX_ROWS} 行"))
            break
        try:
            rows.append(await _check_row(line, cells, today))
        except Refusal as refusal:
            problems.append(RowProblem(line, refusal.message))
    return rows, problems


async def _check_row(line: int, cells: list[str], today: date) -> ImportRow:
    if not all(is_safe_text(cell) for cell in cells):
        raise Refusal(No.UNSAFE_TEXT)
    cells = [cell.strip() for cell in cells] + [""] * (len(HEADER) - len(cells))
    number, year, category, course, provider, studied_on, hours = cells[: len(HEADER)]
    if await find_person(number) is None:
        raise Refusal(No.IMPORT_NO_PERSON, number=number[:6])
    if as_number(year, 4) is None:
        raise entry_refusal(EntryProblem.YEAR, today)
    try:
        entry = check_entry(
            HoursEntry(int(year), parse_category(category), course, provider, parse_date(studied_on, today), hours),
            today,
        )
    except InvalidEntry as invalid:
        raise entry_refusal(invalid.problem, today) from None
    return ImportRow(line, number, entry)


def _read(path: Path) -> list[list[str]]:
    return read_table(path.read_bytes(), path.suffix, TableLimits(rows=MAX_ROWS + 1))


async def import_file(path: Path, actor: str, now: datetime, today: date) -> int:
    """Import all rows or none; ImportRefused lists every bad row."""
    try:
        table = await asyncio.to_thread(_read, path)
    except TableRefused as refused:
        raise ImportRefused([RowProblem(1, str(refused))]) from None
    rows, problems = await check_rows(table, today)
    if problems:
        raise ImportRefused(problems)
    return await import_hours(rows, actor, now)
