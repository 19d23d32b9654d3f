from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from storage.models import CorrectionKind, RecordStatus
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

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
        ops.CreateModel(
            name='RecordCorrection',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('record', fields.ForeignKeyField('models.HourRecord', source_field='record_id', db_constraint=True, to_field='id', related_name='corrections', on_delete=OnDelete.RESTRICT)),
                ('kind', fields.CharEnumField(description='VOID: void\nCORRECT: correct', enum_type=CorrectionKind, max_length=16)),
                ('reason', fields.CharField(max_length=200)),
                ('before', fields.JSONField(encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('after', fields.JSONField(encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('admin', fields.ForeignKeyField('models.Admin', source_field='admin_id', db_constraint=True, to_field='id', related_name='corrections', on_delete=OnDelete.RESTRICT)),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'record_correction', 'app': 'models', 'indexes': [Index(fields=['record_id', 'at'])], 'pk_attr': 'id', 'table_description': 'An admin voided or corrected an approved record, with the reason and the facts before and after. The'},
            bases=['Model'],
        ),
        ops.AlterField(
            model_name='HourRecord',
            name='status',
            field=fields.CharEnumField(default=RecordStatus.PENDING, description='PENDING: pending\nAPPROVED: approved\nREJECTED: rejected\nWITHDRAWN: withdrawn\nVOIDED: voided', enum_type=RecordStatus, max_length=16),
        ),
    ]
