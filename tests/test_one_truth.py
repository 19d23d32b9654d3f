"""One truth for hours: the chat's 学时, the certificate (its news message, data, holder page and PDF), the
verification page, the batch query and its export, and the statistics show the same figures for every year:
hours by category, the raw total, what counts towards the requirement (计入, 公需 capped), 达标 and what is
still missing. Where the raw and the counted totals differ, each says why in one line.

Random records for one person (categories, sources with paper transfers, every status, three years, half
hours) go in through the storage layer; every surface is read as a person or an admin would read it.
"""

import io
import re
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from itertools import count

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from yarl import URL

from bot.keys import load_keys
from handlers.certificate import certificate_document
from handlers.urls import Urls
from storage.clock import CHINA
from storage.hours import forget_policies
from storage.models import Category, CertificateSnapshot, HoursPolicy, Person, RecordSource, RecordStatus
from storage.vocabulary import hours_figure
from tests.console import sign_in
from tests.domain import a_registered_person, a_unit, hours_of
from tests.test_console_query import export, part
from tests.test_console_stats import table

YEARS = (2024, 2025, 2026)
# 2024 in Zhengzhou asks 72 hours, 48 of them professional: its 公需 cap is 24, the default's is 30.
POLICIES = {2024: (72, 48)}
DEFAULT_POLICY = (90, 60)
CAP_NOTE = "公需科目超过 {cap} 学时的部分不计入年度要求"
HOLDER_LINK = re.compile(r"^(https?://\S+/c/\S+)$", re.M)
_people = count(1)


@dataclass(frozen=True)
class Record:
    year: int
    category: Category
    source: RecordSource
    status: RecordStatus
    hours: Decimal


records = st.lists(
    st.builds(
        Record,
        year=st.sampled_from(YEARS),
        category=st.sampled_from(list(Category)),
        source=st.sampled_from(list(RecordSource)),
        # Mostly approved, so that years meet the policy as often as they fall short of it.
        status=st.sampled_from([RecordStatus.APPROVED] * 3 + list(RecordStatus)),
        hours=st.one_of(
            st.integers(1, 160).map(lambda halves: Decimal(halves) / 2),
            st.sampled_from([Decimal(30), Decimal(45), Decimal(60), Decimal("64.5")]),
        ),
    ),
    max_size=10,
)


# --- what the rule says, worked out here on its own ------------------------------------------------------


def expected(records: list[Record], year: int) -> dict[str, str | bool]:
    approved = [r for r in records if r.year == year and r.status == RecordStatus.APPROVED]
    public = sum((r.hours for r in approved if r.category == Category.PUBLIC), Decimal(0))
    professional = sum((r.hours for r in approved if r.category == Category.PROFESSIONAL), Decimal(0))
    required, professional_min = POLICIES.get(year, DEFAULT_POLICY)
    counted = professional + min(public, Decimal(required - professional_min))
    missing = max(Decimal(0), required - counted, professional_min - professional)
    return {
        "public": hours_figure(public),
        "professional": hours_figure(professional),
        "total": hours_figure(public + professional),
        "counted": hours_figure(counted),
        "required": str(required),
        "met": missing == 0,
        "missing": hours_figure(missing),
        "paper": hours_figure(sum((r.hours for r in approved if r.source == RecordSource.PAPER), Decimal(0))),
    }


def cap_of(year: int) -> int:
    required, professional_min = POLICIES.get(year, DEFAULT_POLICY)
    return required - professional_min


def explains_cap(text: str, year: int) -> bool:
    """The rule's line, for one cap or, when the years' caps differ, for each year."""
    cap = cap_of(year)
    return CAP_NOTE.format(cap=cap) in text or (f"{year} 年 {cap} 学时" in text and "的部分不计入年度要求" in text)


def shown(want: dict, got: dict) -> dict:
    """The expected figures a surface prints: the keys it has."""
    return {key: want[key] for key in got}


def figure(value: object) -> str:
    """A cell of a workbook (int, float) or a page (text) as the hours figure."""
    return hours_figure(Decimal(str(value)))


# --- each surface, read -------------------------------------------------------------------------------------

CHAT_YEAR = re.compile(
    r"^(\d{4}) 年：公需科目 (\S+) 学时，专业科目 (\S+) 学时，(?:合计 (\S+) 学时，)?计入 (\S+)/(\d+) 学时$"
)
CHAT_MISSING = re.compile(r"(?:本年度还需|差) (\S+?) 学时")
CHAT_PAPER = re.compile(r"其中 (\S+) 学时由纸质证书转登")


