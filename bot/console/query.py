"""Certificate query on the console: one number or a batch (pasted, or a CSV/XLSX upload), shown as a table
and exported as XLSX. storage/batch_query.py decides who is shown in full and who only as 有效, and keeps each
admin within a daily budget of rows (QUERY_ROWS_PER_DAY), page and export alike.

The export is a POST of the same input, never a URL carrying numbers: it re-runs the query, so it is scoped
and audited exactly like the page and needs nothing kept on the server between the two requests.
"""

import asyncio
import re
from datetime import datetime
from pathlib import Path
from urllib.parse import quote

import aiohttp_jinja2
from aiohttp import web

from bot.console.auth import current_admin
from bot.settings import SETTINGS
from handlers.chat import CHINA
from handlers.refusals import No, say
from handlers.spreadsheets import TableLimits, TableRefused, UnreadableTable, read_table
from render.spreadsheet import Export
from storage.batch_query import (
    MAX_NUMBERS,
    NumberProblem,
    Outcome,
    OverDailyBudget,
    QueryResult,
    TooManyNumbers,
    audit_query,
    query_numbers,
    rows_left,
)
from storage.ids import as_number, is_digits, normalise
from storage.summary import cap_notes

routes = web.RouteTableDef()
SHOWN_ON_PAGE = 500  # a phone shows this many rows of each list; the export holds them all
SEPARATORS = re.compile(r"[\s,，;；、|]+")
UPLOAD_SUFFIXES = (".csv", ".txt", ".xlsx")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

PROBLEMS = {
    NumberProblem.LENGTH: "位数不对（证书管理号 16 位，身份证号 18 位）",
    NumberProblem.FORMAT: "身份证号格式不对：前 17 位应为数字，末位为数字或 X",
    NumberProblem.REGION: "身份证号前两位不是省级行政区划代码",
    NumberProblem.BIRTH_DATE: "身份证号中的出生日期不存在",
    NumberProblem.BIRTH_IN_FUTURE: "身份证号中的出生日期晚于今天",
    NumberProblem.CHECK_CHARACTER: "身份证号校验位不符，请核对",
}
MET = {True: "达标", False: "未达标"}
OUTCOMES = {Outcome.FOUND: "已注册", Outcome.MISSED: "未找到", Outcome.MALFORMED: "号码有误"}
VALID = "有效"  # all a row outside the admin's scope says
NO_NUMBERS = "请输入或上传要查询的证书管理号或身份证号。"
TOO_MANY = f"一次最多查询 {MAX_NUMBERS} 个号码，请分批查询。"
BAD_FILE = "文件无法读取：请上传 CSV 或 XLSX 文件（第一列为号码）；旧版 .xls 请先另存为 .xlsx。"


# Numbers sit in the first column; an earlier export sent back has 9 columns plus 5 a year.
UPLOAD_LIMITS = TableLimits(rows=MAX_NUMBERS + 1, columns=60, cell_chars=200)


class InputProblem(Exception):
    """What the admin sent cannot be queried; the sentence says why."""


def numbers_in_text(text: str) -> list[str]:
    """One number a line, or separated by commas, semicolons or spaces."""
    return [token for token in SEPARATORS.split(text) if token]


def numbers_in_table(rows: list[list[str]]) -> list[str]:
    """The first column; the first row is a header, and skipped, when it holds no number."""
    cells = [row[0].strip() for row in rows if row and row[0].strip()]
    if cells and not is_digits(normalise(cells[0]).removesuffix("X")):
        cells = cells[1:]
    return cells


async def _asked(request: web.Request) -> tuple[list[str], int, str]:
    """The numbers, the newest year to show, and the numbers as text again for the form."""
    form = await request.post()
    this_year = datetime.now(CHINA).year
    year_text = str(form.get("year", ""))
    year = as_number(year_text, 4)
    year = year if year and 2000 <= year <= this_year else this_year
    texts = numbers_in_text(str(form.get("numbers", "")))
    upload = form.get("file")
    if isinstance(upload, web.FileField) and upload.filename:
        suffix = Path(upload.filename).suffix.lower()
        if suffix not in UPLOAD_SUFFIXES:
            raise InputProblem(BAD_FILE)
        try:
            texts += numbers_in_table(await asyncio.to_thread(read_table, upload.file.read(), suffix, UPLOAD_LIMITS))
        except UnreadableTable:
            raise InputProblem(BAD_FILE) from None
        except TableRefused as refused:
            raise InputProblem(str(refused)) from None
    if not texts:
        raise InputProblem(NO_NUMBERS)
    return texts, year, "\n".join(texts)


