"""Tortoise models for the entities the domain owns: people, partners, linked accounts, reports.

Consent entities (requests, grants, the access log) live in `consent.models`; both modules form
the one Tortoise app `scorelink`, so foreign keys across them are declared by name, not import.
Model docstrings become table comments, and Tortoise splits migration SQL on semicolons, so
model docstrings here and in `consent.models` hold none.
"""

from __future__ import annotations

import enum
import uuid

from tortoise import fields
from tortoise.models import Model

from consent.catalog import PartnerType


class PersonStatus(enum.StrEnum):
    ACTIVE = "ACTIVE"


class PartnerStatus(enum.StrEnum):
    ACTIVE = "ACTIVE"
    SUSPENDED = "SUSPENDED"


class AccountKind(enum.StrEnum):
    SOCIAL = "SOCIAL"
    ECOMMERCE = "ECOMMERCE"


class LinkStatus(enum.StrEnum):
    PENDING = "PENDING"
    LINKED = "LINKED"
    FAILED = "FAILED"


class ReportStatus(enum.StrEnum):
    READY = "READY"
    INSUFFICIENT_DATA = "INSUFFICIENT_DATA"


class Grade(enum.StrEnum):
    A = "A"
    B = "B"
    C = "C"
    D = "D"


class Person(Model):
    """Someone who signed in with a phone number, never shown to partners by this id."""

    id = fields.UUIDField(primary_key=True)
    phone = fields.CharField(max_length=16, unique=True, description="E.164, e.g. +8613800138000")
    status = fields.CharEnumField(PersonStatus, max_length=16, default=PersonStatus.ACTIVE)
    display_name = fields.CharField(max_length=100, null=True)
    # Set the first time the person signs in with an SMS code sent to this number.
    phone_verified_at = fields.DatetimeField(null=True)
    # Sandbox personas are marked so production can refuse to start on a database holding them.
    is_sandbox = fields.BooleanField(default=False)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "person"


class Partner(Model):
    """An organisation that reads reports as an OAuth2 client."""

    id = fields.UUIDField(primary_key=True)
    name = fields.CharField(max_length=200)
    type = fields.CharEnumField(PartnerType, max_length=16)
    status = fields.CharEnumField(PartnerStatus, max_length=16, default=PartnerStatus.ACTIVE)
    client_id = fields.CharField(max_length=64, unique=True)
    # A salted hash; the secret itself is shown once at registration and never stored.
    client_secret_hash = fields.CharField(max_length=255)
    is_sandbox = fields.BooleanField(default=False)
    created_at = fields.DatetimeField(auto_now_add=True)
    suspended_at = fields.DatetimeField(null=True)
    # Requests per minute on /graphql; null: the service default (SCORELINK_PARTNER_RATE_LIMIT).
    rate_limit_per_minute = fields.IntField(null=True)

    class Meta:
        table = "partner"


class LinkedAccount(Model):
    """A social-media or e-commerce account a person connected as a data source."""

    id = fields.UUIDField(primary_key=True)
    person: fields.ForeignKeyRelation[Person] = fields.ForeignKeyField(
        "scorelink.Person", related_name="linked_accounts", on_delete=fields.CASCADE
    )
    person_id: uuid.UUID
    kind = fields.CharEnumField(AccountKind, max_length=16)
    provider = fields.CharField(max_length=64)
    status = fields.CharEnumField(LinkStatus, max_length=16, default=LinkStatus.PENDING)
    failure_reason = fields.CharField(max_length=500, null=True)
    # The provider's data normalised into a scoring_engine record (its `to_mapping()` form).
    normalised_record: fields.JSONField[dict[str, object] | None] = fields.JSONField(null=True)
    account_created = fields.DateField(null=True)
    linked_at = fields.DatetimeField(null=True)
    last_synced_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    # The provider's access and refresh tokens as JSON, encrypted (SecretBox "provider-tokens").
    tokens_encrypted: str | None = fields.TextField(null=True)
    # The upheld dispute that took this account's data out of scoring; a new link clears it.
    scoring_excluded_by = fields.UUIDField(null=True)

    class Meta:
        table = "linked_account"
        unique_together = (("person", "provider"),)


