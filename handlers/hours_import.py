"""Bulk import of hours (`jxjy hours import FILE`) for a unit or training provider: CSV or XLSX.

Every row is checked first; the file is imported whole or not at all, and each bad row is reported
with its line number and reason. A row that repeats a record the person has (same year, course and hours),
or another row of the file, is a bad row; a row of the same person, year and course as an existing record but
other hours is reported for confirmation, and the file is imported only when the importer confirms (`--yes`).
"""

import asyncio
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from handlers.corrections import record_words
from handlers.hours import SHOW as SHOW_HOURS
from handlers.hours import year_notices
from handlers.hours_entry import entry_refusal, parse_category, parse_date
from handlers.notices import Notice
from handlers.refusals import No, Refusal, say
from handlers.spreadsheets import TableLimits, TableRefused, read_table
from storage.declarations import (
    EntryProblem,
    HoursEntry,
    ImportRow,
    InvalidEntry,
    check_entry,
    find_person,
    import_hours,
    same_record,
    similar_records,
)
from storage.errors import DuplicateRecord
from storage.ids import as_number
from storage.models import Category, Person
from storage.text import is_safe_text
from storage.vocabulary import CATEGORY_NAMES, hours_figure

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


class ImportNeedsConfirmation(Exception):
    """Rows close to records the people have already, or to earlier rows of the file (same year and course, other
    hours): nothing was imported."""

    def __init__(self, similar: list[RowProblem]) -> None:
        super().__init__(f"{len(similar)} rows like existing records")
        self.similar = similar


@dataclass(frozen=True)
class CheckedRows:
    rows: list[ImportRow]
    problems: list[RowProblem]  # the file cannot be imported
    similar: list[RowProblem]  # it can, once the importer confirms


async def check_rows(table: list[list[str]], today: date) -> CheckedRows:
    if not table or tuple(cell.strip() for cell in table[0][: len(HEADER)]) != HEADER:
        return CheckedRows([], [RowProblem(1, "表头应为：" + ",".join(HEADER))], [])
    rows, problems, similar = [], [], []
    seen: dict[tuple, int] = {}  # a row's person and facts → its line, for repeats within the file
    courses: dict[tuple, int] = {}  # a row's person, year and course → its first line, for near repeats
    for line, cells in enumerate(table[1:], start=2):
        if not any(cell.strip() for cell in cells):
            continue  # blank lines are not rows
        if len(rows) + len(problems) >= MAX_ROWS:
            problems.append(RowProblem(line, f"一次最多导入 {MAX_ROWS} 行"))
            break
        try:
            row, person = await _check_row(line, cells, today)
        except Refusal as refusal:
            problems.append(RowProblem(line, refusal.message))
            continue
        entry = row.entry
        key = (person.id, entry.year, entry.course, entry.hours)
        if key in seen:
            problems.append(RowProblem(line, say(No.IMPORT_REPEATED_ROW, line=seen[key])))
        elif (earlier := await same_record(person.id, entry)) is not None:
            problems.append(RowProblem(line, say(No.DUPLICATE_RECORD, record=record_words(earlier))))
        elif near := await similar_records(person.id, entry.year, entry.course):
            words = "；".join(record_words(r) for r in near)
            similar.append(RowProblem(line, f"{person.name} {entry.year} 年已有同一课程的记录（{words}）"))
        elif (first := courses.get(key[:3])) is not None:
            words = f"{person.name} {entry.year} 年同一课程在第 {first} 行已有一条（学时不同）"
            similar.append(RowProblem(line, words))
        seen.setdefault(key, line)
        courses.setdefault(key[:3], line)
        rows.append(row)
    return CheckedRows(rows, problems, similar)


async def _check_row(line: int, cells: list[str], today: date) -> tuple[ImportRow, Person]:
    if not all(is_safe_text(cell) for cell in cells):
        raise Refusal(No.UNSAFE_TEXT)
    cells = [cell.strip() for cell in cells] + [""] * (len(HEADER) - len(cells))
    number, year, category, course, provider, studied_on, hours = cells[: len(HEADER)]
    if (person := await find_person(number)) is None:
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
    return ImportRow(line, number, entry), person


def _read(path: Path) -> list[list[str]]:
    return read_table(path.read_bytes(), path.suffix, TableLimits(rows=MAX_ROWS + 1))


async def import_file(path: Path, actor: str, now: datetime, today: date, confirmed: bool = False) -> int:
    """Import all rows or none; ImportRefused lists every bad row, ImportNeedsConfirmation (unless `confirmed`)
    every row like an existing record."""
    try:
        table = await asyncio.to_thread(_read, path)
    except TableRefused as refused:
        raise ImportRefused([RowProblem(1, str(refused))]) from None
    checked = await check_rows(table, today)
    if checked.problems:
        raise ImportRefused(checked.problems)
    if checked.similar and not confirmed:
        raise ImportNeedsConfirmation(checked.similar)
    try:
        return await import_hours(checked.rows, actor, now)
    except DuplicateRecord as duplicate:  # entered meanwhile, since the rows were checked
        raise ImportRefused(
            [RowProblem(duplicate.line, say(No.DUPLICATE_RECORD, record=f"编号 {duplicate.record_id}"))]
        ) from None


# What each person whose hours were imported is told, once per import (bot/wechat/delivery.py sends it).
def _imported_line(r: dict[str, Any]) -> str:
    category = CATEGORY_NAMES[Category(r["category"])]
    return f"· {r['year']} 年 {category} {hours_figure(r['hours'])} 学时，{r['course']}（编号 {r['record_id']}）"


def imported(p: dict[str, Any]) -> Notice:
    years = year_notices(p)
    lines = [f"【学时导入】已为您导入 {p['count']} 条学时记录，共 {hours_figure(p['hours'])} 学时："]
    lines += [_imported_line(r) for r in p["records"]]
    if p["count"] > len(p["records"]):
        lines.append(f"等 {p['count']} 条。")
    lines += ["已记入您的学时。", *years, f"发送“{SHOW_HOURS.words[0]}”可查看；如有出入请联系单位管理员。"]
    more = f"等 {p['count']} 条" if p["count"] > 1 else ""
    return Notice(
        "\n".join(lines),
        first=f"已为您导入 {p['count']} 条学时记录",
        keywords=(f"共 {hours_figure(p['hours'])} 学时", "批量导入", p["records"][0]["course"] + more),
        remark="".join(["已记入您的学时。", *years, "如有出入请联系单位管理员。"]),
    )
