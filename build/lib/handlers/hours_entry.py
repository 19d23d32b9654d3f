"""Hours entry: reading an hours record from what people type, explaining what is wrong with it, and the
dialog steps that ask for it (year, category, course, provider, date, hours).

Shared by the declaration and transfer dialogs (the steps) and the bulk import (the reading).
"""

import calendar
import re
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from handlers.chat import Chat, Step
from handlers.refusals import No, Refusal
from handlers.replies import Reply, Text
from storage.declarations import (
    EntryProblem,
    HoursEntry,
    InvalidEntry,
    check_date,
    check_hours,
    check_text,
    check_year,
)
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
    EntryProblem.YEAR: No.BAD_YEAR,
    EntryProblem.DATE_OUTSIDE_YEAR: No.DATE_OUTSIDE_YEAR,
    EntryProblem.DATE_IN_FUTURE: No.DATE_IN_FUTURE,
    EntryProblem.DATE_AFTER_PAPER_VOID: No.DATE_AFTER_PAPER_VOID,
    EntryProblem.HOURS: No.BAD_HOURS,
    EntryProblem.TEXT: No.BAD_TEXT,
}


def entry_refusal(problem: EntryProblem, today: date, paper_void: date | None = None) -> Refusal:
    return Refusal(PROBLEMS[problem], this_year=today.year, paper_void=paper_void.isoformat() if paper_void else "")


def parse_category(text: str) -> Category:
    category = _CATEGORY_WORDS.get(normalise(text))
    if category is None:
        raise Refusal(No.BAD_CATEGORY)
    return category


def parse_date(text: str, today: date) -> date:
    """A date as typed: 2026-03-15, 2026/3/15, 2026.3.15, 2026年3月15日, 20260315. A month or a day that does
    not exist is named as such, not as a bad format."""
    compact = normalise(text)
    match = _DATE.match(text.strip()) or _DATE.match(compact) or _COMPACT_DATE.match(compact)
    example = date(today.year, 3, 15).isoformat()
    if match is None:
        raise Refusal(No.BAD_DATE, example=example)
    year, month, day = int(match[1]), int(match[2]), int(match[3])
    if not 1 <= month <= 12:
        raise Refusal(No.NO_SUCH_MONTH, year=year, month=month, example=example)
    days = calendar.monthrange(year, month)[1] if year >= 1 else 31
    if not 1 <= day <= days:
        raise Refusal(No.NO_SUCH_DAY, year=year, month=month, day=day, days=days, example=example)
    try:
        return date(year, month, day)
    except ValueError:  # year 0
        raise Refusal(No.BAD_DATE, example=example) from None


_HOURS_UNITS = ("个学时", "学时", "个小时", "小时", "课时", "H")


def parse_hours(text: str) -> str:
    """Hours as typed: 12, １２, 12学时, 1.5 学时, 12小时; what is left is for check_hours to judge."""
    hours = normalise(text)
    for unit in _HOURS_UNITS:
        if hours.endswith(unit):
            return hours.removesuffix(unit)
    return hours


def parse_year(text: str, today: date) -> int:
    text = normalise(text)
    if text in ("今年", "本年", "本年度", ""):
        return today.year
    if text in ("去年", "上年", "上年度"):
        return today.year - 1
    text = text.removesuffix("年度").removesuffix("年")
    if as_number(text, 4) is None:
        raise entry_refusal(EntryProblem.YEAR, today)
    return int(text)


@contextmanager
def refusing(today: date, paper_void: date | None = None) -> Iterator[None]:
    """Turn storage's InvalidEntry into the user's sentence: `with refusing(today): check_...`."""
    try:
        yield
    except InvalidEntry as error:
        raise entry_refusal(error.problem, today, paper_void) from None


@dataclass(frozen=True)
class HoursForm:
    """What the hours-entry steps gather, kept as JSON in the dialog's state (dates ISO, hours as text)."""

    year: int = 0
    category: str = ""
    course: str = ""
    provider: str = ""
    studied_on: str = ""
    hours: str = ""