def chat_years(reply: str) -> dict[int, dict]:
    years: dict[int, dict] = {}
    current = None
    for line in reply.splitlines():
        if found := CHAT_YEAR.match(line):
            year, public, professional, total, counted, required = found.groups()
            current = years[int(year)] = {
                "public": public,
                "professional": professional,
                "total": total or counted,  # printed once where the two agree
                "counted": counted,
                "required": required,
                "met": False,
                "missing": "0",
                "paper": "0",
            }
        elif current is not None and line.startswith("  "):
            if "已达到年度要求" in line:
                current["met"] = True
            elif found := CHAT_MISSING.search(line):
                current["missing"] = found[1]
            elif found := CHAT_PAPER.search(line):
                current["paper"] = found[1]
    return years


NEWS_YEAR = re.compile(r"(\d{4}) 年 (\S+?) 学时(?:，计入 ([^（；\s]+))?(（已达标）)?")


def news_years(reply: str) -> dict[int, dict]:
    description = reply.split("\n")[1]
    return {
        int(year): {"total": total, "counted": counted or total, "met": bool(met)}
        for year, total, counted, met in NEWS_YEAR.findall(description)
    }


PAGE_ROW = re.compile(
    r'<tr><td>(\d{4})</td><td class="num">([^<]+)</td><td class="num">([^<]+)</td>\s*'
    r'<td class="num">([^<]+)(?:<br><span class="counted">计入 ([^<]+)</span>)?</td>'
    r"<td>(已达标|未达标)（(\d+)）</td></tr>"
)


def page_years(html: str) -> dict[int, dict]:
    return {
        int(year): {
            "professional": professional,
            "public": public,
            "total": total,
            "counted": counted or total,
            "met": verdict == "已达标",
            "required": required,
        }
        for year, professional, public, total, counted, verdict, required in PAGE_ROW.findall(html)
    }


PDF_ROW = re.compile(r"(\d{4}) (\S+) (?:计入 (\S+)\* )?(\S+) (\S+) (\d+) 学时（专业科目不少于 \d+） (达标|未达标)")


def pdf_text(pdf: bytes) -> str:
    text = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", "-raw", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()
    return " ".join(text.split())


def pdf_years(text: str) -> dict[int, dict]:
    summary = text[text.index("学时汇总") : text.index("学时明细")]
    return {
        int(year): {
            "total": total,
            "counted": counted or total,
            "professional": professional,
            "public": public,
            "required": required,
            "met": verdict == "达标",
        }
        for year, total, counted, professional, public, required, verdict in PDF_ROW.findall(summary)
    }


QUERY_ROW = re.compile(r"(\d{4}) (\S+) (\S+) (\S+) (\S+)/(\d+) (达标|未达标)")


def query_years(card: str) -> dict[int, dict]:
    return {
        int(year): {
            "public": public,
            "professional": professional,
            "total": total,
            "counted": counted,
            "required": required,
            "met": verdict == "达标",
        }
        for year, public, professional, total, counted, required, verdict in QUERY_ROW.findall(card)
    }


def export_years(rows: list[tuple]) -> dict[int, dict]:
    header, line = rows[0], dict(zip(rows[0], rows[1], strict=True))
    years = sorted({int(cell[:4]) for cell in header if cell and cell[:4].isdigit()})
    return {
        year: {
            "public": figure(line[f"{year}公需学时"]),
            "professional": figure(line[f"{year}专业学时"]),
            "total": figure(line[f"{year}合计学时"]),
            "counted": figure(line[f"{year}计入学时"]),
            "required": str(line[f"{year}要求学时"]),
            "met": line[f"{year}是否达标"] == "达标",
        }
        for year in years
    }


async def statistics_of(browser, unit: str, year: int) -> tuple[dict, str, tuple]:
    """The unit's line on the statistics page and in its export, and the page."""
    _, html = await browser.get("/admin/stats", year=str(year))
    people, met, _, professional, public, total, counted, *_ = table(html)[unit]
    on_page = {"people": people, "met": met, "professional": professional, "public": public}
    on_page |= {"total": total, "counted": counted}
    _, body, _ = await browser.get_bytes("/admin/stats/export.xlsx", year=str(year))
    book = load_workbook(io.BytesIO(body))
    exported = next(row for row in book.worksheets[0].iter_rows(values_only=True) if row[0] == unit)
    notes = [row[0] for row in book["说明"].iter_rows(values_only=True)]
    return on_page, html, (exported, notes)


def statistics_expected(want: dict, on_roll: bool) -> dict:
    if not on_roll:
        return {"people": "0", "met": "0", "professional": "0", "public": "0", "total": "0", "counted": "0"}
    return {
        "people": "1",
        "met": "1" if want["met"] else "0",
        "professional": want["professional"],
        "public": want["public"],
        "total": want["total"],
        "counted": want["counted"],
    }


