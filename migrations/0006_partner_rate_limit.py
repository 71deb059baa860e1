from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('scorelink', '0005_linked_account_tokens')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Partner',
            name='rate_limit_per_minute',
            field=fields.IntField(null=True),
        ),
    ]
