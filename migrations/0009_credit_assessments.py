from tortoise import migrations
from tortoise.migrations import operations as ops
from consent.products import Product
from domain.assessment_models import AssessmentStatus, Outcome
from domain.assessment_terms import Tier
from orjson import loads
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from uuid import uuid4
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('scorelink', '0008_data_export')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Assessment',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('partner', fields.ForeignKeyField('scorelink.Partner', source_field='partner_id', db_constraint=True, to_field='id', related_name='assessments', on_delete=OnDelete.CASCADE)),
                ('person', fields.ForeignKeyField('scorelink.Person', source_field='person_id', db_constraint=True, to_field='id', related_name='assessments', on_delete=OnDelete.CASCADE)),
                ('subject_id', fields.CharField(max_length=64)),
                ('reference', fields.CharField(max_length=200)),
                ('input_hash', fields.CharField(max_length=64)),
                ('amount', fields.DecimalField(max_digits=24, decimal_places=2)),
                ('currency', fields.CharField(max_length=3)),
                ('amount_cny', fields.DecimalField(max_digits=24, decimal_places=2)),
                ('product', fields.CharEnumField(description='LOAN: LOAN\nCREDIT_LINE: CREDIT_LINE\nINSTALMENT_PURCHASE: INSTALMENT_PURCHASE\nRENTAL_DEPOSIT: RENTAL_DEPOSIT\nPREMIUM_INSTALMENT: PREMIUM_INSTALMENT', enum_type=Product, max_length=24)),
                ('term_months', fields.IntField()),
                ('tier', fields.CharEnumField(description='STANDARD: STANDARD\nEXTENDED: EXTENDED', enum_type=Tier, max_length=16)),
                ('status', fields.CharEnumField(description='RECEIVED: RECEIVED\nCOLLECTING_DATA: COLLECTING_DATA\nSCORING: SCORING\nIN_REVIEW: IN_REVIEW\nWAITING_FOR_PERSON: WAITING_FOR_PERSON\nCOMPLETED: COMPLETED\nEXPIRED: EXPIRED\nWITHDRAWN: WITHDRAWN', enum_type=AssessmentStatus, max_length=24)),
                ('grant_id', fields.UUIDField()),
                ('received_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('due_by', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('completed_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('sla_breached_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('outcome', fields.CharEnumField(null=True, description='APPROVE: APPROVE\nREFER: REFER\nDECLINE: DECLINE', enum_type=Outcome, max_length=16)),
                ('recommended_limit', fields.DecimalField(null=True, max_digits=24, decimal_places=2)),
                ('term_default_probability', fields.FloatField(null=True)),
                ('monthly_instalment_cny', fields.DecimalField(null=True, max_digits=24, decimal_places=2)),
                ('instalment_to_spend', fields.FloatField(null=True)),
                ('grade', fields.CharField(null=True, max_length=1)),
                ('model_version', fields.CharField(null=True, max_length=64)),
                ('reason_codes', fields.JSONField(default=list, encoder=JSON_DUMPS, decoder=loads)),
            ],
            options={'table': 'assessment', 'app': 'scorelink', 'unique_together': (('partner', 'reference'),), 'indexes': [Index(fields=['partner_id', 'received_at']), Index(fields=['person_id', 'received_at'])], 'pk_attr': 'id', 'table_description': "A partner's question: may this person take on this amount, for this product and term."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='AssessmentStep',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('assessment', fields.ForeignKeyField('scorelink.Assessment', source_field='assessment_id', db_constraint=True, to_field='id', related_name='steps', on_delete=OnDelete.CASCADE)),
                ('status', fields.CharEnumField(description='RECEIVED: RECEIVED\nCOLLECTING_DATA: COLLECTING_DATA\nSCORING: SCORING\nIN_REVIEW: IN_REVIEW\nWAITING_FOR_PERSON: WAITING_FOR_PERSON\nCOMPLETED: COMPLETED\nEXPIRED: EXPIRED\nWITHDRAWN: WITHDRAWN', enum_type=AssessmentStatus, max_length=24)),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('note', fields.CharField(null=True, max_length=200)),
            ],
            options={'table': 'assessment_step', 'app': 'scorelink', 'pk_attr': 'id', 'table_description': "One entry of an assessment's status timeline, with a note such as why it paused."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='RiskAppetite',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('partner', fields.ForeignKeyField('scorelink.Partner', source_field='partner_id', db_constraint=True, to_field='id', related_name='risk_appetites', on_delete=OnDelete.CASCADE)),
                ('product', fields.CharEnumField(description='LOAN: LOAN\nCREDIT_LINE: CREDIT_LINE\nINSTALMENT_PURCHASE: INSTALMENT_PURCHASE\nRENTAL_DEPOSIT: RENTAL_DEPOSIT\nPREMIUM_INSTALMENT: PREMIUM_INSTALMENT', enum_type=Product, max_length=24)),
                ('max_term_default_probability', fields.FloatField()),
                ('min_grade', fields.CharField(max_length=1)),
                ('max_instalment_to_spend', fields.FloatField()),
                ('updated_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'risk_appetite', 'app': 'scorelink', 'unique_together': (('partner', 'product'),), 'pk_attr': 'id', 'table_description': "A partner's limits for one product, against which an assessment's outcome is set."},
            bases=['Model'],
        ),
    ]
