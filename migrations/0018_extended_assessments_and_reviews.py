from tortoise import migrations
from tortoise.migrations import operations as ops
from domain.assessment_models import Outcome
from orjson import loads
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from uuid import uuid4
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('scorelink', '0017_consent_grants_by_person')]

    initial = False

    operations = [
        ops.CreateModel(
            name='AssessmentReview',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('assessment', fields.OneToOneField('scorelink.Assessment', source_field='assessment_id', db_constraint=True, to_field='id', related_name='review', on_delete=OnDelete.CASCADE)),
                ('queued_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('due_by', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
                ('recommended_outcome', fields.CharEnumField(description='APPROVE: APPROVE\nREFER: REFER\nDECLINE: DECLINE', enum_type=Outcome, max_length=16)),
                ('recommended_limit', fields.DecimalField(null=True, max_digits=24, decimal_places=2)),
                ('claimed_by', fields.UUIDField(null=True)),
                ('claim_expires_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('decided_by', fields.UUIDField(null=True)),
                ('decided_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('decided_outcome', fields.CharEnumField(null=True, description='APPROVE: APPROVE\nREFER: REFER\nDECLINE: DECLINE', enum_type=Outcome, max_length=16)),
                ('decided_limit', fields.DecimalField(null=True, max_digits=24, decimal_places=2)),
                ('note', fields.TextField(null=True, unique=False)),
            ],
            options={'table': 'assessment_review', 'app': 'scorelink', 'pk_attr': 'id', 'table_description': 'An EXTENDED assessment with a credit analyst: the automatic recommendation, the claim'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ReviewLook',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('review', fields.ForeignKeyField('scorelink.AssessmentReview', source_field='review_id', db_constraint=True, to_field='id', related_name='looks', on_delete=OnDelete.CASCADE)),
                ('staff_id', fields.UUIDField()),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('scopes_returned', fields.JSONField(default=list, encoder=JSON_DUMPS, decoder=loads)),
            ],
            options={'table': 'review_look', 'app': 'scorelink', 'pk_attr': 'id', 'table_description': "An analyst looked at a review: who, when, and which scopes the person's grant let them see."},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Assessment',
            name='challenger_default_probability',
            field=fields.FloatField(null=True),
        ),
        ops.AddField(
            model_name='Assessment',
            name='champion_default_probability',
            field=fields.FloatField(null=True),
        ),
        ops.AddField(
            model_name='Assessment',
            name='paused_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Assessment',
            name='review_reasons',
            field=fields.JSONField(default=list, encoder=JSON_DUMPS, decoder=loads),
        ),
        ops.AddField(
            model_name='Assessment',
            name='waiting_for',
            field=fields.JSONField(default=list, encoder=JSON_DUMPS, decoder=loads),
        ),
    ]
