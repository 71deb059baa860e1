"""Tortoise models of credit assessments: the request, its timeline, reviews, partner appetites.

Part of the one Tortoise app `scorelink` (see `domain.models`); docstrings hold no semicolons
because Tortoise splits migration SQL on them.
"""

from __future__ import annotations

import enum
import uuid
from typing import Any

from tortoise import fields
from tortoise.models import Model

from consent.products import Product
from domain.assessment_terms import Tier


class AssessmentStatus(enum.StrEnum):
    RECEIVED = "RECEIVED"
    COLLECTING_DATA = "COLLECTING_DATA"
    SCORING = "SCORING"
    IN_REVIEW = "IN_REVIEW"
    WAITING_FOR_PERSON = "WAITING_FOR_PERSON"
    COMPLETED = "COMPLETED"
    EXPIRED = "EXPIRED"
    WITHDRAWN = "WITHDRAWN"


class Outcome(enum.StrEnum):
    APPROVE = "APPROVE"
    REFER = "REFER"
    DECLINE = "DECLINE"


class Assessment(Model):
    """A partner's question: may this person take on this amount, for this product and term."""

    id = fields.UUIDField(primary_key=True)
    partner: fields.ForeignKeyRelation[Any] = fields.ForeignKeyField(
        "scorelink.Partner", related_name="assessments", on_delete=fields.CASCADE
    )
    partner_id: uuid.UUID
    person: fields.ForeignKeyRelation[Any] = fields.ForeignKeyField(
        "scorelink.Person", related_name="assessments", on_delete=fields.CASCADE
    )
    person_id: uuid.UUID
    subject_id = fields.CharField(max_length=64)
    # The partner's idempotency key, and a hash of the input it first came with.
    reference = fields.CharField(max_length=200)
    input_hash = fields.CharField(max_length=64)
    amount = fields.DecimalField(max_digits=24, decimal_places=2)
    currency = fields.CharField(max_length=3)
    amount_cny = fields.DecimalField(max_digits=24, decimal_places=2)
    product = fields.CharEnumField(Product, max_length=24)
    term_months = fields.IntField()
    tier = fields.CharEnumField(Tier, max_length=16)
    status = fields.CharEnumField(AssessmentStatus, max_length=24)
    # The grant that allowed the request (a ONE_TIME grant is used up by it).
    grant_id = fields.UUIDField()
    received_at = fields.DatetimeField()
    due_by = fields.DatetimeField()
    completed_at = fields.DatetimeField(null=True)
    # Set once, by whoever first sees it past `due_by` (the deadline watch or a late completion).
    sla_breached_at = fields.DatetimeField(null=True)
    outcome = fields.CharEnumField(Outcome, max_length=16, null=True)
    recommended_limit = fields.DecimalField(max_digits=24, decimal_places=2, null=True)
    term_default_probability = fields.FloatField(null=True)
    monthly_instalment_cny = fields.DecimalField(max_digits=24, decimal_places=2, null=True)
    instalment_to_spend = fields.FloatField(null=True)
    grade = fields.CharField(max_length=1, null=True)
    model_version = fields.CharField(max_length=64, null=True)
    reason_codes: fields.JSONField[list[str]] = fields.JSONField(default=list)
    # EXTENDED only: both models' 12-month default probabilities (the serving model's is the
    # champion's), and why the assessment went to a credit analyst, if it did.
    champion_default_probability = fields.FloatField(null=True)
    challenger_default_probability = fields.FloatField(null=True)
    review_reasons: fields.JSONField[list[str]] = fields.JSONField(default=list)
    # While WAITING_FOR_PERSON: the kinds of account the person is asked to link, and since
    # when the deadline is paused (`due_by` moves on by the wait when the assessment resumes).
    waiting_for: fields.JSONField[list[str]] = fields.JSONField(default=list)
    paused_at = fields.DatetimeField(null=True)

    class Meta:
        table = "assessment"
        unique_together = (("partner", "reference"),)
        indexes = (("partner_id", "received_at"), ("person_id", "received_at"))


class AssessmentStep(Model):
    """One entry of an assessment's status timeline, with a note such as why it paused."""

    id = fields.BigIntField(primary_key=True)
    assessment: fields.ForeignKeyRelation[Assessment] = fields.ForeignKeyField(
        "scorelink.Assessment", related_name="steps", on_delete=fields.CASCADE
    )
    assessment_id: uuid.UUID
    status = fields.CharEnumField(AssessmentStatus, max_length=24)
    at = fields.DatetimeField()
    note = fields.CharField(max_length=200, null=True)

    class Meta:
        table = "assessment_step"


class AssessmentReview(Model):
    """An EXTENDED assessment with a credit analyst: the automatic recommendation, the claim
    (one analyst, lapsing after 20 minutes) and the analyst's decision with its note.

    Staff ids are plain columns: a review outlives the staff account that decided it.
    """

    id = fields.UUIDField(primary_key=True)
    assessment: fields.OneToOneRelation[Assessment] = fields.OneToOneField(
        "scorelink.Assessment", related_name="review", on_delete=fields.CASCADE
    )
    assessment_id: uuid.UUID
    queued_at = fields.DatetimeField()
    # Copied from the assessment (it cannot move while IN_REVIEW): the queue's order.
    due_by = fields.DatetimeField(db_index=True)
    recommended_outcome = fields.CharEnumField(Outcome, max_length=16)
    recommended_limit = fields.DecimalField(max_digits=24, decimal_places=2, null=True)
    claimed_by = fields.UUIDField(null=True)
    claim_expires_at = fields.DatetimeField(null=True)
    decided_by = fields.UUIDField(null=True)
    decided_at = fields.DatetimeField(null=True)
    decided_outcome = fields.CharEnumField(Outcome, max_length=16, null=True)
    decided_limit = fields.DecimalField(max_digits=24, decimal_places=2, null=True)
    note = fields.TextField(null=True)

    class Meta:
        table = "assessment_review"


class ReviewLook(Model):
    """An analyst looked at a review: who, when, and which scopes the person's grant let them see.

    The person sees the same look in their access log (ANALYST_READ, for the asking partner).
    """

    id = fields.BigIntField(primary_key=True)
    review: fields.ForeignKeyRelation[AssessmentReview] = fields.ForeignKeyField(
        "scorelink.AssessmentReview", related_name="looks", on_delete=fields.CASCADE
    )
    review_id: uuid.UUID
    staff_id = fields.UUIDField()
    at = fields.DatetimeField()
    scopes_returned: fields.JSONField[list[str]] = fields.JSONField(default=list)

    class Meta:
        table = "review_look"


class RiskAppetite(Model):
    """A partner's limits for one product, against which an assessment's outcome is set."""

    id = fields.UUIDField(primary_key=True)
    partner: fields.ForeignKeyRelation[Any] = fields.ForeignKeyField(
        "scorelink.Partner", related_name="risk_appetites", on_delete=fields.CASCADE
    )
    partner_id: uuid.UUID
    product = fields.CharEnumField(Product, max_length=24)
    max_term_default_probability = fields.FloatField()
    min_grade = fields.CharField(max_length=1)
    max_instalment_to_spend = fields.FloatField()
    updated_at = fields.DatetimeField()

    class Meta:
        table = "risk_appetite"
        unique_together = (("partner", "product"),)