async def _run(request: web.Request, action: str) -> tuple[QueryResult, int, str]:
    """The query asked, run within the admin's scope and audited as `action`; a query that cannot be run
    is answered with the form again, saying why (a 400 carrying the page)."""
    admin, per_day = current_admin(request), request.app[SETTINGS].query_rows_per_day
    now = datetime.now(CHINA)
    try:
        texts, year, echoed = await _asked(request)
        async with rows_left(admin, now.replace(hour=0, minute=0, second=0, microsecond=0), per_day) as left:
            result = await query_numbers(admin, texts, year, now.date(), rows_left_today=left)
            await audit_query(admin, action, result)
    except TooManyNumbers:
        raise _refused(request, TOO_MANY) from None
    except OverDailyBudget as over:
        sentence = say(No.QUERY_BUDGET_SPENT, rows=over.rows, remaining=over.remaining, per_day=per_day)
        raise _refused(request, sentence) from None
    except InputProblem as problem:
        raise _refused(request, str(problem)) from None
    return result, year, echoed


def _refused(request: web.Request, problem: str) -> web.HTTPBadRequest:
    page = _page(request, problem=problem)
    return web.HTTPBadRequest(text=page.text, content_type="text/html")


def _page(request: web.Request, **context) -> web.Response:
    defaults = {
        "result": None,
        "problem": "",
        "numbers": "",
        "year": datetime.now(CHINA).year,
        "shown": SHOWN_ON_PAGE,
        "max_numbers": MAX_NUMBERS,
        "problems": PROBLEMS,
        "rows_per_day": request.app[SETTINGS].query_rows_per_day,
    }
    status = 400 if context.get("problem") else 200
    return aiohttp_jinja2.render_template("admin/query.html", request, defaults | context, status=status)


@routes.get("/admin/query")
async def query_page(request: web.Request) -> web.Response:
    return _page(request)


@routes.post("/admin/query")
async def query(request: web.Request) -> web.Response:
    result, year, echoed = await _run(request, "read:query")
    # The form keeps the admin's own numbers (an upload's too), so 导出 Excel re-sends them; it shows nothing
    # they did not type or upload. The result below it holds the masking.
    return _page(request, result=result, year=year, numbers=echoed)


@routes.post("/admin/query/export.xlsx")
async def export(request: web.Request) -> web.Response:
    result, _, _ = await _run(request, "export:query")
    data = await asyncio.to_thread(query_workbook, result)
    return xlsx_response(data, f"证书查询结果-{datetime.now(CHINA):%Y%m%d}.xlsx")


def query_workbook(result: QueryResult) -> bytes:
    """Every number in the admin's order, one row each, so the sheet lines up with the list they sent."""
    export = Export()
    sheet = export.sheet("查询结果", widths=(6, 21, 9, 10, 21, 18, 24, 10))
    header = ["序号", "查询号码", "查询结果", "姓名", "身份证号", "证书管理号", "单位", "地区"]
    for year in result.years:
        header += [
            f"{year}公需学时",
            f"{year}专业学时",
            f"{year}合计学时",
            f"{year}计入学时",
            f"{year}要求学时",
            f"{year}是否达标",
        ]
    sheet.append([*header, "说明"])
    for answered in result.numbers:
        row: list = [answered.line, answered.number, OUTCOMES[answered.outcome]]
        person = answered.person
        if person is None:
            note = PROBLEMS[answered.problem] if answered.problem else "未注册或号码有误"
            sheet.append(row + [None] * (len(header) - len(row)) + [note])
            continue
        if not person.in_scope:
            row[2] = VALID
            sheet.append(row + [None] * (len(header) - len(row)) + ["管理范围外，仅显示是否有效"])
            continue
        row += [person.name, person.id_number, person.cert_number, person.unit, person.region]
        for hours in person.years:
            row += [
                hours.public,
                hours.professional,
                hours.total,
                hours.counted,
                hours.policy.total_hours,
                MET[hours.met],
            ]
        sheet.append([*row, cap_notes(person.years) or None])
    return export.bytes()


def xlsx_response(data: bytes, filename: str) -> web.Response:
    return web.Response(
        body=data,
        content_type=XLSX,
        headers={
            "Content-Disposition": f"attachment; filename=\"export.xlsx\"; filename*=UTF-8''{quote(filename)}",
            "Cache-Control": "private, no-store",
        },
    )
