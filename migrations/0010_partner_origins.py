from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('scorelink', '0009_credit_assessments')]

    initial = False

    operations = [
        ops.CreateModel(
            name='PartnerOrigin',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('partner', fields.ForeignKeyField('scorelink.Partner', source_field='partner_id', db_constraint=True, to_field='id', related_name='origins', on_delete=OnDelete.CASCADE)),
                ('origin', fields.CharField(max_length=255)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'partner_origin', 'app': 'scorelink', 'unique_together': (('partner', 'origin'),), 'pk_attr': 'id', 'table_description': 'A browser origin a partner registered: its frontend may call /graphql from there (CORS).'},
            bases=['Model'],
        ),
    ]
