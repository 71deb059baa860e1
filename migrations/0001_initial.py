from tortoise import migrations
from tortoise.migrations import operations as ops
from consent.catalog import Access, PartnerType, Purpose
from consent.models import GrantStatus, RequestStatus
from domain.models import AccountKind, Grade, LinkStatus, PartnerStatus, PersonStatus, ReportStatus
from orjson import loads
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from uuid import uuid4
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name='AccessLogEntry',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('occurred_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('event', fields.CharField(max_length=32)),
                ('partner_id', fields.UUIDField(null=True)),
                ('person_id', fields.UUIDField(null=True)),
                ('subject_id', fields.CharField(null=True, max_length=64)),
                ('grant_id', fields.UUIDField(null=True)),
                ('purpose', fields.CharField(null=True, max_length=32)),
                ('scopes_asked', fields.JSONField(default=list, encoder=JSON_DUMPS, decoder=loads)),
                ('scopes_returned', fields.JSONField(default=list, encoder=JSON_DUMPS, decoder=loads)),
                ('scopes_denied', fields.JSONField(default=list, encoder=JSON_DUMPS, decoder=loads)),
                ('request_id', fields.CharField(null=True, max_length=64)),
                ('prev_hash', fields.CharField(max_length=64)),
                ('entry_hash', fields.CharField(unique=True, max_length=64)),
            ],
            options={'table': 'access_log_entry', 'app': 'scorelink', 'indexes': [Index(fields=['partner_id', 'occurred_at']), Index(fields=['person_id', 'occurred_at'])], 'pk_attr': 'id', 'table_description': 'One append-only, hash-chained record of a read, a denial or a consent change.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Partner',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('name', fields.CharField(max_length=200)),
                ('type', fields.CharEnumField(description='BANK: BANK\nP2P_LENDER: P2P_LENDER\nINSURER: INSURER\nRENTAL: RENTAL\nJOB_SITE: JOB_SITE\nDATING: DATING', enum_type=PartnerType, max_length=16)),
                ('status', fields.CharEnumField(default=PartnerStatus.ACTIVE, description='ACTIVE: ACTIVE\nSUSPENDED: SUSPENDED', enum_type=PartnerStatus, max_length=16)),
                ('client_id', fields.CharField(unique=True, max_length=64)),
                ('client_secret_hash', fields.CharField(max_length=255)),
                ('is_sandbox', fields.BooleanField(default=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('suspended_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'partner', 'app': 'scorelink', 'pk_attr': 'id', 'table_description': 'An organisation that reads reports as an OAuth2 client.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Person',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('phone', fields.CharField(unique=True, description='E.164, e.g. +8613800138000', max_length=16)),
                ('status', fields.CharEnumField(default=PersonStatus.ACTIVE, description='ACTIVE: ACTIVE\nLOCKED: LOCKED', enum_type=PersonStatus, max_length=16)),
                ('display_name', fields.CharField(null=True, max_length=100)),
                ('real_name_verified', fields.BooleanField(default=False)),
                ('is_sandbox', fields.BooleanField(default=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'person', 'app': 'scorelink', 'pk_attr': 'id', 'table_description': 'Someone who signed in with a phone number, never shown to partners by this id.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ConsentRequest',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('partner', fields.ForeignKeyField('scorelink.Partner', source_field='partner_id', db_constraint=True, to_field='id', related_name='consent_requests', on_delete=OnDelete.CASCADE)),
                ('phone', fields.CharField(max_length=16)),
                ('person', fields.ForeignKeyField('scorelink.Person', source_field='person_id', null=True, db_constraint=True, to_field='id', related_name='consent_requests', on_delete=OnDelete.CASCADE)),
                ('scopes', fields.JSONField(encoder=JSON_DUMPS, decoder=loads)),
                ('purpose', fields.CharEnumField(description='CREDIT_APPLICATION: CREDIT_APPLICATION\nACCOUNT_MANAGEMENT: ACCOUNT_MANAGEMENT\nINSURANCE_UNDERWRITING: INSURANCE_UNDERWRITING\nRENTAL_APPLICATION: RENTAL_APPLICATION\nEMPLOYMENT_SCREENING: EMPLOYMENT_SCREENING\nPROFILE_VERIFICATION: PROFILE_VERIFICATION', enum_type=Purpose, max_length=32)),
                ('duration_days', fields.IntField()),
                ('access', fields.CharEnumField(description='ONGOING: ONGOING\nONE_TIME: ONE_TIME', enum_type=Access, max_length=16)),
                ('reference', fields.CharField(null=True, max_length=200)),
                ('status', fields.CharEnumField(default=RequestStatus.PENDING, description='PENDING: PENDING\nAPPROVED: APPROVED\nDENIED: DENIED\nEXPIRED: EXPIRED', enum_type=RequestStatus, max_length=16)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('decided_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'consent_request', 'app': 'scorelink', 'indexes': [Index(fields=['phone', 'status']), Index(fields=['partner_id', 'created_at'])], 'pk_attr': 'id', 'table_description': "A partner's ask, waiting for a person (who may not have registered yet)."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ConsentGrant',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('partner', fields.ForeignKeyField('scorelink.Partner', source_field='partner_id', db_constraint=True, to_field='id', related_name='grants', on_delete=OnDelete.CASCADE)),
                ('person', fields.ForeignKeyField('scorelink.Person', source_field='person_id', db_constraint=True, to_field='id', related_name='grants', on_delete=OnDelete.CASCADE)),
                ('request', fields.ForeignKeyField('scorelink.ConsentRequest', source_field='request_id', null=True, db_constraint=True, to_field='id', related_name='grants', on_delete=OnDelete.SET_NULL)),
                ('scopes', fields.JSONField(encoder=JSON_DUMPS, decoder=loads)),
                ('purpose', fields.CharEnumField(description='CREDIT_APPLICATION: CREDIT_APPLICATION\nACCOUNT_MANAGEMENT: ACCOUNT_MANAGEMENT\nINSURANCE_UNDERWRITING: INSURANCE_UNDERWRITING\nRENTAL_APPLICATION: RENTAL_APPLICATION\nEMPLOYMENT_SCREENING: EMPLOYMENT_SCREENING\nPROFILE_VERIFICATION: PROFILE_VERIFICATION', enum_type=Purpose, max_length=32)),
                ('access', fields.CharEnumField(description='ONGOING: ONGOING\nONE_TIME: ONE_TIME', enum_type=Access, max_length=16)),
                ('status', fields.CharEnumField(default=GrantStatus.ACTIVE, description='ACTIVE: ACTIVE\nUSED_UP: USED_UP\nREVOKED: REVOKED', enum_type=GrantStatus, max_length=16)),
                ('granted_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('revoked_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('used_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'consent_grant', 'app': 'scorelink', 'indexes': [Index(fields=['partner_id', 'person_id', 'status'])], 'pk_attr': 'id', 'table_description': 'What one person lets one partner read, for one purpose, until expiry or revocation.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='LinkedAccount',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('person', fields.ForeignKeyField('scorelink.Person', source_field='person_id', db_constraint=True, to_field='id', related_name='linked_accounts', on_delete=OnDelete.CASCADE)),
                ('kind', fields.CharEnumField(description='SOCIAL: SOCIAL\nECOMMERCE: ECOMMERCE', enum_type=AccountKind, max_length=16)),
                ('provider', fields.CharField(max_length=64)),
                ('status', fields.CharEnumField(default=LinkStatus.PENDING, description='PENDING: PENDING\nLINKED: LINKED\nFAILED: FAILED', enum_type=LinkStatus, max_length=16)),
                ('failure_reason', fields.CharField(null=True, max_length=500)),
                ('linked_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('last_synced_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'linked_account', 'app': 'scorelink', 'unique_together': (('person', 'provider'),), 'pk_attr': 'id', 'table_description': 'A social-media or e-commerce account a person connected as a data source.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ScoreReport',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('person', fields.ForeignKeyField('scorelink.Person', source_field='person_id', db_constraint=True, to_field='id', related_name='score_reports', on_delete=OnDelete.CASCADE)),
                ('status', fields.CharEnumField(description='READY: READY\nINSUFFICIENT_DATA: INSUFFICIENT_DATA', enum_type=ReportStatus, max_length=24)),
                ('grade', fields.CharEnumField(null=True, description='A: A\nB: B\nC: C\nD: D', enum_type=Grade, max_length=1)),
                ('score', fields.IntField(null=True)),
                ('default_probability', fields.FloatField(null=True)),
                ('reason_codes', fields.JSONField(default=list, encoder=JSON_DUMPS, decoder=loads)),
                ('data_sources', fields.JSONField(default=list, encoder=JSON_DUMPS, decoder=loads)),
                ('model_version', fields.CharField(max_length=64)),
                ('input_hash', fields.CharField(max_length=64)),
                ('computed_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'score_report', 'app': 'scorelink', 'indexes': [Index(fields=['person_id', 'computed_at'])], 'pk_attr': 'id', 'table_description': 'One scoring of a person, kept so history and explanations can be replayed later.'},
            bases=['Model'],
        ),
    ]
