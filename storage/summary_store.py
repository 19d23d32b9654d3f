"""person_year: each person's approved hours per year, summed, kept beside the records so the statistics read one
row per person instead of re-adding every record each time.

One rule keeps it true: every change of approved hours (a decision, a transfer, an import, a void, a correction)
calls refresh_person_years inside its own transaction, which recomputes those person-years from hour_record. A
recomputation rather than an increment: simple, and right whatever the change was. Each row also carries the
person's unit and whether they registered after the year's end, so the statistics need no join to every person: a
change of the person's unit calls follow_unit in its transaction. `jxjy db rebuild-summaries`
(rebuild_person_years) recomputes every row, for a table restored from elsewhere or doubted.
"""

from collections.abc import Iterable
from decimal import Decimal

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from storage.clock import year_end
from storage.db import current_connection
from storage.models import Category, HourRecord, Person, PersonYear, RecordSource, RecordStatus

# The recomputation as one statement, for the rebuild and the scale benchmark. A person registered after the
# year's end is `late`: the year's end, Beijing time, in each dialect (SQLite holds moments as UTC text).
_YEAR_END = {
    "postgres": "make_timestamptz(r.year + 1, 1, 1, 0, 0, 0, 'Asia/Shanghai')",
    "sqlite": "printf('%04d-12-31 16:00:00', r.year)",
}


def fill_sql(dialect: str, where: str = "") -> str:
    """INSERT every person-year of approved hours (`where`: more conditions on `hour_record r`)."""
    return (
        "INSERT INTO person_year (person_id, year, public, professional, from_paper, unit_id, late)"
        " SELECT r.person_id, r.year,"
        f" SUM(CASE WHEN r.category = '{Category.PUBLIC}' THEN r.hours ELSE 0 END),"
        f" SUM(CASE WHEN r.category = '{Category.PROFESSIONAL}' THEN r.hours ELSE 0 END),"
        f" SUM(CASE WHEN r.source = '{RecordSource.PAPER}' THEN r.hours ELSE 0 END),"
        f" p.unit_id, p.registered_at >= {_YEAR_END[dialect]}"
        f" FROM hour_record r JOIN person p ON p.id = r.person_id WHERE r.status = '{RecordStatus.APPROVED}' {where}"
        " GROUP BY r.person_id, r.year, p.unit_id, p.registered_at"
    )


REBUILD_BATCH = 20_000  # people per transaction


async def refresh_person_years(person_id: int, years: Iterable[int]) -> None:
    """Recompute these years of this person from their approved records. Call it inside the transaction that
    changed the records: the person's row is locked first, so two changes of one person's hours at once
    follow each other and the second recomputes from what the first committed."""
    years = sorted(set(years))
    if not years:
        return
    person = await Person.filter(id=person_id).select_for_update().only("id", "unit_id", "registered_at").get()
    records = await HourRecord.filter(person_id=person_id, year__in=years, status=RecordStatus.APPROVED).values(
        "year", "category", "hours", "source"
    )
    sums: dict[int, dict[str, Decimal]] = {}
    for record in records:
        year = sums.setdefault(record["year"], {"public": Decimal(0), "professional": Decimal(0), "paper": Decimal(0)})
        hours = Decimal(record["hours"])
        year[str(record["category"])] += hours
        if record["source"] == RecordSource.PAPER:
            year["paper"] += hours
    await PersonYear.filter(person_id=person_id, year__in=years).delete()
    if sums:
        await PersonYear.bulk_create(
            [
                PersonYear(
                    person_id=person_id,
                    year=year,
                    public=s["public"],
                    professional=s["professional"],
                    from_paper=s["paper"],
                    unit_id=person.unit_id,
                    late=person.registered_at >= year_end(year),
                )
                for year, s in sorted(sums.items())
            ]
        )


async def follow_unit(person_id: int, unit_id: int) -> None:
    """The person's years move with them to their new unit. Call it inside the transaction that changed the unit,
    after the change: a recomputation of their hours meanwhile waits for the person's row, and reads the new unit."""
    await PersonYear.filter(person_id=person_id).update(unit_id=unit_id)


async def rebuild_person_years(batch: int = REBUILD_BATCH) -> int:
    """Recompute every row from hour_record, a batch of people per transaction; returns the rows there are."""
    bounds = await current_connection().execute_query_dict("SELECT MIN(id) AS low, MAX(id) AS high FROM person")
    low, high = bounds[0]["low"], bounds[0]["high"]
    if low is None:
        async with in_transaction() as conn:
            await conn.execute_script("DELETE FROM person_year")
        return 0
    async with in_transaction() as conn:  # rows of people no longer there, and of ids beyond the range
        await _execute(conn, "DELETE FROM person_year WHERE person_id < ? OR person_id > ?", low, high)
    for start in range(low, high + 1, batch):
        end = start + batch - 1
        async with in_transaction() as conn:
            if conn.capabilities.dialect == "postgres":  # a change of these people's hours meanwhile waits
                await _execute(conn, "SELECT id FROM person WHERE id BETWEEN ? AND ? FOR UPDATE", start, end)
            await _execute(conn, "DELETE FROM person_year WHERE person_id BETWEEN ? AND ?", start, end)
            fill = fill_sql(conn.capabilities.dialect, "AND r.person_id BETWEEN ? AND ?")
            await _execute(conn, fill, start, end)
    rows = await current_connection().execute_query_dict("SELECT COUNT(*) AS n FROM person_year")
    return rows[0]["n"]


def _placeholders(conn: BaseDBAsyncClient, sql: str) -> str:
    if conn.capabilities.dialect != "postgres":
        return sql
    first, *rest = sql.split("?")
    return first + "".join(f"${i}{part}" for i, part in enumerate(rest, 1))


async def _execute(conn: BaseDBAsyncClient, sql: str, *params: object) -> None:
    await conn.execute_query(_placeholders(conn, sql), list(params))
