from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('scorelink', '0015_access_log_monthly_partitions')]

    initial = False

    operations = [
        ops.CreateModel(
            name='RescoreRun',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('model_version', fields.CharField(unique=True, max_length=64)),
                ('chunk_size', fields.IntField()),
                ('people', fields.IntField()),
                ('started_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('finished_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'rescore_run', 'app': 'scorelink', 'pk_attr': 'id', 'table_description': 'Re-scoring everyone with a report by one promoted model version, in chunks of people.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='RescoreChunk',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('run', fields.ForeignKeyField('scorelink.RescoreRun', source_field='run_id', db_constraint=True, to_field='id', related_name='chunks', on_delete=OnDelete.CASCADE)),
                ('first_person_id', fields.UUIDField()),
                ('next_person_id', fields.UUIDField(null=True)),
                ('people', fields.IntField()),
                ('leased_by', fields.CharField(null=True, max_length=64)),
                ('leased_until', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('done_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('rescored', fields.IntField(default=0)),
                ('kept', fields.IntField(default=0)),
            ],
            options={'table': 'rescore_chunk', 'app': 'scorelink', 'indexes': [Index(fields=['run_id', 'done_at'])], 'pk_attr': 'id', 'table_description': "One chunk of a run's people, leased by one process at a time."},
            bases=['Model'],
        ),
    ]
