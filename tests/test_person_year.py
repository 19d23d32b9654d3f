"""The statistics read each person's yearly sums from person_year, kept in the same transaction as every change of
approved hours: after an approval, a void, a correction, a transfer or an import the table says what the records
add up to, and after a rejection or a withdrawal it has not moved. `jxjy db rebuild-summaries` restores a table
that went wrong, and the statistics read from it equal the old aggregation over every record."""

import asyncio
from dataclasses import astuple
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from storage.clock import CHINA
from storage.corrections import correct_record, void_record
from storage.db import fetch
from storage.declarations import HoursEntry, ImportRow, decide, declare, import_hours, transfer_paper_hours, withdraw
from storage.hours import Policies, as_hours
from storage.models import Category, HourRecord, Person, PersonYear, RecordSource, RecordStatus
from storage.people_admin import change_unit
from storage.scope import reaches_everything
from storage.statistics import YearStatistics, _group, _group_names, _scope_sql, chosen_region, year_statistics
from storage.summary import YearSummary
from storage.summary_store import rebuild_person_years
from tests.domain import a_registered_person, a_unit, an_admin, hours_of
from tests.test_cli import jxjy

NOW = datetime(2026, 6, 1, 9, tzinfo=UTC)
_openids = iter(range(10**6))


def an_openid() -> str:
    return f"o_py_{next(_openids)}"


async def recomputed() -> dict[tuple[int, int], tuple[Decimal, Decimal, Decimal]]:
    """What person_year should hold, added up from the approved records."""
    sums: dict[tuple[int, int], list[Decimal]] = {}
    for r in await HourRecord.filter(status=RecordStatus.APPROVED).values(
        "person_id", "year", "category", "hours", "source"
    ):
        row = sums.setdefault((r["person_id"], r["year"]), [Decimal(0)] * 3)
        row[0 if r["category"] == Category.PUBLIC else 1] += Decimal(r["hours"])
        if r["source"] == RecordSource.PAPER:
            row[2] += Decimal(r["hours"])
    return {key: tuple(value) for key, value in sums.items()}


async def summaries() -> dict[tuple[int, int], tuple[Decimal, Decimal, Decimal]]:
    rows = await PersonYear.all().values("person_id", "year", "public", "professional", "from_paper")
    return {
        (r["person_id"], r["year"]): (Decimal(r["public"]), Decimal(r["professional"]), Decimal(r["from_paper"]))
        for r in rows
    }


async def copies_agree() -> bool:
    """Each row's copy of its person's facts: their unit, and whether they registered after the year's end."""
    people = {p["id"]: p for p in await Person.all().values("id", "unit_id", "registered_at")}
    for row in await PersonYear.all().values("person_id", "year", "unit_id", "late"):
        person = people[row["person_id"]]
        late = person["registered_at"] >= datetime(row["year"] + 1, 1, 1, tzinfo=CHINA)
        if (row["unit_id"], bool(row["late"])) != (person["unit_id"], late):
            return False
    return True


def an_entry(
    year: int = 2026, category: Category = Category.PROFESSIONAL, hours: str = "8", course: str = "急诊医学进展"
):
    return HoursEntry(year, category, course, "河南省人民医院", date(year, 4, 1), Decimal(hours))


async def people_and_admin():
    unit = await a_unit()
    admin = await an_admin("o_province", "province")
    person = await a_registered_person(an_openid(), unit=unit)
    return admin, person


# --- each kind of change ------------------------------------------------------------------------------------------


async def test_an_approval_adds_the_hours_to_the_persons_year_and_a_rejection_adds_nothing(service):
    admin, person = await people_and_admin()
    approved = await declare(person, an_entry(hours="8"), "", NOW)
    rejected = await declare(person, an_entry(hours="6", course="病历书写规范"), "", NOW)
    assert await summaries() == {}  # pending hours do not count

    await decide(admin, approved.id, True, "", NOW)
    assert await summaries() == {(person.id, 2026): (Decimal(0), Decimal(8), Decimal(0))}
    await decide(admin, rejected.id, False, "证明材料不清晰", NOW)
    assert await summaries() == await recomputed() == {(person.id, 2026): (Decimal(0), Decimal(8), Decimal(0))}


