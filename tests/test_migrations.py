"""The database's structure comes from storage/migrations: a new database is migrated, a database the release
before migrations made (with generate_schemas) is adopted with its rows, and the service will not start on a
database behind the code."""

import re
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from tortoise.connection import get_connection
from tortoise.context import TortoiseContext
from tortoise.transactions import in_transaction

from storage.db import connection_label, database, migrate_database, schema_status, tortoise_config
from storage.declarations import pending_query
from storage.hours import _HOURS_BY
from storage.models import Admin, Category, HourRecord, Person, PersonYear, RecordStatus, Region, RegionKind, Unit
from storage.schema import FIRST, SchemaUnknown, unrecorded_changes
from tests import conftest
from tests.conftest import DATABASES, POSTGRES_ADMIN_URL, TEST_DATABASE, _admin, _postgres_url, keys_for_tests
from tests.domain import a_credit_code
from tests.test_cli import jxjy

# Every migration, in order; the ones after the first are what an adopted database still needs.
MIGRATIONS = sorted(path.stem for path in (Path(__file__).parents[1] / "storage" / "migrations").glob("0*.py"))
AFTER_FIRST = MIGRATIONS[1:]
assert MIGRATIONS[0] == FIRST

BEFORE_MIGRATIONS = Path(__file__).parent / "data" / "schema_before_migrations.{kind}.sql"
NEW_INDEXES = {
    "hour_record_hours",
    "hour_record_pending",
    "hour_record_pending_person",
    "person_unit",
    "unit_region",
    "person_year_year",
}


@pytest.fixture(params=DATABASES)
async def blank(request: pytest.FixtureRequest, tmp_path) -> AsyncIterator[Callable[[str], object]]:
    """Makes databases with no tables at all, of each kind: `await blank("a")` is the URL of a new one."""
    kind = request.param
    if kind == "postgres" and conftest._postgres_problem:
        pytest.skip(f"PostgreSQL not reachable at {POSTGRES_ADMIN_URL}")
    made = []

    async def make(name: str) -> str:
        if kind == "sqlite":
            return f"sqlite://{tmp_path}/{name}.sqlite3"
        database_name = f"{TEST_DATABASE}_{name}"
        await _admin(f'DROP DATABASE IF EXISTS "{database_name}"')
        await _admin(f'CREATE DATABASE "{database_name}"')
        made.append(database_name)
        return _postgres_url(database_name)

    yield make
    for database_name in made:
        await _admin(f'DROP DATABASE IF EXISTS "{database_name}" WITH (FORCE)')


@asynccontextmanager
async def unchecked(url: str) -> AsyncIterator[object]:
    """The database as it is, whatever its structure (what `database` would refuse)."""
    async with TortoiseContext() as ctx:
        await ctx.init(config=tortoise_config(url))
        yield get_connection(connection_label(url))


async def a_release_database(url: str) -> None:
    """What the release before migrations left: its generate_schemas SQL, and a person with hours."""
    kind = connection_label(url)
    async with unchecked(url) as connection:
        await connection.execute_script(
            BEFORE_MIGRATIONS.with_name(BEFORE_MIGRATIONS.name.format(kind=kind)).read_text()
        )
        region = await Region.create(code="410100", name="郑州市", kind=RegionKind.CITY)
        unit = await Unit.create(name="郑州市第一人民医院", credit_code=a_credit_code(1), region=region)
        person = await Person.create(
            name="孙丽", id_number="410102198001011234", cert_number="4101002018000001", unit=unit
        )
        await HourRecord.create(
            person=person, year=2024, category=Category.PROFESSIONAL, course="急救", provider="省医学会",
            studied_on=date(2024, 5, 1), hours=Decimal("12.5"), status=RecordStatus.APPROVED,
        )  # fmt: skip


async def structure(url: str) -> set[tuple]:
    """Tables, columns and indexes as the database reports them (whitespace and SQLite's copies of the column
    comments aside: an enum's member list there is not structure), migration history left out."""
    async with unchecked(url) as connection:
        if connection_label(url) == "sqlite":
            rows = await connection.execute_query_dict(
                "SELECT type, name, sql FROM sqlite_master "
                "WHERE name NOT LIKE 'sqlite_%' AND tbl_name <> 'tortoise_migrations'"
            )
            return {(row["type"], row["name"], _plain_sql(row["sql"] or "")) for row in rows}
        columns = await connection.execute_query_dict(
            "SELECT table_name, column_name, data_type, is_nullable, column_default FROM information_schema.columns "
            "WHERE table_schema = 'public' AND table_name <> 'tortoise_migrations'"
        )
        indexes = await connection.execute_query_dict(
            "SELECT indexname, indexdef FROM pg_indexes "
            "WHERE schemaname = 'public' AND tablename <> 'tortoise_migrations'"
        )
        return {tuple(row.values()) for row in columns} | {tuple(row.values()) for row in indexes}


def _plain_sql(sql: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"/\*.*?\*/", "", sql, flags=re.S)).replace("( ", "(").replace(" )", ")")


async def index_names(url: str) -> set[str]:
    rows = await structure(url)
    return {row[1] for row in rows if row[0] == "index"} | {row[0] for row in rows if len(row) == 2}


async def test_the_models_and_the_migrations_agree():
    async with TortoiseContext() as ctx:
        config = tortoise_config("sqlite://:memory:")
        await ctx.init(config=config)
        changes = await unrecorded_changes(ctx.apps, config["apps"])
    assert [writer.as_string() for writer in changes] == [], (
        "storage/models.py differs from storage/migrations: run `jxjy db makemigrations --name <what changed>`"
    )


