from tortoise import migrations
from tortoise.migrations import operations as ops
from orjson import loads
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from uuid import uuid4
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('scorelink', '0001_initial')]

    initial = False

    operations = [
        ops.CreateModel(
            name='LoginCode',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('phone', fields.CharField(max_length=16)),
                ('code_hash', fields.CharField(max_length=64)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('attempts', fields.IntField(default=0)),
                ('consumed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'login_code', 'app': 'scorelink', 'indexes': [Index(fields=['phone', 'created_at'])], 'pk_attr': 'id', 'table_description': 'A one-time SMS code, stored as a keyed hash and usable once within its lifetime.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PhoneLoginState',
            fields=[
                ('phone', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=16)),
                ('last_sent_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('sends_day', fields.DateField(null=True)),
                ('sends_that_day', fields.IntField(default=0)),
                ('consecutive_failures', fields.IntField(default=0)),
                ('locked_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'phone_login_state', 'app': 'scorelink', 'pk_attr': 'phone', 'table_description': 'Per-number counters behind the send cooldown, the daily cap and the failure lock.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='RefreshToken',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('family_id', fields.UUIDField(db_index=True)),
                ('person', fields.ForeignKeyField('scorelink.Person', source_field='person_id', db_constraint=True, to_field='id', related_name='refresh_tokens', on_delete=OnDelete.CASCADE)),
                ('token_hash', fields.CharField(unique=True, max_length=64)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('used_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('revoked_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'refresh_token', 'app': 'scorelink', 'pk_attr': 'id', 'table_description': 'An opaque, single-use refresh token (stored hashed) in a family that logout revokes.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='RevokedToken',
            fields=[
                ('jti', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=64)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'revoked_token', 'app': 'scorelink', 'pk_attr': 'jti', 'table_description': 'A partner access token revoked before expiry (RFC 7009), kept until it would expire.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SigningKey',
            fields=[
                ('kid', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=64)),
                ('algorithm', fields.CharField(max_length=16)),
                ('private_key_encrypted', fields.TextField(unique=False)),
                ('public_jwk', fields.JSONField(encoder=JSON_DUMPS, decoder=loads)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('retires_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'signing_key', 'app': 'scorelink', 'pk_attr': 'kid', 'table_description': 'A token-signing key pair, the private half encrypted with the configured secret key.'},
            bases=['Model'],
        ),
    ]