async def test_withdrawing_a_pending_declaration_changes_no_summary(service):
    _, person = await people_and_admin()
    await hours_of(person, 2026, Category.PUBLIC, "12")
    pending = await declare(person, an_entry(hours="8"), "", NOW)
    before = await summaries()

    await withdraw(person, pending.id)
    assert (
        await summaries() == before == await recomputed() == {(person.id, 2026): (Decimal(12), Decimal(0), Decimal(0))}
    )


async def test_a_void_takes_the_hours_out_and_the_last_one_removes_the_year(service):
    admin, person = await people_and_admin()
    first = await hours_of(person, 2025, Category.PROFESSIONAL, "20")
    second = await hours_of(person, 2025, Category.PUBLIC, "10")

    await void_record(admin, first.id, "重复登记", NOW)
    assert await summaries() == await recomputed() == {(person.id, 2025): (Decimal(10), Decimal(0), Decimal(0))}
    await void_record(admin, second.id, "课程不属实", NOW)
    assert await summaries() == await recomputed() == {}


async def test_a_correction_changes_the_sum_by_the_difference(service):
    admin, person = await people_and_admin()
    record = await hours_of(person, 2024, Category.PROFESSIONAL, "20")
    await hours_of(person, 2024, Category.PROFESSIONAL, "5")

    await correct_record(admin, record.id, Decimal("12.5"), "内科学进展", "学时填写有误", NOW)
    assert await summaries() == await recomputed() == {(person.id, 2024): (Decimal(0), Decimal("17.5"), Decimal(0))}


async def test_a_transfer_counts_as_paper_hours(service):
    admin, person = await people_and_admin()
    await transfer_paper_hours(admin, person, "豫继教(2019)第0001号", an_entry(2019, hours="30"), NOW)
    assert await summaries() == await recomputed() == {(person.id, 2019): (Decimal(0), Decimal(30), Decimal(30))}


async def test_an_import_adds_every_persons_years_at_once(service):
    _, person = await people_and_admin()
    other = await a_registered_person(an_openid(), unit=await a_unit(serial=9001))
    rows = [
        ImportRow(2, person.cert_number, an_entry(2023, Category.PUBLIC, "30", "政策法规")),
        ImportRow(3, person.cert_number, an_entry(2024, Category.PROFESSIONAL, "40", "专业进展")),
        ImportRow(4, other.id_number, an_entry(2024, Category.PROFESSIONAL, "16", "专业进展")),
    ]
    await import_hours(rows, "cli", NOW)
    assert await summaries() == await recomputed()
    assert (await summaries())[(person.id, 2024)] == (Decimal(0), Decimal(40), Decimal(0))
    assert len(await summaries()) == 3


@pytest.mark.postgres_only
async def test_many_decisions_on_one_persons_hours_at_once_leave_the_sum_of_them_all(service):
    admin, person = await people_and_admin()
    others = [await an_admin(f"o_admin_{n}", "province") for n in range(5)]
    pending = [await declare(person, an_entry(hours="4", course=f"课程{n}"), "", NOW) for n in range(20)]

    await asyncio.gather(*(decide([admin, *others][n % 6], r.id, True, "", NOW) for n, r in enumerate(pending)))
    assert await summaries() == await recomputed() == {(person.id, 2026): (Decimal(0), Decimal(80), Decimal(0))}


async def test_a_person_moved_to_another_unit_is_counted_there_with_their_hours(service):
    admin, person = await people_and_admin()
    await hours_of(person, 2026, Category.PROFESSIONAL, "60")
    await hours_of(person, 2026, Category.PUBLIC, "30")
    luoyang = await a_unit("洛阳市中心医院", "410300", serial=9003)

    await change_unit(admin, person.id, luoyang.id)
    assert await copies_agree()
    statistics = await year_statistics(admin, 2026)
    by_region = {g.key: (g.people, g.met, g.professional) for g in statistics.groups if g.people}
    assert by_region == {"410300": (1, 1, Decimal(60))}


# --- any sequence of changes --------------------------------------------------------------------------------------

