"""Statistics on the console: a year's completion rate and hours by category within the admin's scope, per
region (the province) or per unit, with bar charts drawn here as inline SVG (no script, no CDN) and an XLSX
export. storage/statistics.py does the counting."""

import asyncio
from dataclasses import dataclass
from datetime import datetime

import aiohttp_jinja2
from aiohttp import web

from bot.console.auth import current_admin
from bot.console.query import xlsx_response
from handlers.chat import CHINA
from render.spreadsheet import Export, ExportSheet
from storage.audit import audit
from storage.ids import as_number
from storage.models import AdminRole
from storage.regions import PROVINCE_CODE, all_regions
from storage.statistics import Figures, YearStatistics, year_statistics
from storage.vocabulary import hours_figure, scope_name

routes = web.RouteTableDef()
PROVINCE_UNITS = "省直单位"
CHART_ROWS = 30  # more bars than this do not read on a phone; the table and the export have every line
LABEL_WIDTH, BAR_WIDTH, ROW_HEIGHT, CHART_WIDTH = 104, 196, 26, 360
DEFINITIONS = (
    "注册人数：当年年底前已注册，或当年有审核通过学时的人员。",
    "达标：当年审核通过的学时达到政策要求（总学时及专业科目学时；公需科目超出部分不计入总学时）。",
    "学时：审核通过的学时（含纸质证书转登）；人均 = 学时合计 ÷ 注册人数。",
    "计入学时：各人当年计入年度要求的学时之和，与“学时”查询、证书上的“计入”一致。",
)


@dataclass(frozen=True)
class Bar:
    label: str
    name: str
    y: int
    rate: float | None
    rate_width: float
    professional_width: float
    public_width: float
    average: str  # approved hours per person, 专业 and 公需 together, as text


def percent(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.1f}%"


def _label(name: str, limit: int = 7) -> str:
    return name if len(name) <= limit else name[: limit - 1] + "…"


def chart_bars(statistics: YearStatistics) -> list[Bar]:
    """Geometry for both charts: completion rate, and average hours per person stacked by category."""
    shown = sorted((g for g in statistics.groups if g.people), key=lambda g: -g.people)[:CHART_ROWS]
    if statistics.by == "region":
        shown.sort(key=lambda g: g.key)
    longest = max((g.average_professional + g.average_public for g in shown), default=0) or 1
    return [
        Bar(
            label=_label(g.name),
            name=g.name,
            y=index * ROW_HEIGHT,
            rate=g.rate,
            rate_width=round(BAR_WIDTH * (g.rate or 0), 1),
            professional_width=round(float(BAR_WIDTH * g.average_professional / longest), 1),
            public_width=round(float(BAR_WIDTH * g.average_public / longest), 1),
            average=hours_figure(g.average_professional + g.average_public),
        )
        for index, g in enumerate(shown)
    ]


def year_asked(text: str | None) -> int:
    """A year in a query or form, from 2000 to this one; this year when none (or another) is asked for."""
    this_year = datetime.now(CHINA).year
    year = as_number(text, 4)
    return year if year and 2000 <= year <= this_year else this_year


async def _statistics(request: web.Request) -> YearStatistics:
    admin = current_admin(request)
    statistics = await year_statistics(
        admin, year_asked(request.query.get("year")), request.query.get("region", "")[:6]
    )
    statistics.total.name = "合计"
    for figures in statistics.groups:
        if statistics.by == "region" and figures.key == PROVINCE_CODE:
            figures.name = PROVINCE_UNITS  # the province's own line: the units it oversees directly
    return statistics


def region_name(statistics: YearStatistics) -> str:
    if statistics.region is None:
        return ""
    return PROVINCE_UNITS if statistics.region.code == PROVINCE_CODE else statistics.region.name


@routes.get("/admin/stats")
@aiohttp_jinja2.template("admin/stats.html")
async def stats_page(request: web.Request) -> dict:
    admin = current_admin(request)
    statistics = await _statistics(request)
    regions = []
    if admin.role == AdminRole.PROVINCE:
        regions = [(r.code, PROVINCE_UNITS if r.code == PROVINCE_CODE else r.name) for r in await all_regions()]
        regions.sort()
    this_year = datetime.now(CHINA).year
    return {
        "s": statistics,
        "bars": chart_bars(statistics),
        "chart": {"label": LABEL_WIDTH, "bar": BAR_WIDTH, "row": ROW_HEIGHT, "width": CHART_WIDTH},
        "regions": regions,
        "region_name": region_name(statistics),
        "years": range(this_year, this_year - 8, -1),
        "percent": percent,
        "definitions": DEFINITIONS,
        "truncated": len([g for g in statistics.groups if g.people]) > CHART_ROWS,
        "chart_rows": CHART_ROWS,
    }


@routes.get("/admin/stats/export.xlsx")
async def export(request: web.Request) -> web.Response:
    admin = current_admin(request)
    statistics = await _statistics(request)
    await audit(
        f"admin:{admin.id}",
        "export:stats",
        f"year:{statistics.year} region:{statistics.region.code if statistics.region else '-'}",
        after={"by": statistics.by, "lines": len(statistics.groups)},
    )
    data = await asyncio.to_thread(stats_workbook, statistics, scope_name(admin))
    return xlsx_response(data, f"继续教育统计-{statistics.year}.xlsx")


def stats_workbook(statistics: YearStatistics, scope: str) -> bytes:
    export = Export()
    sheet = export.sheet(f"{statistics.year}年度", widths=(28, 10, 10, 9, 12, 12, 12, 12, 12, 12))
    first = "地区" if statistics.by == "region" else "单位"
    header = [
        "注册人数",
        "达标人数",
        "达标率",
        "公需科目学时",
        "专业科目学时",
        "合计学时",
        "计入学时",
        "人均公需学时",
        "人均专业学时",
    ]
    sheet.append([first, *header])
    for figures in [*statistics.groups, statistics.total]:
        sheet.append(_figures_row(sheet, figures))
    about = export.sheet("说明")
    about.append(["年度", statistics.year])
    about.append(["范围", scope + (f" · {region_name(statistics)}" if statistics.region else "")])
    about.append(["导出时间", f"{datetime.now(CHINA):%Y-%m-%d %H:%M}"])
    for line in DEFINITIONS:
        about.append([line])
    if statistics.total.cap_note:
        about.append([f"注：{statistics.total.cap_note}。"])
    return export.bytes()


def _figures_row(sheet: ExportSheet, figures: Figures) -> list:
    rate = sheet.number(round(figures.rate, 4) if figures.rate is not None else None, "0.0%")
    return [
        figures.name,
        figures.people,
        figures.met,
        rate,
        figures.public,
        figures.professional,
        figures.total,
        figures.counted,
        figures.average_public,
        figures.average_professional,
    ]
