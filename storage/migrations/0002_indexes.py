from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.indexes import Index, PartialIndex

class Migration(migrations.Migration):
    dependencies = [('models', '0001_initial')]

    initial = False

    operations = [
        ops.RemoveIndex(
            model_name='HourRecord',
            name=None,
            fields=['person_id', 'year'],
        ),
        ops.AddIndex(
            model_name='HourRecord',
            index=Index(fields=['person_id', 'year', 'category', 'status', 'source', 'hours'], name='hour_record_hours'),
        ),
        ops.AddIndex(
            model_name='HourRecord',
            index=PartialIndex(fields=['id'], name='hour_record_pending', condition={'status': 'pending'}),
        ),
        ops.AddIndex(
            model_name='HourRecord',
            index=PartialIndex(fields=['person_id'], name='hour_record_pending_person', condition={'status': 'pending'}),
        ),
        ops.AddIndex(
            model_name='Person',
            index=Index(fields=['unit_id'], name='person_unit'),
        ),
        ops.AddIndex(
            model_name='Unit',
            index=Index(fields=['region_id'], name='unit_region'),
        ),
    ]
