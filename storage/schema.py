"""The database's structure: the migrations in storage/migrations, applying them, and adopting a database that
an earlier release made with `generate_schemas` (tables present, no migration history).

Nothing here runs by itself: `jxjy db migrate` applies, `jxjy db status` reports, and opening the database
(storage/db.py) refuses a database behind the code.
"""

import sqlite3
from dataclasses import dataclass

from tortoise.apps import Apps
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.migrations.autodetector import MigrationAutodetector
from tortoise.migrations.executor import MigrationExecutor, MigrationTarget
from tortoise.migrations.graph import MigrationKey
from tortoise.migrations.schema_editor import BaseSchemaEditor, SqliteSchemaEditor
from tortoise.migrations.writer import MigrationWriter, format_migration_name

APP = "models"
FIRST = "0001_initial"  # today's schema when migrations began: what `generate_schemas` made until then
MIGRATE_COMMAND = "jxjy db migrate"


class SchemaBehind(Exception):
    """The database lacks migrations the code needs."""

    def __init__(self, pending: list[str]) -> None:
        self.pending = pending
        super().__init__(f"数据库结构落后于程序（待执行迁移：{'、'.join(pending)}）：请先运行 {MIGRATE_COMMAND}")


class SchemaUnknown(Exception):
    """Tables are present but without migration history, and they are not the schema of the first migration."""

    def __init__(self, differences: list[str]) -> None:
        self.differences = differences
        super().__init__(
            "数据库已有表，但没有迁移记录，且表结构与第一个迁移不一致，未做任何改动：" + "；".join(differences)
        )


@dataclass(frozen=True)
class Status:
    applied: list[str]
    pending: list[str]
    adoptable: bool  # tables made by generate_schemas, no history: `migrate` marks the first migration as applied


class _SqliteEditor(SqliteSchemaEditor):
    """Tortoise's SQLite editor splits a script at every `;`, also inside the /* comments */ it writes from the
    models' docstrings; split at the ends of whole statements instead. And it rebuilds a table to alter any
    column, dropping the table's partial indexes on the way: a change SQLite cannot store (a column's comment,
    such as the member list of an enum that gained one) is skipped instead."""

    async def alter_field(self, old_model, new_model, field_name: str) -> None:
        old, new = (model._meta.fields_map[field_name].describe(True) for model in (old_model, new_model))
        if _column_facts(old) == _column_facts(new):
            return
        await super().alter_field(old_model, new_model, field_name)

    async def _run_sql(self, sql: str) -> None:
        if self.collect_sql or not self.atomic_migration:
            await super()._run_sql(sql)
            return
        statement = ""
        for piece in sql.split(";"):
            statement += piece + ";"
            if sqlite3.complete_statement(statement):
                if statement.strip(" \n;"):
                    await self.client.execute_query(statement.strip())
                statement = ""
        if statement.strip(" \n;"):
            await self.client.execute_query(statement.strip())


def _column_facts(described: dict) -> dict:
    """What of a field SQLite keeps: everything but its description and docstring (PostgreSQL's comment)."""
    return {key: value for key, value in described.items() if key not in ("description", "docstring")}


class _Executor(MigrationExecutor):
    def _schema_editor(self, atomic: bool = True, collect_sql: bool = False) -> BaseSchemaEditor:
        if self.connection.capabilities.dialect == "sqlite":
            return _SqliteEditor(self.connection, atomic=atomic, collect_sql=collect_sql)
        return super()._schema_editor(atomic=atomic, collect_sql=collect_sql)


def _executor(connection: BaseDBAsyncClient, apps_config: dict) -> _Executor:
    return _Executor(connection, {APP: apps_config[APP]})


async def status(connection: BaseDBAsyncClient, apps_config: dict) -> Status:
    executor = _executor(connection, apps_config)
    plan = await executor.plan()
    pending = [step.migration.name for step in plan if not step.backward]
    applied = [key.name for key in await executor.recorder.applied_migrations() if key.app_label == APP]
    adoptable = not applied and await _has_tables(connection)
    return Status(applied=applied, pending=pending, adoptable=adoptable)


async def check_current(connection: BaseDBAsyncClient, apps_config: dict) -> None:
    """Raises SchemaBehind unless every migration has been applied."""
    pending = (await status(connection, apps_config)).pending
    if pending:
        raise SchemaBehind(pending)


async def migrate(connection: BaseDBAsyncClient, apps_config: dict) -> list[str]:
    """Apply what is pending (adopting a database made by `generate_schemas` first); returns what was applied."""
    before = await status(connection, apps_config)
    executor = _executor(connection, apps_config)
    if before.adoptable:
        differences = await _differences_from_first(executor)
        if differences:
            raise SchemaUnknown(differences)
        await executor.migrate([MigrationTarget(APP, FIRST)], fake=True)
    await _executor(connection, apps_config).migrate()
    return [name for name in before.pending if not (before.adoptable and name == FIRST)]


async def unrecorded_changes(apps: Apps, apps_config: dict, name: str = "") -> list[MigrationWriter]:
    """The migrations the models need beyond those in storage/migrations (none, when they agree); `name` names
    them (default: Tortoise's automatic name)."""
    writers = await MigrationAutodetector(apps, {APP: apps_config[APP]}).changes()
    for writer in writers:
        if name:
            writer.name = format_migration_name(int(writer.name.split("_", 1)[0]), name)
    return writers


async def _has_tables(connection: BaseDBAsyncClient) -> bool:
    return bool(await _columns(connection, "person"))


async def _differences_from_first(executor: _Executor) -> list[str]:
    """Tables and columns of the first migration that the database lacks or has in excess."""
    await executor.loader.build_graph()
    state = await executor._project_state({MigrationKey(APP, FIRST)})
    differences = []
    for model_state in state.models.values():
        model = state.apps.get_model(f"{APP}.{model_state.name}")
        table = model._meta.db_table
        expected = set(model._meta.fields_db_projection.values())
        found = await _columns(executor.connection, table)
        if not found:
            differences.append(f"缺少表 {table}")
        elif found != expected:
            missing, extra = sorted(expected - found), sorted(found - expected)
            differences.append(
                f"表 {table} "
                + " ".join(([f"缺少列 {missing}"] if missing else []) + ([f"多出列 {extra}"] if extra else []))
            )
    return differences


async def _columns(connection: BaseDBAsyncClient, table: str) -> set[str]:
    if connection.capabilities.dialect == "sqlite":
        rows = await connection.execute_query_dict("SELECT name FROM pragma_table_info(?)", [table])
        return {row["name"] for row in rows}
    rows = await connection.execute_query_dict(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1",
        [table],
    )
    return {row["column_name"] for row in rows}