class LinkAttempt(Model):
    """One authorisation round trip to a provider: its state (hashed) and PKCE verifier, once."""

    id = fields.UUIDField(primary_key=True)
    linked_account: fields.ForeignKeyRelation[LinkedAccount] = fields.ForeignKeyField(
        "scorelink.LinkedAccount", related_name="attempts", on_delete=fields.CASCADE
    )
    linked_account_id: uuid.UUID
    # sha256 of the state: the state travels in URLs, the table never holds it.
    state_hash = fields.CharField(max_length=64, unique=True)
    code_verifier_encrypted = fields.TextField()
    created_at = fields.DatetimeField()
    expires_at = fields.DatetimeField()
    used_at = fields.DatetimeField(null=True)

    class Meta:
        table = "link_attempt"


class ScoreReport(Model):
    """One scoring of a person, kept so history and explanations can be replayed later."""

    id = fields.UUIDField(primary_key=True)
    person: fields.ForeignKeyRelation[Person] = fields.ForeignKeyField(
        "scorelink.Person", related_name="score_reports", on_delete=fields.CASCADE
    )
    person_id: uuid.UUID
    status = fields.CharEnumField(ReportStatus, max_length=24)
    grade = fields.CharEnumField(Grade, max_length=1, null=True)
    score = fields.IntField(null=True)
    default_probability = fields.FloatField(null=True)
    reason_codes: fields.JSONField[list[dict[str, str]]] = fields.JSONField(default=list)
    data_sources: fields.JSONField[list[str]] = fields.JSONField(default=list)
    model_version = fields.CharField(max_length=64)
    # sha256 of the canonical model inputs: with the model version it replays the report exactly.
    input_hash = fields.CharField(max_length=64)
    computed_at = fields.DatetimeField()
    # Exactly one report per person is current; the rest are its score history.
    is_current = fields.BooleanField(default=True)
    # True while the person has an open dispute (domain.disputes); partners see the flag.
    disputed = fields.BooleanField(default=False)

    class Meta:
        table = "score_report"
        indexes = (("person_id", "computed_at"), ("person_id", "is_current"))


class LoginCode(Model):
    """A one-time SMS code, stored as a keyed hash and usable once within its lifetime."""

    id = fields.UUIDField(primary_key=True)
    phone = fields.CharField(max_length=16)
    code_hash = fields.CharField(max_length=64)
    created_at = fields.DatetimeField()
    expires_at = fields.DatetimeField()
    attempts = fields.IntField(default=0)
    # Set when the code is used, or when a newer code for the same phone replaces it.
    consumed_at = fields.DatetimeField(null=True)

    class Meta:
        table = "login_code"
        indexes = (("phone", "created_at"),)


class PhoneLoginState(Model):
    """Per-number counters behind the send cooldown, the daily cap and the failure lock."""

    phone = fields.CharField(max_length=16, primary_key=True)
    last_sent_at = fields.DatetimeField(null=True)
    sends_day = fields.DateField(null=True)
    sends_that_day = fields.IntField(default=0)
    consecutive_failures = fields.IntField(default=0)
    locked_at = fields.DatetimeField(null=True)

    class Meta:
        table = "phone_login_state"


class RefreshToken(Model):
    """An opaque, single-use refresh token (stored hashed) in a family that logout revokes."""

    id = fields.UUIDField(primary_key=True)
    family_id = fields.UUIDField(db_index=True)
    person: fields.ForeignKeyRelation[Person] = fields.ForeignKeyField(
        "scorelink.Person", related_name="refresh_tokens", on_delete=fields.CASCADE
    )
    person_id: uuid.UUID
    token_hash = fields.CharField(max_length=64, unique=True)
    created_at = fields.DatetimeField()
    expires_at = fields.DatetimeField()
    used_at = fields.DatetimeField(null=True)
    revoked_at = fields.DatetimeField(null=True)

    class Meta:
        table = "refresh_token"


