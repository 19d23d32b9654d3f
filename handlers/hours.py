"""学时查询: each year's approved hours against the policy, and what is still missing this year."""

from typing import Any

from handlers.chat import Chat
from handlers.journeys import Command, Journey
from handlers.replies import Reply, Text
from storage.hours import HoursOverview, hours_lookup
from storage.summary import YearSummary, cap_notes
from storage.vocabulary import hours_figure

NOT_REGISTERED = "您还没有注册。发送“注册”（或点击菜单“注册”），按提示填写姓名、身份证号和单位即可，约需 1 分钟。"
HEADER = "{name}，您的继续教育学时（证书管理号 {number}）："
YEAR = "{year} 年：公需科目 {public} 学时，专业科目 {professional} 学时，{figures}"
COUNTED = "计入 {counted}/{required} 学时"
TOTAL_AND_COUNTED = "合计 {total} 学时，计入 {counted}/{required} 学时"
CAP_NOTE = "注：{rule}。"
YEAR_MET = "  ✔ 已达到年度要求"
FROM_PAPER = "  其中 {hours} 学时由纸质证书转登"
THIS_YEAR_MISSING = "  本年度还需 {missing} 学时，其中专业科目至少还需 {professional} 学时"
PAST_YEAR_MISSING = "  未达到年度要求，差 {missing} 学时"
POLICY = "年度要求：每年不少于 {total} 学时，其中专业科目不少于 {professional} 学时（以已审核通过的学时计）。"
PENDING = "另有 {pending} 条申报正在审核，{rejected} 条未通过审核。"


def _figures(total: str, counted: str, required: object) -> str:
    """计入 against the requirement; the raw total before it where the two differ."""
    if total != counted:
        return TOTAL_AND_COUNTED.format(total=total, counted=counted, required=required)
    return COUNTED.format(counted=counted, required=required)


# In a notification: the year as the change left it, from the figures its payload carries
# (storage.summary.YearSummary.figures), so it says what 学时 and the certificate say.
NOTICE_YEAR = "您 {year} 年现有学时：{figures}，{verdict}。"
NOTICE_MET = "已达到年度要求"
NOTICE_MISSING = "还需 {missing} 学时"


def year_notice(figures: dict[str, Any]) -> str:
    verdict = NOTICE_MET if figures["met"] else NOTICE_MISSING.format(missing=figures["missing"])
    line = NOTICE_YEAR.format(
        year=figures["year"],
        figures=_figures(figures["total"], figures["counted"], figures["required"]),
        verdict=verdict,
    )
    return line + (CAP_NOTE.format(rule=figures["note"]) if figures["note"] else "")


def year_notices(payload: dict[str, Any]) -> list[str]:
    """The years a notification's payload carries, one line each; none in a payload from before they did."""
    years = payload.get("year_summaries") or ([payload["year_summary"]] if "year_summary" in payload else [])
    return [year_notice(figures) for figures in years]


def _year_lines(year: YearSummary, current_year: int) -> list[str]:
    figures = _figures(hours_figure(year.total), hours_figure(year.counted), year.policy.total_hours)
    lines = [
        YEAR.format(
            year=year.year,
            public=hours_figure(year.public),
            professional=hours_figure(year.professional),
            figures=figures,
        )
    ]
    if year.from_paper:
        lines.append(FROM_PAPER.format(hours=hours_figure(year.from_paper)))
    if year.met:
        lines.append(YEAR_MET)
    elif year.year == current_year:
        lines.append(
            THIS_YEAR_MISSING.format(
                missing=hours_figure(year.missing_total), professional=hours_figure(year.missing_professional)
            )
        )
    else:
        lines.append(PAST_YEAR_MISSING.format(missing=hours_figure(year.missing_total)))
    return lines


def hours_text(name: str, cert_number: str, overview: HoursOverview, current_year: int) -> str:
    lines = [HEADER.format(name=name, number=cert_number)]
    for year in overview.years:
        lines += _year_lines(year, current_year)
    if note := cap_notes(overview.years):
        lines.append(CAP_NOTE.format(rule=note))
    this_year = next(y.policy for y in overview.years if y.year == current_year)
    lines.append(POLICY.format(total=this_year.total_hours, professional=this_year.professional_min_hours))
    if overview.pending or overview.rejected:
        lines.append(PENDING.format(pending=overview.pending, rejected=overview.rejected))
    return "\n".join(lines)


async def show(chat: Chat) -> Reply:
    current_year = chat.today.year
    found = await hours_lookup(chat.openid, current_year)
    if found is None:
        return Text(NOT_REGISTERED)
    return Text(hours_text(found.name, found.cert_number, found.overview, current_year))


SHOW = Command(("学时", "查询学时", "学时查询", "查学时", "查询"), "查询各年度学时及达标情况", show, menu_key="HOURS")
JOURNEY = Journey(name="hours", commands=(SHOW,))
