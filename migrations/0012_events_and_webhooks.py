from tortoise import migrations
from tortoise.migrations import operations as ops
from domain.event_models import AttemptOutcome, DeliveryStatus, EndpointStatus
from orjson import loads
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from uuid import uuid4
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('scorelink', '0011_access_log_transparency')]

    initial = False

    operations = [
        ops.CreateModel(
            name='EventStream',
            fields=[
                ('key', fields.CharField(primary_key=True, unique=True, db_index=True, max_length=120)),
                ('last_sequence', fields.BigIntField()),
            ],
            options={'table': 'event_stream', 'app': 'scorelink', 'pk_attr': 'key', 'table_description': 'The last sequence number on one stream: one partner and subject, or one person.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='OutboxEvent',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('event_id', fields.CharField(unique=True, max_length=40)),
                ('type', fields.CharField(max_length=64)),
                ('occurred_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('partner_id', fields.UUIDField(null=True)),
                ('subject_id', fields.CharField(null=True, max_length=64)),
                ('person_id', fields.UUIDField(null=True)),
                ('object_id', fields.CharField(max_length=64)),
                ('stream', fields.CharField(max_length=120)),
                ('sequence', fields.BigIntField()),
                ('once_key', fields.CharField(null=True, unique=True, max_length=120)),
            ],
            options={'table': 'outbox_event', 'app': 'scorelink', 'unique_together': (('stream', 'sequence'),), 'indexes': [Index(fields=['partner_id', 'id']), Index(fields=['person_id', 'id'])], 'pk_attr': 'id', 'table_description': 'One thin event for one recipient: ids and a type, never personal data.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='WebhookEndpoint',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('partner', fields.ForeignKeyField('scorelink.Partner', source_field='partner_id', db_constraint=True, to_field='id', related_name='webhook_endpoints', on_delete=OnDelete.CASCADE)),
                ('url', fields.CharField(max_length=2048)),
                ('event_types', fields.JSONField(encoder=JSON_DUMPS, decoder=loads)),
                ('secret_ciphertext', fields.TextField(unique=False)),
                ('previous_secret_ciphertext', fields.TextField(null=True, unique=False)),
                ('previous_secret_expires_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('status', fields.CharEnumField(default=EndpointStatus.ACTIVE, description='ACTIVE: ACTIVE\nDISABLED: DISABLED', enum_type=EndpointStatus, max_length=16)),
                ('disabled_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('disabled_reason', fields.CharField(null=True, max_length=200)),
                ('failing_since', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'webhook_endpoint', 'app': 'scorelink', 'indexes': [Index(fields=['partner_id', 'status'])], 'pk_attr': 'id', 'table_description': "A partner's URL that receives signed deliveries of the event types it chose."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='WebhookDelivery',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('endpoint', fields.ForeignKeyField('scorelink.WebhookEndpoint', source_field='endpoint_id', db_constraint=True, to_field='id', related_name='deliveries', on_delete=OnDelete.CASCADE)),
                ('event', fields.ForeignKeyField('scorelink.OutboxEvent', source_field='event_id', db_constraint=True, to_field='id', related_name='deliveries', on_delete=OnDelete.CASCADE)),
                ('stream', fields.CharField(max_length=120)),
                ('sequence', fields.BigIntField()),
                ('status', fields.CharEnumField(default=DeliveryStatus.PENDING, description='PENDING: PENDING\nDELIVERED: DELIVERED\nFAILED: FAILED', enum_type=DeliveryStatus, max_length=16)),
                ('attempts', fields.IntField(default=0)),
                ('next_attempt_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('leased_until', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('finished_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'webhook_delivery', 'app': 'scorelink', 'indexes': [Index(fields=['status', 'next_attempt_at']), Index(fields=['endpoint_id', 'stream', 'status', 'sequence']), Index(fields=['endpoint_id', 'created_at'])], 'pk_attr': 'id', 'table_description': 'One event on its way to one endpoint, with its retry state.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='WebhookAttempt',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('delivery', fields.ForeignKeyField('scorelink.WebhookDelivery', source_field='delivery_id', db_constraint=True, to_field='id', related_name='attempt_log', on_delete=OnDelete.CASCADE)),
                ('started_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('finished_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('outcome', fields.CharEnumField(description='IN_FLIGHT: IN_FLIGHT\nSUCCEEDED: SUCCEEDED\nHTTP_ERROR: HTTP_ERROR\nTIMEOUT: TIMEOUT\nCONNECTION_ERROR: CONNECTION_ERROR\nREFUSED_ADDRESS: REFUSED_ADDRESS\nREDIRECT_REFUSED: REDIRECT_REFUSED\nABANDONED: ABANDONED', enum_type=AttemptOutcome, max_length=24)),
                ('status_code', fields.IntField(null=True)),
                ('response_body', fields.TextField(null=True, unique=False)),
                ('error', fields.CharField(null=True, max_length=300)),
            ],
            options={'table': 'webhook_attempt', 'app': 'scorelink', 'indexes': [Index(fields=['delivery_id', 'id'])], 'pk_attr': 'id', 'table_description': 'One HTTP call of a delivery: the delivery log a partner reads.'},
            bases=['Model'],
        ),
    ]