async def test_a_new_database_migrated_has_the_structure_the_models_describe(blank):
    migrated, generated = await blank("migrated"), await blank("generated")
    assert await migrate_database(migrated) == MIGRATIONS
    async with TortoiseContext() as ctx:
        await ctx.init(config=tortoise_config(generated))
        await ctx.generate_schemas()
    assert await structure(migrated) == await structure(generated)
    assert NEW_INDEXES <= await index_names(migrated)


async def test_a_database_made_before_migrations_is_adopted_and_keeps_its_rows(blank):
    url = await blank("release")
    await a_release_database(url)
    status = await schema_status(url)
    assert status.adoptable and status.applied == [] and status.pending == MIGRATIONS
    assert not NEW_INDEXES & await index_names(url)

    assert await migrate_database(url) == AFTER_FIRST

    assert (await schema_status(url)).applied == MIGRATIONS
    assert NEW_INDEXES <= await index_names(url)
    async with database(url):
        person = await Person.get(cert_number="4101002018000001").prefetch_related("unit")
        assert (person.name, person.unit.name) == ("孙丽", "郑州市第一人民医院")
        assert [str(record.hours) for record in await HourRecord.filter(person=person)] == ["12.5"]
        # The statistics read person_year: the migration that made it added up the hours already there.
        year = await PersonYear.get(person=person)
        assert (year.year, year.public, year.professional, year.from_paper) == (2024, 0, Decimal("12.5"), 0)
        assert year.unit_id == person.unit_id  # and the person's unit, as the statistics group it
    assert await migrate_database(url) == []


async def test_tables_unlike_the_first_migration_are_not_adopted_and_nothing_changes(blank):
    url = await blank("altered")
    await a_release_database(url)
    async with unchecked(url) as connection:
        await connection.execute_script('ALTER TABLE "person" ADD COLUMN "nickname" VARCHAR(20)')
    before = await structure(url)

    with pytest.raises(SchemaUnknown) as refused:
        await migrate_database(url)

    assert "person" in str(refused.value) and "nickname" in str(refused.value)
    assert await structure(url) == before
    assert (await schema_status(url)).applied == []


async def test_the_service_and_the_commands_refuse_a_database_behind_the_code_until_it_is_migrated(tmp_path):
    url = f"sqlite://{tmp_path}/release.sqlite3"
    await a_release_database(url)
    keys = {name.upper(): str(value) for name, value in keys_for_tests().items()}

    status, output = await jxjy(url, "serve", "--port", "0", cwd=tmp_path, extra_env=keys)
    assert status == 2
    assert "未启动：数据库结构落后于程序" in output and "请先运行 jxjy db migrate" in output
    status, output = await jxjy(url, "demo", "load", cwd=tmp_path)
    assert status == 2 and "请先运行 jxjy db migrate" in output

    status, output = await jxjy(url, "db", "status", cwd=tmp_path)
    assert status == 1
    assert f"待执行的迁移：{'、'.join(MIGRATIONS)}" in output and "没有迁移记录" in output

    status, output = await jxjy(url, "db", "migrate", cwd=tmp_path)
    assert (status, output.strip()) == (0, f"已执行迁移：{'、'.join(AFTER_FIRST)}。")
    status, output = await jxjy(url, "db", "status", cwd=tmp_path)
    assert status == 0 and "待执行的迁移：无" in output
    status, output = await jxjy(url, "db", "migrate", cwd=tmp_path)
    assert (status, output.strip()) == (0, "数据库结构已是最新，无需迁移。")
    status, output = await jxjy(url, "demo", "load", cwd=tmp_path)
    assert status == 0, output


async def explain(sql: str, params: list | None = None) -> str:
    """PostgreSQL's plan, with sequential scans priced out (a few test rows would otherwise make one cheapest)."""
    async with in_transaction() as connection:
        await connection.execute_script("SET LOCAL enable_seqscan = off")
        rows = await connection.execute_query_dict("EXPLAIN " + sql, params)
    return "\n".join(row["QUERY PLAN"] for row in rows)


async def explain_queryset(queryset) -> str:
    """The plan of an ORM query, its parameters passed as the service passes them (a subquery's are not inlined)."""
    queryset.sql()  # builds the query on the queryset's database
    return await explain(*queryset.query.get_parameterized_sql())


async def test_the_review_queue_at_province_scope_reads_only_pending_records(world, database_url):
    if connection_label(database_url) != "postgres":
        pytest.skip("query plans are PostgreSQL's")
    province = await Admin.get(openid="o_province")
    plan = await explain_queryset(pending_query(province).order_by("id").limit(20))
    assert "hour_record_pending" in plan, plan


async def test_the_hours_lookup_reads_hours_from_the_index_alone(world, database_url):
    if connection_label(database_url) != "postgres":
        pytest.skip("query plans are PostgreSQL's")
    plan = await explain(_HOURS_BY.format(where="p.openid = 'o_person'"))
    assert "Index Only Scan using hour_record_hours" in plan, plan


async def test_a_region_admins_queue_goes_from_the_region_to_its_units_people_and_their_pending_records(
    world, database_url
):
    if connection_label(database_url) != "postgres":
        pytest.skip("query plans are PostgreSQL's")
    region_admin = await Admin.get(openid="o_zhengzhou")
    plan = await explain_queryset(pending_query(region_admin).order_by("id").limit(20))
    for index in ("unit_region", "person_unit", "hour_record_pending_person"):
        assert f"using {index}" in plan, plan