operations = st.lists(
    st.tuples(
        st.sampled_from(["declare", "approve", "reject", "withdraw", "void", "correct", "transfer", "import"]),
        st.integers(0, 1),  # which person
        st.sampled_from([2024, 2025, 2026]),
        st.sampled_from(list(Category)),
        st.sampled_from(["1", "2.5", "8", "40"]),
    ),
    min_size=1,
    max_size=12,
)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(operations=operations)
async def test_after_any_sequence_of_changes_the_summaries_equal_the_records(service, operations):
    admin = await an_admin(an_openid(), "province")
    unit = await a_unit()
    people = [await a_registered_person(an_openid(), unit=unit) for _ in range(2)]
    for step, (kind, who, year, category, hours) in enumerate(operations):
        person = people[who]
        entry = an_entry(year, category, hours, course=f"课程{step}")
        mine = HourRecord.filter(person_id=person.id)
        if kind == "declare":
            await declare(person, entry, "", NOW)
        elif kind in ("approve", "reject", "withdraw") and (
            pending := await mine.filter(status=RecordStatus.PENDING).order_by("id").first()
        ):
            if kind == "withdraw":
                await withdraw(person, pending.id)
            else:
                await decide(admin, pending.id, kind == "approve", "" if kind == "approve" else "不符合要求", NOW)
        elif kind in ("void", "correct") and (
            approved := await mine.filter(status=RecordStatus.APPROVED).order_by("-id").first()
        ):
            if kind == "void":
                await void_record(admin, approved.id, "登记有误", NOW)
            elif Decimal(approved.hours) != Decimal(hours):
                await correct_record(admin, approved.id, Decimal(hours), approved.course, "学时有误", NOW)
        elif kind == "transfer":
            await transfer_paper_hours(admin, person, f"豫继教({year})第{step}号", entry, NOW)
        elif kind == "import":
            await import_hours([ImportRow(2, person.cert_number, entry)], "cli", NOW)
        assert await summaries() == await recomputed(), (step, kind)
        assert await copies_agree(), (step, kind)


# --- the rebuild --------------------------------------------------------------------------------------------------


async def test_the_rebuild_command_restores_a_corrupted_table(service, tmp_path):
    _, person = await people_and_admin()
    other = await a_registered_person(an_openid(), unit=await a_unit(serial=9002))
    await hours_of(person, 2025, Category.PUBLIC, "12")
    await hours_of(person, 2026, Category.PROFESSIONAL, "60")
    await hours_of(other, 2026, Category.PROFESSIONAL, "8", source=RecordSource.PAPER)
    right = await summaries()
    await PersonYear.filter(person_id=person.id, year=2026).update(professional=Decimal(999))
    await PersonYear.filter(person_id=other.id).delete()
    await PersonYear.create(
        person_id=other.id, year=2019, public=Decimal(5), professional=0, from_paper=0, unit_id=other.unit_id
    )
    await PersonYear.filter(person_id=person.id, year=2025).update(unit_id=other.unit_id, late=True)
    assert await summaries() != right and not await copies_agree()

    status, output = await jxjy(service.settings.database_url, "db", "rebuild-summaries", cwd=tmp_path)
    assert status == 0, output
    assert "共 3 条" in output
    assert await summaries() == right == await recomputed()
    assert await copies_agree()


@pytest.mark.parametrize("microseconds", [0, 500_000])
async def test_the_rebuild_tells_late_registrations_to_the_second_of_the_year_end(service, microseconds):
    """2026-01-01 00:00 in Beijing is 2025-12-31 16:00 UTC: registered then is late for 2025, a moment before is not."""
    year_end = datetime(2025, 12, 31, 16, 0, 0, microseconds, tzinfo=UTC)
    unit = await a_unit()
    for moment in (year_end, year_end.replace(second=0, minute=59, hour=15)):
        person = await a_registered_person(an_openid(), unit=unit)
        await Person.filter(id=person.id).update(registered_at=moment)
        await hours_of(person, 2025, Category.PROFESSIONAL, "8")
    await rebuild_person_years()
    assert await copies_agree()
    assert sorted(await PersonYear.all().values_list("late", flat=True)) == [False, True]


async def test_rebuilding_in_small_batches_gives_the_same_table(service):
    unit = await a_unit()
    for n in range(7):
        person = await a_registered_person(an_openid(), unit=unit)
        await hours_of(person, 2026, Category.PROFESSIONAL, str(n + 1))
    right = await summaries()
    await PersonYear.all().delete()
    assert await rebuild_person_years(batch=2) == 7
    assert await summaries() == right


# --- the statistics against the old aggregation -------------------------------------------------------------------


