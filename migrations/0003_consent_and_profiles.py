from tortoise import migrations
from tortoise.migrations import operations as ops
from orjson import loads
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from uuid import uuid4
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('scorelink', '0002_identity')]

    initial = False

    operations = [
        ops.CreateModel(
            name='PartnerSubject',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('partner', fields.ForeignKeyField('scorelink.Partner', source_field='partner_id', db_constraint=True, to_field='id', related_name='subjects', on_delete=OnDelete.CASCADE)),
                ('person', fields.ForeignKeyField('scorelink.Person', source_field='person_id', db_constraint=True, to_field='id', related_name='partner_subjects', on_delete=OnDelete.CASCADE)),
                ('subject_id', fields.CharField(unique=True, max_length=64)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'partner_subject', 'app': 'scorelink', 'unique_together': (('partner', 'person'),), 'pk_attr': 'id', 'table_description': 'The pairwise id under which one person appears to one partner, and to no other.'},
            bases=['Model'],
        ),
        ops.AlterField(
            model_name='AccessLogEntry',
            name='prev_hash',
            field=fields.CharField(unique=True, max_length=64),
        ),
        ops.AddField(
            model_name='LinkedAccount',
            name='account_created',
            field=fields.DateField(null=True),
        ),
        ops.AddField(
            model_name='LinkedAccount',
            name='normalised_record',
            field=fields.JSONField(null=True, encoder=JSON_DUMPS, decoder=loads),
        ),
        ops.AddField(
            model_name='ScoreReport',
            name='is_current',
            field=fields.BooleanField(default=True),
        ),
        ops.AddIndex(
            model_name='ScoreReport',
            index=Index(fields=['person_id', 'is_current']),
        ),
    ]