class SigningKey(Model):
    """A token-signing key pair, the private half encrypted with the configured secret key."""

    kid = fields.CharField(max_length=64, primary_key=True)
    algorithm = fields.CharField(max_length=16)
    private_key_encrypted = fields.TextField()
    public_jwk: fields.JSONField[dict[str, str]] = fields.JSONField()
    created_at = fields.DatetimeField()
    # Set at rotation: after this moment, tokens signed with this key no longer verify.
    retires_at = fields.DatetimeField(null=True)

    class Meta:
        table = "signing_key"


class RevokedToken(Model):
    """A partner access token revoked before expiry (RFC 7009), kept until it would expire."""

    jti = fields.CharField(max_length=64, primary_key=True)
    expires_at = fields.DatetimeField()

    class Meta:
        table = "revoked_token"


class DataExport(Model):
    """A person's request for a copy of their data, downloadable once before it expires."""

    # The document is built at download time and never stored, so no second copy of the data
    # rests here. The download link is signed (HMAC, SecretKeys "data-export-links").
    id = fields.UUIDField(primary_key=True)
    person: fields.ForeignKeyRelation[Person] = fields.ForeignKeyField(
        "scorelink.Person", related_name="data_exports", on_delete=fields.CASCADE
    )
    person_id: uuid.UUID
    created_at = fields.DatetimeField()
    expires_at = fields.DatetimeField()
    downloaded_at = fields.DatetimeField(null=True)

    class Meta:
        table = "data_export"


class PartnerOrigin(Model):
    """A browser origin a partner registered: its frontend may call /graphql from there (CORS)."""

    id = fields.IntField(primary_key=True)
    partner: fields.ForeignKeyRelation[Partner] = fields.ForeignKeyField(
        "scorelink.Partner", related_name="origins", on_delete=fields.CASCADE
    )
    # Scheme, host and port, as browsers send it in the Origin header: https://app.example.com
    origin = fields.CharField(max_length=255)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "partner_origin"
        unique_together = (("partner", "origin"),)


class RescoreRun(Model):
    """Re-scoring everyone with a report by one promoted model version, in chunks of people.

    One run per version: a run that was stopped is resumed, never started twice.
    """

    id = fields.IntField(primary_key=True)
    model_version = fields.CharField(max_length=64, unique=True)
    chunk_size = fields.IntField()
    people = fields.IntField()
    started_at = fields.DatetimeField()
    finished_at = fields.DatetimeField(null=True)

    class Meta:
        table = "rescore_run"


class RescoreChunk(Model):
    """One chunk of a run's people, leased by one process at a time.

    Its people have ids from `first_person_id` up to, not including, `next_person_id` (to the
    end when null). A process leases it, then re-scores it and marks it done in one
    transaction; a lease that runs out (its process died) lets another process take it.
    """

    id = fields.IntField(primary_key=True)
    run: fields.ForeignKeyRelation[RescoreRun] = fields.ForeignKeyField(
        "scorelink.RescoreRun", related_name="chunks", on_delete=fields.CASCADE
    )
    run_id: int
    first_person_id = fields.UUIDField()
    next_person_id = fields.UUIDField(null=True)
    people = fields.IntField()
    leased_by = fields.CharField(max_length=64, null=True)
    leased_until = fields.DatetimeField(null=True)
    done_at = fields.DatetimeField(null=True)
    # Given a report by this run; kept: already re-scored meanwhile (a new link, or this version).
    rescored = fields.IntField(default=0)
    kept = fields.IntField(default=0)

    class Meta:
        table = "rescore_chunk"
        indexes = (("run_id", "done_at"),)
