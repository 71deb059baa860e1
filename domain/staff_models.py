"""ScoreLink's own staff: credit analysts who decide the cases automation refers to a person."""

from __future__ import annotations

import enum

from tortoise import fields
from tortoise.models import Model


class StaffRole(enum.StrEnum):
    # Decides referred assessments and resolves disputes: sees only what the person granted.
    REVIEWER = "REVIEWER"


class StaffMember(Model):
    """A staff account, created by an operator on the command line; never self-registered."""

    id = fields.UUIDField(primary_key=True)
    phone = fields.CharField(
        max_length=16, unique=True, description="E.164, the number sign-in codes go to"
    )
    name = fields.CharField(max_length=100)
    role = fields.CharEnumField(StaffRole, max_length=16)
    created_at = fields.DatetimeField(auto_now_add=True)
    # A disabled account's sessions stop working on their next request.
    disabled_at = fields.DatetimeField(null=True)

    class Meta:
        table = "staff_member"
        table_description = "A ScoreLink staff account (credit analyst)."


class StaffSession(Model):
    """One sign-in of a staff member; its id is the access token's `sid`."""

    id = fields.UUIDField(primary_key=True)
    staff: fields.ForeignKeyRelation[StaffMember] = fields.ForeignKeyField(
        "scorelink.StaffMember", related_name="sessions", on_delete=fields.CASCADE
    )
    started_at = fields.DatetimeField()
    expires_at = fields.DatetimeField()
    ended_at = fields.DatetimeField(null=True)

    class Meta:
        table = "staff_session"
        table_description = "A staff sign-in: ending it refuses its token on the next request."
