"""Validation of what a consent would open: scopes, purpose and duration against the policy."""

from __future__ import annotations

from collections.abc import Iterable

from consent.catalog import PartnerType, Purpose, Scope
from consent.errors import InvalidDuration, InvalidScopes, PurposeNotAllowed, ScopeAboveCeiling
from consent.policy import policy_for


def checked_scopes(partner_type: PartnerType, scopes: Iterable[Scope]) -> list[Scope]:
    chosen = sorted(set(scopes))
    if not chosen:
        raise InvalidScopes("at least one scope is needed")
    above = [s.value for s in chosen if s not in policy_for(partner_type).ceiling]
    if above:
        raise ScopeAboveCeiling(
            f"a {partner_type.value} partner may never hold: {', '.join(above)}"
        )
    return chosen


def checked_purpose(partner_type: PartnerType, purpose: Purpose) -> Purpose:
    allowed = policy_for(partner_type).purposes
    if purpose not in allowed:
        names = ", ".join(sorted(p.value for p in allowed))
        raise PurposeNotAllowed(f"a {partner_type.value} partner may ask only for: {names}")
    return purpose


def checked_duration(partner_type: PartnerType, duration_days: int | None) -> int:
    policy = policy_for(partner_type)
    if duration_days is None:
        return policy.default_duration_days
    if not 1 <= duration_days <= policy.longest_duration_days:
        raise InvalidDuration(
            f"duration must be 1 to {policy.longest_duration_days} days for a "
            f"{partner_type.value} partner (got {duration_days})"
        )
    return duration_days
