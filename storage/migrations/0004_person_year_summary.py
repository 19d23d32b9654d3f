from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0003_round_two')]

    initial = False

    operations = [
        ops.CreateModel(
            name='PersonYear',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('person', fields.ForeignKeyField('models.Person', source_field='person_id', db_constraint=True, to_field='id', related_name='years', on_delete=OnDelete.RESTRICT)),
                ('year', fields.IntField()),
                ('public', fields.DecimalField(max_digits=8, decimal_places=1)),
                ('professional', fields.DecimalField(max_digits=8, decimal_places=1)),
                ('from_paper', fields.DecimalField(max_digits=8, decimal_places=1)),
            ],
            options={'table': 'person_year', 'app': 'models', 'unique_together': (('person', 'year'),), 'indexes': [Index(fields=['year', 'person_id', 'public', 'professional'], name='person_year_year')], 'pk_attr': 'id', 'table_description': "A person's approved hours of one year, summed: what the statistics read instead of every record. Kept in"},
            bases=['Model'],
        ),
        # A database with records already: its summaries, as storage.summary_store.rebuild_person_years makes them.
        ops.RunSQL(
            "INSERT INTO person_year (person_id, year, public, professional, from_paper) "
            "SELECT person_id, year, "
            "SUM(CASE WHEN category = 'public' THEN hours ELSE 0 END), "
            "SUM(CASE WHEN category = 'professional' THEN hours ELSE 0 END), "
            "SUM(CASE WHEN source = 'paper' THEN hours ELSE 0 END) "
            "FROM hour_record WHERE status = 'approved' GROUP BY person_id, year",
            reverse_sql="DELETE FROM person_year",
        ),
    ]
