"""Tortoise models owned by consent: requests, grants, the access log and its checkpoints.

People and partners are referenced by name ("scorelink.Person"), never imported: consent sits
below the domain and must not depend on it.
"""

from __future__ import annotations

import enum
import uuid
from typing import Any

from tortoise import fields
from tortoise.models import Model

from consent.catalog import Access, Purpose


class RequestStatus(enum.StrEnum):
    PENDING = "PENDING"
    APPROVED = "APPROVED"
    DENIED = "DENIED"
    EXPIRED = "EXPIRED"


class GrantStatus(enum.StrEnum):
    """Stored state; expiry is derived from `expires_at` at read time, never cached."""

    ACTIVE = "ACTIVE"
    USED_UP = "USED_UP"
    REVOKED = "REVOKED"


class PartnerSubject(Model):
    """The pairwise id under which one person appears to one partner, and to no other."""

    id = fields.UUIDField(primary_key=True)
    partner: fields.ForeignKeyRelation[Any] = fields.ForeignKeyField(
        "scorelink.Partner", related_name="subjects", on_delete=fields.CASCADE
    )
    partner_id: uuid.UUID
    person: fields.ForeignKeyRelation[Any] = fields.ForeignKeyField(
        "scorelink.Person", related_name="partner_subjects", on_delete=fields.CASCADE
    )
    person_id: uuid.UUID
    subject_id = fields.CharField(max_length=64, unique=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "partner_subject"
        unique_together = (("partner", "person"),)


class ConsentRequest(Model):
    """A partner's ask, waiting for a person (who may not have registered yet)."""

    id = fields.UUIDField(primary_key=True)
    partner: fields.ForeignKeyRelation[Any] = fields.ForeignKeyField(
        "scorelink.Partner", related_name="consent_requests", on_delete=fields.CASCADE
    )
    partner_id: uuid.UUID
    # Matched by phone so a request can wait for a person who registers later.
    phone = fields.CharField(max_length=16)
    person: fields.ForeignKeyNullableRelation[Any] = fields.ForeignKeyField(
        "scorelink.Person", related_name="consent_requests", null=True, on_delete=fields.CASCADE
    )
    person_id: uuid.UUID | None
    scopes: fields.JSONField[list[str]] = fields.JSONField()
    purpose = fields.CharEnumField(Purpose, max_length=32)
    duration_days = fields.IntField()
    access = fields.CharEnumField(Access, max_length=16)
    reference = fields.CharField(max_length=200, null=True)
    status = fields.CharEnumField(RequestStatus, max_length=16, default=RequestStatus.PENDING)
    created_at = fields.DatetimeField(auto_now_add=True)
    expires_at = fields.DatetimeField()
    decided_at = fields.DatetimeField(null=True)

    class Meta:
        table = "consent_request"
        indexes = (("phone", "status"), ("partner_id", "created_at"))


class ConsentGrant(Model):
    """What one person lets one partner read, for one purpose, until expiry or revocation."""

    id = fields.UUIDField(primary_key=True)
    partner: fields.ForeignKeyRelation[Any] = fields.ForeignKeyField(
        "scorelink.Partner", related_name="grants", on_delete=fields.CASCADE
    )
    partner_id: uuid.UUID
    person: fields.ForeignKeyRelation[Any] = fields.ForeignKeyField(
        "scorelink.Person", related_name="grants", on_delete=fields.CASCADE
    )
    person_id: uuid.UUID
    request: fields.ForeignKeyNullableRelation[ConsentRequest] = fields.ForeignKeyField(
        "scorelink.ConsentRequest", related_name="grants", null=True, on_delete=fields.SET_NULL
    )
    request_id: uuid.UUID | None
    scopes: fields.JSONField[list[str]] = fields.JSONField()
    purpose = fields.CharEnumField(Purpose, max_length=32)
    access = fields.CharEnumField(Access, max_length=16)
    status = fields.CharEnumField(GrantStatus, max_length=16, default=GrantStatus.ACTIVE)
    granted_at = fields.DatetimeField(auto_now_add=True)
    expires_at = fields.DatetimeField()
    revoked_at = fields.DatetimeField(null=True)
    used_at = fields.DatetimeField(null=True)

    class Meta:
        table = "consent_grant"
        # By person: a person's consents, and the partners a new report is announced to.
        indexes = (("partner_id", "person_id", "status"), ("person_id", "status"))


class AccessLogEntry(Model):
    """One append-only record of a read, a denial or a consent change: a leaf of the log's tree.

    Ids are plain columns rather than foreign keys: deleting a person or partner must never
    cascade into the log, or its tree would no longer match its signed checkpoints and the
    history would vanish. `id` comes from the database's sequence, so appends take no lock;
    `log_index` (the leaf's position) and `leaf_hash` are set once, by the sealer.
    """

    id = fields.BigIntField(primary_key=True)
    occurred_at = fields.DatetimeField()
    event = fields.CharField(max_length=32)
    partner_id = fields.UUIDField(null=True)
    person_id = fields.UUIDField(null=True)
    subject_id = fields.CharField(max_length=64, null=True)
    grant_id = fields.UUIDField(null=True)
    purpose = fields.CharField(max_length=32, null=True)
    scopes_asked: fields.JSONField[list[str]] = fields.JSONField(default=list)
    scopes_returned: fields.JSONField[list[str]] = fields.JSONField(default=list)
    scopes_denied: fields.JSONField[list[str]] = fields.JSONField(default=list)
    request_id = fields.CharField(max_length=64, null=True)
    # Unique, so two sealers racing cannot give two entries one position.
    log_index = fields.BigIntField(null=True, unique=True)
    leaf_hash = fields.CharField(max_length=64, null=True)

    class Meta:
        table = "access_log_entry"
        indexes = (("partner_id", "occurred_at"), ("person_id", "occurred_at"))


class LogCheckpoint(Model):
    """A signed statement of the log's tree: its size and root hash at one moment.

    Stored append-only; `tree_size` is unique, so two sealers racing cannot both sign a size.
    `frontier` holds the roots of the tree's perfect subtrees, so the next seal extends the
    tree without reading earlier leaves.
    """

    id = fields.BigIntField(primary_key=True)
    tree_size = fields.BigIntField(unique=True)
    root_hash = fields.CharField(max_length=64)
    issued_at = fields.DatetimeField()
    key_id = fields.CharField(max_length=64)
    signed = fields.TextField()
    frontier: fields.JSONField[list[str]] = fields.JSONField(default=list)

    class Meta:
        table = "log_checkpoint"
