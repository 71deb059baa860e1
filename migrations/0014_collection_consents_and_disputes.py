from tortoise import migrations
from tortoise.migrations import operations as ops
from domain.rights_models import DisputeKind, DisputeStatus
from orjson import loads
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from uuid import uuid4
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('scorelink', '0013_staff_accounts')]

    initial = False

    operations = [
        ops.CreateModel(
            name='CollectionConsent',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('person', fields.ForeignKeyField('scorelink.Person', source_field='person_id', db_constraint=True, to_field='id', related_name='collection_consents', on_delete=OnDelete.CASCADE)),
                ('provider', fields.CharField(max_length=64)),
                ('notice_version', fields.CharField(max_length=32)),
                ('purpose', fields.CharField(max_length=300)),
                ('data_kinds', fields.JSONField(encoder=JSON_DUMPS, decoder=loads)),
                ('retention_days', fields.IntField()),
                ('given_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('withdrawn_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'collection_consent', 'app': 'scorelink', 'indexes': [Index(fields=['person_id', 'provider'])], 'pk_attr': 'id', 'table_description': "A person's consent to ScoreLink collecting one provider's data to score them."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Dispute',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('person', fields.ForeignKeyField('scorelink.Person', source_field='person_id', db_constraint=True, to_field='id', related_name='disputes', on_delete=OnDelete.CASCADE)),
                ('kind', fields.CharEnumField(description='LINKED_RECORD: LINKED_RECORD\nDATA_SOURCE: DATA_SOURCE\nREASON_CODE: REASON_CODE', enum_type=DisputeKind, max_length=16)),
                ('reference', fields.CharField(max_length=64)),
                ('report_id', fields.UUIDField(null=True)),
                ('explanation', fields.TextField(unique=False)),
                ('status', fields.CharEnumField(default=DisputeStatus.OPEN, description='OPEN: OPEN\nUPHELD: UPHELD\nREJECTED: REJECTED', enum_type=DisputeStatus, max_length=16)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('due_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('resolved_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('resolved_by', fields.CharField(null=True, max_length=64)),
                ('resolution', fields.TextField(null=True, unique=False)),
            ],
            options={'table': 'dispute', 'app': 'scorelink', 'indexes': [Index(fields=['person_id', 'status'])], 'pk_attr': 'id', 'table_description': "A person's challenge to one data point, and staff's resolution of it."},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='LinkedAccount',
            name='scoring_excluded_by',
            field=fields.UUIDField(null=True),
        ),
        ops.AddField(
            model_name='ScoreReport',
            name='disputed',
            field=fields.BooleanField(default=False),
        ),
    ]