async def statistics_from_every_record(admin, year: int, region_code: str = "") -> YearStatistics:
    """The statistics as they were computed before person_year: every approved record added up each time."""
    region = await chosen_region(admin, region_code)
    by = "region" if reaches_everything(admin) and region is None else "unit"
    scope, scope_params = _scope_sql(admin, region)
    year_end = datetime(year + 1, 1, 1, tzinfo=CHINA).astimezone(UTC)
    keys = "u.region_id" if by == "region" else "u.region_id, u.id"
    outer_keys = "region_id" if by == "region" else "region_id, unit_id"
    unit_column = "" if by == "region" else ", u.id AS unit_id"
    groups = {g.key: g for g in await _group_names(admin, by, region)}
    registered = await fetch(
        f"SELECT u.region_id AS region_id{unit_column}, COUNT(p.id) AS people "
        f"FROM person p JOIN unit u ON u.id = p.unit_id WHERE p.registered_at < ? AND {scope} GROUP BY {keys}",
        year_end,
        *scope_params,
    )
    for row in registered:
        _group(groups, by, row).people += row["people"]
    hour_sums = await fetch(
        f"SELECT {outer_keys}, public, professional, COUNT(*) AS people, SUM(late) AS late FROM ("
        f"  SELECT u.region_id AS region_id{unit_column},"
        f"    MAX(CASE WHEN p.registered_at >= ? THEN 1 ELSE 0 END) AS late,"
        f"    SUM(CASE WHEN r.category = ? THEN r.hours ELSE 0 END) AS public,"
        f"    SUM(CASE WHEN r.category = ? THEN r.hours ELSE 0 END) AS professional"
        f"  FROM hour_record r JOIN person p ON p.id = r.person_id JOIN unit u ON u.id = p.unit_id"
        f"  WHERE r.status = ? AND r.year = ? AND {scope}"
        f"  GROUP BY {keys}, p.id"
        f") per_person GROUP BY {outer_keys}, public, professional",
        year_end,
        str(Category.PUBLIC),
        str(Category.PROFESSIONAL),
        str(RecordStatus.APPROVED),
        year,
        *scope_params,
    )
    policies = Policies()
    for row in hour_sums:
        group = _group(groups, by, row)
        public, professional, people = as_hours(row["public"]), as_hours(row["professional"]), row["people"]
        group.people += int(row["late"] or 0)
        group.public += public * people
        group.professional += professional * people
        summary = YearSummary(year, await policies.of(row["region_id"], year), public, professional)
        group.counted += summary.counted * people
        if summary.capped:
            group.capped_by.add(summary.policy.public_cap)
        if summary.met:
            group.met += people
    ordered = sorted(groups.values(), key=lambda g: g.key if by == "region" else (-g.people, g.name))
    statistics = YearStatistics(year, by, region, ordered)
    for group in ordered:
        statistics.total.add(group)
    return statistics


def figures(statistics: YearStatistics) -> list[tuple]:
    return [astuple(g) for g in [*statistics.groups, statistics.total]]


people_data = st.lists(
    st.tuples(
        st.integers(0, 3),  # unit
        st.sampled_from([2023, 2025, 2027]),  # registered in
        st.lists(
            st.tuples(
                st.sampled_from([2024, 2025, 2026]),
                st.sampled_from(list(Category)),
                st.sampled_from(["4", "12.5", "30", "60", "70"]),
                st.sampled_from(list(RecordStatus)),
                st.sampled_from(list(RecordSource)),
            ),
            max_size=5,
        ),
    ),
    min_size=1,
    max_size=10,
)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(people=people_data)
async def test_the_statistics_equal_the_old_aggregation_over_every_record(service, people):
    units = [
        await a_unit(name=f"单位{n}", region=region)
        for n, region in enumerate(["410100", "410100", "410300", "410000"])
    ]
    for unit_index, registered_in, records in people:
        person = await a_registered_person(an_openid(), unit=units[unit_index], year=registered_in)
        for year, category, hours, status, source in records:
            await hours_of(person, year, category, hours, status, source)
    province = await an_admin(an_openid(), "province")
    region = await an_admin(an_openid(), "region", region="410100")
    unit_admin = await an_admin(an_openid(), "unit", unit=units[2])
    for year in (2024, 2025, 2026):
        for admin, region_code in (
            (province, ""),
            (province, "410300"),
            (province, "410000"),
            (region, ""),
            (unit_admin, ""),
        ):
            new = await year_statistics(admin, year, region_code)
            old = await statistics_from_every_record(admin, year, region_code)
            assert figures(new) == figures(old), (year, admin.role, region_code)
