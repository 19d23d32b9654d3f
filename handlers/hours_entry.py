"""Reading an hours record from what people type, and explaining what is wrong with it.

Shared by the declaration and transfer dialogs and the bulk import.
"""

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from decimal import Decimal

from handlers.replies import Refusal
from storage.declarations import FIRST_YEAR, MAX_HOURS_PER_RECORD, EntryProblem, HoursEntry, InvalidEntry
from storage.ids import as_number, normalise
from storage.models import Category

_CATEGORY_WORDS = {
    "1": Category.PUBLIC,
    "公需": Category.PUBLIC,
    "公需科目": Category.PUBLIC,
    "公需课": Category.PUBLIC,
    "2": Category.PROFESSIONAL,
    "专业": Category.PROFESSIONAL,
    "专业科目": Category.PROFESSIONAL,
    "专业课": Category.PROFESSIONAL,
}
_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
_COMPACT_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")

PROBLEMS = {
    EntryProblem.YEAR: f"年度应为 {FIRST_YEAR} 年至今年之间的年份，如 {{this_year}}。",
    EntryProblem.DATE_OUTSIDE_YEAR: "学习日期应在所申报的年度之内。",
    EntryProblem.DATE_IN_FUTURE: "学习日期不能晚于今天。",
    EntryProblem.DATE_AFTER_PAPER_VOID: "纸质证书已于 {paper_void} 起作废，转登的学时日期不能晚于该日。",
    EntryProblem.HOURS: f"学时应为大于 0、不超过 {MAX_HOURS_PER_RECORD} 的整数或半学时（如 2 或 1.5）。",
    EntryProblem.TEXT: "名称应为 2–100 个字。",
}
BAD_CATEGORY = "科目类别请回复 1（公需科目）或 2（专业科目）。"
BAD_DATE = "日期格式不对，请按“{example}”的格式输入。"


def problem_text(problem: EntryProblem, today: date, paper_void: date | None = None) -> str:
    return PROBLEMS[problem].format(this_year=today.year, paper_void=paper_void.isoformat() if paper_void else "")


def parse_category(text: str) -> Category:
    category = _CATEGORY_WORDS.get(normalise(text))
    if category is None:
        raise Refusal(BAD_CATEGORY)
    return category


def parse_date(text: str, today: date) -> date:
    compact = normalise(text)
    match = _DATE.match(text.strip()) or _COMPACT_DATE.match(compact)
    try:
        if match is None:
            raise ValueError
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        raise Refusal(BAD_DATE.format(example=date(today.year, 3, 15).isoformat())) from None


def parse_year(text: str, today: date) -> int:
    text = normalise(text)
    if text in ("今年", "本年", "本年度", ""):
        return today.year
    if text in ("去年", "上年", "上年度"):
        return today.year - 1
    text = text.removesuffix("年度").removesuffix("年")
    if as_number(text, 4) is None:
        raise Refusal(PROBLEMS[EntryProblem.YEAR].format(this_year=today.year))
    return int(text)


@contextmanager
def refusing(today: date, paper_void: date | None = None) -> Iterator[None]:
    """Turn storage's InvalidEntry into the user's sentence: `with refusing(today): check_...`."""
    try:
        yield
    except InvalidEntry as error:
        raise Refusal(problem_text(error.problem, today, paper_void)) from None


def entry_from(data: dict) -> HoursEntry:
    """The hours entry a dialog has gathered step by step (kept as JSON in its state)."""
    return HoursEntry(
        year=data["year"],
        category=Category(data["category"]),
        course=data["course"],
        provider=data["provider"],
        studied_on=date.fromisoformat(data["studied_on"]),
        hours=Decimal(data["hours"]),
    )
