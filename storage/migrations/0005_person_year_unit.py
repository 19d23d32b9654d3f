from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

# person_year is derived from hour_record: made again with the person's unit and the `late` flag, and filled as
# storage.summary_store.fill_sql fills it (a copy, so this migration stays what it was when the code moves on).
_YEAR_END = {
    "postgres": "make_timestamptz(r.year + 1, 1, 1, 0, 0, 0, 'Asia/Shanghai')",
    "sqlite": "printf('%04d-12-31 16:00:00', r.year)",
}


async def fill(apps, schema_editor) -> None:
    client = schema_editor.client
    await client.execute_script(
        "INSERT INTO person_year (person_id, year, public, professional, from_paper, unit_id, late)"
        " SELECT r.person_id, r.year,"
        " SUM(CASE WHEN r.category = 'public' THEN r.hours ELSE 0 END),"
        " SUM(CASE WHEN r.category = 'professional' THEN r.hours ELSE 0 END),"
        " SUM(CASE WHEN r.source = 'paper' THEN r.hours ELSE 0 END),"
        f" p.unit_id, p.registered_at >= {_YEAR_END[client.capabilities.dialect]}"
        " FROM hour_record r JOIN person p ON p.id = r.person_id WHERE r.status = 'approved'"
        " GROUP BY r.person_id, r.year, p.unit_id, p.registered_at"
    )
    if client.capabilities.dialect == "postgres":  # the planner's figures for a table made anew
        await client.execute_script("ANALYZE person_year")


async def empty(apps, schema_editor) -> None:
    await schema_editor.client.execute_script("DELETE FROM person_year")


class Migration(migrations.Migration):
    dependencies = [('models', '0004_person_year_summary')]

    initial = False

    operations = [
        ops.RemoveIndex(
            model_name='Person',
            name='person_unit',
            fields=None,
        ),
        ops.AddIndex(
            model_name='Person',
            index=Index(fields=['unit_id', 'registered_at'], name='person_unit'),
        ),
        ops.DeleteModel(name='PersonYear'),
        ops.CreateModel(
            name='PersonYear',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('person', fields.ForeignKeyField('models.Person', source_field='person_id', db_constraint=True, to_field='id', related_name='years', on_delete=OnDelete.RESTRICT)),
                ('year', fields.IntField()),
                ('public', fields.DecimalField(max_digits=8, decimal_places=1)),
                ('professional', fields.DecimalField(max_digits=8, decimal_places=1)),
                ('from_paper', fields.DecimalField(max_digits=8, decimal_places=1)),
                ('unit_id', fields.IntField()),
                ('late', fields.BooleanField(default=False)),
            ],
            options={'table': 'person_year', 'app': 'models', 'unique_together': (('person', 'year'),), 'indexes': [Index(fields=['year', 'unit_id', 'public', 'professional', 'late'], name='person_year_year')], 'pk_attr': 'id', 'table_description': "A person's approved hours of one year, summed: what the statistics read instead of every record. Kept in"},
            bases=['Model'],
        ),
        ops.RunPython(fill, reverse_code=empty),
    ]
