from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from uuid import uuid4
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('scorelink', '0003_consent_and_profiles')]

    initial = False

    operations = [
        ops.CreateModel(
            name='LinkAttempt',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('linked_account', fields.ForeignKeyField('scorelink.LinkedAccount', source_field='linked_account_id', db_constraint=True, to_field='id', related_name='attempts', on_delete=OnDelete.CASCADE)),
                ('state_hash', fields.CharField(unique=True, max_length=64)),
                ('code_verifier_encrypted', fields.TextField(unique=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('used_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'link_attempt', 'app': 'scorelink', 'pk_attr': 'id', 'table_description': 'One authorisation round trip to a provider: its state (hashed) and PKCE verifier, once.'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='LinkedAccount',
            name='tokens_encrypted',
            field=fields.TextField(null=True, unique=False),
        ),
    ]