# --- the property ------------------------------------------------------------------------------------------


async def a_policy_for_2024() -> None:
    if not await HoursPolicy.exists(year=2024, region_code="410100"):
        await HoursPolicy.create(year=2024, region_code="410100", total_hours=72, professional_min_hours=48)
        forget_policies()


async def a_person_with(records: list[Record]) -> tuple[Person, str]:
    """A person alone in a new unit in Zhengzhou, so the unit's statistics are theirs."""
    number = next(_people)
    unit = await a_unit(f"郑州市第{number}测试医院", "410100")
    person = await a_registered_person(f"o_truth_{number}", name="林一", unit=unit)
    for r in records:
        await hours_of(person, r.year, r.category, str(r.hours), status=r.status, source=r.source)
    return person, unit.name


async def check_every_surface(service, person: Person, unit: str, records: list[Record]) -> None:
    user = service.user(person.openid)
    current_year = datetime.now(CHINA).year
    approved_years = sorted({r.year for r in records if r.status == RecordStatus.APPROVED})

    # 学时 in the chat: every year with approved hours, and this year
    reply = await user.says("学时")
    chat = chat_years(reply)
    assert set(chat) == {*approved_years, current_year}, reply
    for year, got in chat.items():
        assert got == shown(expected(records, year), got), (year, reply)
    for year, got in chat.items():
        if got["total"] != got["counted"]:
            assert explains_cap(reply, year), reply
    if all(got["total"] == got["counted"] for got in chat.values()):
        assert "不计入" not in reply, reply

    # 证书: the news message, the stored facts, the document, the holder page, the PDF, the verification page
    reply = await user.says("证书")
    if not approved_years:
        assert "还没有审核通过的学时" in reply
        return
    assert news_years(reply) == {
        y: shown(expected(records, y), {"total": 0, "counted": 0, "met": 0}) for y in approved_years[-3:]
    }, reply
    link = URL(HOLDER_LINK.search(reply)[1]).path
    snapshot = await CertificateSnapshot.filter(person_id=person.id).order_by("-id").first()
    document = certificate_document(snapshot, Urls(service.settings.public_url), load_keys(service.settings).qr)
    in_document = {
        y.year: {"public": hours_figure(y.public), "professional": hours_figure(y.professional)}
        | {"total": hours_figure(y.total), "counted": hours_figure(y.counted), "met": y.met}
        for y in document.years
    }
    assert in_document == {y: shown(expected(records, y), in_document[y]) for y in approved_years}
    holder = await (await service.client.get(link)).text()
    verification = await (await service.client.get(f"/v/{snapshot.code}")).text()
    pdf = pdf_text(await (await service.client.get(link + "/certificate.pdf")).read())
    for surface, years in (
        ("holder", page_years(holder)),
        ("verify", page_years(verification)),
        ("pdf", pdf_years(pdf)),
    ):
        assert sorted(years) == approved_years, (surface, years)
        for year, got in years.items():
            assert got == shown(expected(records, year), got), (surface, year)
    capped = [y for y in approved_years if expected(records, y)["total"] != expected(records, y)["counted"]]
    for html in (holder, verification, pdf):
        for year in capped:
            assert explains_cap(html, year), (year, html)
        if not capped:
            assert "不计入年度要求" not in html

    # The batch query of the console, on the page and in its export (2026 and the two years before)
    browser = await sign_in(service, "o_zhengzhou")
    try:
        form = {"numbers": person.cert_number, "year": "2026"}
        _, html = await browser.post("/admin/query", form)
        card = part(html, "found")
        for surface, years in (("query", query_years(card)), ("export", export_years(await export(browser, form)))):
            assert sorted(years) == list(YEARS), (surface, card)
            for year, got in years.items():
                assert got == shown(expected(records, year), got), (surface, year, card)
        assert ("不计入年度要求" in card) == any(
            expected(records, y)["total"] != expected(records, y)["counted"] for y in YEARS
        ), card

        # The statistics of each year: the person's unit is the person
        for year in YEARS:
            want = expected(records, year)
            registered = person.registered_at < datetime(year + 1, 1, 1, tzinfo=CHINA).astimezone(UTC)
            on_roll = registered or year in approved_years
            on_page, html, (exported, notes) = await statistics_of(browser, unit, year)
            assert on_page == statistics_expected(want, on_roll), (year, on_page)
            people, met, _, public, professional, total, counted, *_ = exported[1:]
            in_export = {"people": str(people), "met": str(met), "professional": figure(professional)}
            in_export |= {"public": figure(public), "total": figure(total), "counted": figure(counted)}
            assert in_export == statistics_expected(want, on_roll), (year, exported)
            if want["total"] != want["counted"]:
                assert (
                    CAP_NOTE.format(cap=cap_of(year)) in html and f"注：{CAP_NOTE.format(cap=cap_of(year))}。" in notes
                )
    finally:
        await browser.close()


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(records=records)
async def test_every_surface_shows_the_same_figures_for_every_year(console_service, world, records):
    await a_policy_for_2024()
    person, unit = await a_person_with(records)
    await check_every_surface(console_service, person, unit, records)


