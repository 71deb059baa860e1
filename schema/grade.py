"""The credit grade, one enum for the person's own report and for partners' subjects."""

from __future__ import annotations

import enum

import strawberry


@strawberry.enum(description="Credit grade by probability of default within 12 months.")
class Grade(enum.Enum):
    A = strawberry.enum_value("A", description="Under 2%: the best grade.")
    B = strawberry.enum_value("B", description="2% to 5%.")
    C = strawberry.enum_value("C", description="5% to 10%.")
    D = strawberry.enum_value("D", description="10% or more.")
