"""Tortoise models behind people's rights: consents to collect, and disputes of data points.

Part of the one Tortoise app `scorelink` (see `domain.models`). Both hang off the person with
ON DELETE CASCADE, and erasure deletes them explicitly too. Docstrings hold no semicolons
(Tortoise splits migration SQL on them).
"""

from __future__ import annotations

import enum
import uuid
from typing import Any

from tortoise import fields
from tortoise.models import Model


class CollectionConsent(Model):
    """A person's consent to ScoreLink collecting one provider's data to score them."""

    id = fields.UUIDField(primary_key=True)
    person: fields.ForeignKeyRelation[Any] = fields.ForeignKeyField(
        "scorelink.Person", related_name="collection_consents", on_delete=fields.CASCADE
    )
    person_id: uuid.UUID
    provider = fields.CharField(max_length=64)
    # The notice as the person saw it when agreeing: later wording changes never rewrite it.
    notice_version = fields.CharField(max_length=32)
    purpose = fields.CharField(max_length=300)
    data_kinds: fields.JSONField[list[str]] = fields.JSONField()
    retention_days = fields.IntField()
    given_at = fields.DatetimeField()
    withdrawn_at = fields.DatetimeField(null=True)

    class Meta:
        table = "collection_consent"
        indexes = (("person_id", "provider"),)


class DisputeKind(enum.StrEnum):
    LINKED_RECORD = "LINKED_RECORD"
    DATA_SOURCE = "DATA_SOURCE"
    REASON_CODE = "REASON_CODE"


class DisputeStatus(enum.StrEnum):
    OPEN = "OPEN"
    UPHELD = "UPHELD"
    REJECTED = "REJECTED"


class Dispute(Model):
    """A person's challenge to one data point, and staff's resolution of it."""

    id = fields.UUIDField(primary_key=True)
    person: fields.ForeignKeyRelation[Any] = fields.ForeignKeyField(
        "scorelink.Person", related_name="disputes", on_delete=fields.CASCADE
    )
    person_id: uuid.UUID
    kind = fields.CharEnumField(DisputeKind, max_length=16)
    # What is disputed: a linked account's id (LINKED_RECORD), an account kind (DATA_SOURCE)
    # or a reason code of the report named by report_id (REASON_CODE).
    reference = fields.CharField(max_length=64)
    # The report current when the dispute was raised: partners reading it see `disputed`.
    report_id = fields.UUIDField(null=True)
    explanation = fields.TextField()
    status = fields.CharEnumField(DisputeStatus, max_length=16, default=DisputeStatus.OPEN)
    created_at = fields.DatetimeField()
    due_at = fields.DatetimeField()
    resolved_at = fields.DatetimeField(null=True)
    # The staff member's id (no foreign key: staff come and go, the record stays).
    resolved_by = fields.CharField(max_length=64, null=True)
    resolution = fields.TextField(null=True)

    class Meta:
        table = "dispute"
        indexes = (("person_id", "status"),)
