from tortoise import migrations
from tortoise.migrations import operations as ops
from domain.staff_models import StaffRole
from tortoise.fields.base import OnDelete
from uuid import uuid4
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('scorelink', '0012_events_and_webhooks')]

    initial = False

    operations = [
        ops.CreateModel(
            name='StaffMember',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('phone', fields.CharField(unique=True, description='E.164, the number sign-in codes go to', max_length=16)),
                ('name', fields.CharField(max_length=100)),
                ('role', fields.CharEnumField(description='REVIEWER: REVIEWER', enum_type=StaffRole, max_length=16)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('disabled_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'staff_member', 'app': 'scorelink', 'pk_attr': 'id', 'table_description': 'A ScoreLink staff account (credit analyst).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='StaffSession',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('staff', fields.ForeignKeyField('scorelink.StaffMember', source_field='staff_id', db_constraint=True, to_field='id', related_name='sessions', on_delete=OnDelete.CASCADE)),
                ('started_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('ended_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'staff_session', 'app': 'scorelink', 'pk_attr': 'id', 'table_description': 'A staff sign-in: ending it refuses its token on the next request.'},
            bases=['Model'],
        ),
    ]
