from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0002_indexes')]

    initial = False

    operations = [
        ops.CreateModel(
            name='HoursReminder',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('person', fields.ForeignKeyField('models.Person', source_field='person_id', db_constraint=True, to_field='id', related_name='reminders', on_delete=OnDelete.RESTRICT)),
                ('year', fields.IntField()),
                ('week', fields.IntField()),
                ('sent_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('sent_by', fields.ForeignKeyField('models.Admin', source_field='sent_by_id', db_constraint=True, to_field='id', related_name='reminders_sent', on_delete=OnDelete.RESTRICT)),
            ],
            options={'table': 'hours_reminder', 'app': 'models', 'unique_together': (('person', 'week'),), 'pk_attr': 'id', 'table_description': "A reminder sent to a person who had not yet met a year's requirement; one a week at most."},
            bases=['Model'],
        ),
    ]