def entry_from(form: HoursForm) -> HoursEntry:
    """The hours entry a dialog has gathered step by step."""
    return HoursEntry(
        year=form.year,
        category=Category(form.category),
        course=form.course,
        provider=form.provider,
        studied_on=date.fromisoformat(form.studied_on),
        hours=Decimal(form.hours),
    )


@dataclass(frozen=True, eq=False)
class HoursEntrySteps:
    """The hours-entry steps of one journey. The steps are shared; what differs between journeys is said here:
    the question asked on arriving at each step (their step numbers differ), whether hours come before the
    date, whether dates stop at the day paper certificates became void, and what is said after the last step.

    Declare the journey's steps as `(..., *entry.steps, ...)`: each step moves to the one declared after it.
    """

    ask_category: str
    ask_course: str
    ask_provider: str
    ask_date: str  # may quote {year}, the entry's year, and {last_day}, the paper void date
    ask_hours: str
    then: Callable[[Chat], Awaitable[Reply]]  # what to say on arriving at the step after the entry
    hours_before_date: bool = False
    until_paper_void: bool = False
    steps: tuple[Step, ...] = field(init=False)

    def __post_init__(self) -> None:
        last = (self._on_hours(), self._on_date())
        steps = (self._on_year(), self._on_category(), self._on_text("course"), self._on_text("provider"), *last)
        if not self.hours_before_date:
            steps = steps[:4] + steps[4:][::-1]
        object.__setattr__(self, "steps", steps)

    def _latest(self, chat: Chat) -> date | None:
        return chat.config.paper_certificates_void_after if self.until_paper_void else None

    async def _move_on(self, chat: Chat, **changes: object) -> Reply:
        arrived = await chat.goto_next(**changes)
        asks = dict(zip(self.steps[1:], self._questions(), strict=True))
        if arrived not in asks:
            return await self.then(chat)
        latest = self._latest(chat)
        return Text(asks[arrived].format(year=chat.form.year, last_day=latest.isoformat() if latest else ""))

    def question(self, step: Step, chat: Chat) -> str | None:
        """What arriving at one of these steps asked (the first, the year, is the journey's own question)."""
        asks = dict(zip(self.steps[1:], self._questions(), strict=True))
        if step not in asks:
            return None
        latest = self._latest(chat)
        return asks[step].format(year=chat.form.year, last_day=latest.isoformat() if latest else "")

    def _questions(self) -> tuple[str, ...]:
        last = (self.ask_hours, self.ask_date) if self.hours_before_date else (self.ask_date, self.ask_hours)
        return (self.ask_category, self.ask_course, self.ask_provider, *last)

    def _on_year(self) -> Step:
        async def on_year(chat: Chat) -> Reply:
            latest = self._latest(chat)
            with refusing(chat.today, latest):
                year = check_year(parse_year(chat.typed(), chat.today), latest or chat.today)
            return await self._move_on(chat, year=year)

        return on_year

    def _on_category(self) -> Step:
        async def on_category(chat: Chat) -> Reply:
            return await self._move_on(chat, category=str(parse_category(chat.typed())))

        return on_category

    def _on_text(self, field: str) -> Step:
        """The course or the provider: a name of 2–100 characters."""

        async def step(chat: Chat) -> Reply:
            with refusing(chat.today):
                text = check_text(chat.typed())
            return await self._move_on(chat, **{field: text})

        step.__name__ = step.__qualname__ = f"on_{field}"
        return step

    def _on_date(self) -> Step:
        async def on_date(chat: Chat) -> Reply:
            latest = self._latest(chat)
            with refusing(chat.today, latest):
                studied_on = check_date(parse_date(chat.typed(), chat.today), chat.form.year, chat.today, latest)
            return await self._move_on(chat, studied_on=studied_on.isoformat())

        return on_date

    def _on_hours(self) -> Step:
        async def on_hours(chat: Chat) -> Reply:
            with refusing(chat.today):
                hours = check_hours(parse_hours(chat.typed()))
            return await self._move_on(chat, hours=str(hours))

        return on_hours
