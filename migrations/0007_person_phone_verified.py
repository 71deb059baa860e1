from tortoise import migrations
from tortoise.migrations import operations as ops
from domain.models import PersonStatus
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('scorelink', '0006_partner_rate_limit')]

    initial = False

    operations = [
        ops.AlterField(
            model_name='Person',
            name='status',
            field=fields.CharEnumField(default=PersonStatus.ACTIVE, description='ACTIVE: ACTIVE', enum_type=PersonStatus, max_length=16),
        ),
        ops.AddField(
            model_name='Person',
            name='phone_verified_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        # Before this column, a person row was created only by signing in with a code.
        ops.RunSQL("UPDATE person SET phone_verified_at = created_at WHERE is_sandbox = false"),
        ops.RemoveField(model_name='Person', name='real_name_verified'),
    ]