# --- the reported symptom ----------------------------------------------------------------------------------


async def test_public_hours_above_the_cap_give_the_same_counted_total_and_the_same_reason_everywhere(
    console_service, world
):
    """Reported: 学时 said 30 of 90 count while the certificate and the verification page said 合计 48; the
    batch query said 150 where the certificate said 180. Now each shows both totals and why they differ."""
    person = world["person"]
    await hours_of(person, 2024, Category.PROFESSIONAL, "120")
    await hours_of(person, 2024, Category.PUBLIC, "60")
    await hours_of(person, 2025, Category.PUBLIC, "40", source=RecordSource.PAPER)
    pending = await hours_of(person, 2025, Category.PUBLIC, "8", status=RecordStatus.PENDING)
    note = "公需科目超过 30 学时的部分不计入年度要求"

    # The unit admin approves the last 8 hours; the notification states the year as 学时 will.
    assert "已通过" in await console_service.user("o_home").says(f"通过 {pending.id}")
    await console_service.deliver()
    (pushed,) = [t for t in await console_service.pushed_texts("o_person") if "审核通过" in t]
    assert f"您 2025 年现有学时：合计 48 学时，计入 30/90 学时，还需 60 学时。注：{note}。" in pushed

    user = console_service.user("o_person")
    hours = await user.says("学时")
    assert "2025 年：公需科目 48 学时，专业科目 0 学时，合计 48 学时，计入 30/90 学时" in hours
    assert "2024 年：公需科目 60 学时，专业科目 120 学时，合计 180 学时，计入 150/90 学时" in hours
    assert f"注：{note}。" in hours

    news = await user.says("证书")
    assert "2025 年 48 学时，计入 30；2024 年 180 学时，计入 150（已达标）" in news
    link = URL(HOLDER_LINK.search(news)[1]).path
    snapshot = await CertificateSnapshot.get(person_id=person.id)
    for page in (link, f"/v/{snapshot.code}"):
        html = await (await console_service.client.get(page)).text()
        assert page_years(html) == {
            2024: {"professional": "120", "public": "60", "total": "180", "counted": "150", "met": True}
            | {"required": "90"},
            2025: {"professional": "0", "public": "48", "total": "48", "counted": "30", "met": False}
            | {"required": "90"},
        }, page
        assert f"注：{note}。" in html
    pdf = pdf_text(await (await console_service.client.get(link + "/certificate.pdf")).read())
    assert "2024 180 计入 150* 120 60 90 学时" in pdf and "2025 48 计入 30* 0 48 90 学时" in pdf
    assert f"* {note}。" in pdf

    browser = await sign_in(console_service, "o_home")
    try:
        form = {"numbers": person.cert_number, "year": "2025"}
        _, html = await browser.post("/admin/query", form)
        card = part(html, "found")
        assert "2025 48 0 48 30/90 未达标" in card and "2024 60 120 180 150/90 达标" in card
        assert f"注：{note}。" in card
        exported = export_years(await export(browser, form))
        assert (exported[2024]["total"], exported[2024]["counted"]) == ("180", "150")
        on_page, html, (line, _) = await statistics_of(browser, "郑州市第一人民医院", 2024)
        assert (on_page["total"], on_page["counted"], on_page["met"]) == ("180", "150", "1")
        assert line[6:8] == (180, 150) and f"注：{note}。" in html
    finally:
        await browser.close()


async def test_without_hours_above_the_cap_no_surface_explains_a_cap(console_service, world):
    person = world["person"]
    await hours_of(person, 2025, Category.PROFESSIONAL, "64.5")
    await hours_of(person, 2025, Category.PUBLIC, "30")
    user = console_service.user("o_person")
    hours = await user.says("学时")
    assert "2025 年：公需科目 30 学时，专业科目 64.5 学时，计入 94.5/90 学时" in hours
    news = await user.says("证书")
    assert "2025 年 94.5 学时（已达标）" in news
    link = URL(HOLDER_LINK.search(news)[1]).path
    holder = await (await console_service.client.get(link)).text()
    pdf = pdf_text(await (await console_service.client.get(link + "/certificate.pdf")).read())
    assert "2025 94.5 64.5 30 90 学时" in pdf
    for text in (hours, news, holder, pdf):
        assert "不计入" not in text and "合计 94.5" not in text and 'class="counted"' not in text
