"""The words of an admin's reminder to a person who has not yet met a year's requirement (storage/follow_up.py
decides who, and how often), and of what each still needs, as the console's list and export say it too."""

from decimal import Decimal
from typing import Any

from handlers.hours import SHOW
from handlers.notices import Notice
from storage.vocabulary import hours_figure


def missing_words(missing_total: Decimal | str, missing_professional: Decimal | str) -> str:
    words = f"还需 {hours_figure(missing_total)} 学时"
    if Decimal(missing_professional):
        words += f"，其中专业科目至少 {hours_figure(missing_professional)} 学时"
    return words


def reminder(p: dict[str, Any]) -> Notice:
    counted = f"已计入 {hours_figure(p['counted'])}/{p['total']} 学时"
    missing = missing_words(p["missing_total"], p["missing_professional"])
    what_to_do = f"请及时参加学习并申报；发送“{SHOW.words[0]}”可查看详情。"
    return Notice(
        f"【学时提醒】{p['name']}，您 {p['year']} 年的继续教育学时尚未达到年度要求：{counted}，{missing}。{what_to_do}",
        first=f"您 {p['year']} 年的继续教育学时尚未达到年度要求",
        keywords=(p["name"], counted, missing),
        remark=what_to_do,
    )
