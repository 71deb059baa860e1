"""Tortoise models of the event outbox and of webhook endpoints, deliveries and attempts.

Events are rows written in the transaction of the change that causes them (the outbox), so a
rolled-back change leaves no event and a committed one cannot lose it. Model docstrings become
table comments, and Tortoise splits migration SQL on semicolons, so they hold none.
"""

from __future__ import annotations

import enum
import uuid
from typing import Any

from tortoise import fields
from tortoise.models import Model


class EventStream(Model):
    """The last sequence number on one stream: one partner and subject, or one person."""

    key = fields.CharField(max_length=120, primary_key=True)
    last_sequence = fields.BigIntField()

    class Meta:
        table = "event_stream"


class OutboxEvent(Model):
    """One thin event for one recipient: ids and a type, never personal data."""

    id = fields.BigIntField(primary_key=True)
    # The public id: the `webhook-id` of every delivery, the receiver's de-duplication key.
    event_id = fields.CharField(max_length=40, unique=True)
    type = fields.CharField(max_length=64)
    occurred_at = fields.DatetimeField()
    # Exactly one recipient: a partner (with the person's pairwise subject id) or a person.
    partner_id = fields.UUIDField(null=True)
    subject_id = fields.CharField(max_length=64, null=True)
    person_id = fields.UUIDField(null=True)
    object_id = fields.CharField(max_length=64)
    stream = fields.CharField(max_length=120)
    sequence = fields.BigIntField()
    # Set for events that may happen once per object (an expiry), so two sweeps cannot both emit.
    once_key = fields.CharField(max_length=120, null=True, unique=True)

    class Meta:
        table = "outbox_event"
        unique_together = (("stream", "sequence"),)
        indexes = (("partner_id", "id"), ("person_id", "id"))


class EndpointStatus(enum.StrEnum):
    ACTIVE = "ACTIVE"
    DISABLED = "DISABLED"


class WebhookEndpoint(Model):
    """A partner's URL that receives signed deliveries of the event types it chose."""

    id = fields.UUIDField(primary_key=True)
    partner: fields.ForeignKeyRelation[Any] = fields.ForeignKeyField(
        "scorelink.Partner", related_name="webhook_endpoints", on_delete=fields.CASCADE
    )
    partner_id: uuid.UUID
    url = fields.CharField(max_length=2048)
    event_types: fields.JSONField[list[str]] = fields.JSONField()
    # Signing secrets, encrypted at rest (domain.encryption), never returned after creation.
    secret_ciphertext = fields.TextField()
    previous_secret_ciphertext = fields.TextField(null=True)
    previous_secret_expires_at = fields.DatetimeField(null=True)
    status = fields.CharEnumField(EndpointStatus, max_length=16, default=EndpointStatus.ACTIVE)
    disabled_at = fields.DatetimeField(null=True)
    # Why the endpoint stopped: the partner's own action, a 410, or five days of failures.
    disabled_reason = fields.CharField(max_length=200, null=True)
    # The first failure since the last success; five days of it disables the endpoint.
    failing_since = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "webhook_endpoint"
        indexes = (("partner_id", "status"),)


class DeliveryStatus(enum.StrEnum):
    PENDING = "PENDING"
    DELIVERED = "DELIVERED"
    FAILED = "FAILED"


class WebhookDelivery(Model):
    """One event on its way to one endpoint, with its retry state."""

    id = fields.UUIDField(primary_key=True)
    endpoint: fields.ForeignKeyRelation[WebhookEndpoint] = fields.ForeignKeyField(
        "scorelink.WebhookEndpoint", related_name="deliveries", on_delete=fields.CASCADE
    )
    endpoint_id: uuid.UUID
    event: fields.ForeignKeyRelation[OutboxEvent] = fields.ForeignKeyField(
        "scorelink.OutboxEvent", related_name="deliveries", on_delete=fields.CASCADE
    )
    event_id: int
    # Copied from the event so the worker can keep each stream in order without a join.
    stream = fields.CharField(max_length=120)
    sequence = fields.BigIntField()
    status = fields.CharEnumField(DeliveryStatus, max_length=16, default=DeliveryStatus.PENDING)
    attempts = fields.IntField(default=0)
    next_attempt_at = fields.DatetimeField()
    # A claimed delivery is leased to one worker until then; a killed worker's lease runs out.
    leased_until = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField()
    finished_at = fields.DatetimeField(null=True)

    class Meta:
        table = "webhook_delivery"
        indexes = (
            ("status", "next_attempt_at"),
            ("endpoint_id", "stream", "status", "sequence"),
            ("endpoint_id", "created_at"),
        )


class AttemptOutcome(enum.StrEnum):
    IN_FLIGHT = "IN_FLIGHT"
    SUCCEEDED = "SUCCEEDED"
    HTTP_ERROR = "HTTP_ERROR"
    TIMEOUT = "TIMEOUT"
    CONNECTION_ERROR = "CONNECTION_ERROR"
    REFUSED_ADDRESS = "REFUSED_ADDRESS"
    REDIRECT_REFUSED = "REDIRECT_REFUSED"
    # The worker stopped (killed, crashed) before it learned the answer.
    ABANDONED = "ABANDONED"


class WebhookAttempt(Model):
    """One HTTP call of a delivery: the delivery log a partner reads."""

    id = fields.BigIntField(primary_key=True)
    delivery: fields.ForeignKeyRelation[WebhookDelivery] = fields.ForeignKeyField(
        "scorelink.WebhookDelivery", related_name="attempt_log", on_delete=fields.CASCADE
    )
    delivery_id: uuid.UUID
    started_at = fields.DatetimeField()
    finished_at = fields.DatetimeField(null=True)
    outcome = fields.CharEnumField(AttemptOutcome, max_length=24)
    status_code = fields.IntField(null=True)
    # The receiver's answer, cut at 64 KiB; a short reason when there was no answer.
    response_body = fields.TextField(null=True)
    error = fields.CharField(max_length=300, null=True)

    class Meta:
        table = "webhook_attempt"
        indexes = (("delivery_id", "id"),)
