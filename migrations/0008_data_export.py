from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from uuid import uuid4
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('scorelink', '0007_person_phone_verified')]

    initial = False

    operations = [
        ops.CreateModel(
            name='DataExport',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('person', fields.ForeignKeyField('scorelink.Person', source_field='person_id', db_constraint=True, to_field='id', related_name='data_exports', on_delete=OnDelete.CASCADE)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('downloaded_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'data_export', 'app': 'scorelink', 'pk_attr': 'id', 'table_description': "A person's request for a copy of their data, downloadable once before it expires."},
            bases=['Model'],
        ),
    ]
