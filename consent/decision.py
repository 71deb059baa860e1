"""The one place that decides which scopes of one person a partner may read right now.

Pure: it sees the partner's type, that partner's grants from this person (read fresh from the
database by the caller for this request only) and the scopes the query asks for, and returns
for every asked scope either the grant that serves it or the reason it is denied.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from consent.catalog import Access, PartnerType, Scope
from consent.liveness import in_force
from consent.models import GrantStatus
from consent.policy import policy_for


class DenialCode(enum.StrEnum):
    CONSENT_REQUIRED = "CONSENT_REQUIRED"
    CONSENT_EXPIRED = "CONSENT_EXPIRED"
    CONSENT_REVOKED = "CONSENT_REVOKED"
    NOT_PERMITTED_FOR_PARTNER_TYPE = "NOT_PERMITTED_FOR_PARTNER_TYPE"


@dataclass(frozen=True)
class GrantState:
    """What the decision needs of one grant, as stored when the request began."""

    id: uuid.UUID
    scopes: frozenset[Scope]
    purpose: str
    access: Access
    status: GrantStatus
    granted_at: datetime
    expires_at: datetime

    def serves(self, scope: Scope, now: datetime) -> bool:
        return scope in self.scopes and in_force(self.status, self.expires_at, now)


@dataclass(frozen=True)
class ReadDecision:
    allowed: dict[Scope, GrantState]
    denied: dict[Scope, DenialCode]

    @property
    def returned_scopes(self) -> frozenset[Scope]:
        return frozenset(self.allowed)

    @property
    def serving_grant(self) -> GrantState | None:
        """The grant a log entry names: the newest one that served any scope."""
        grants = self.allowed.values()
        return max(grants, key=lambda g: g.granted_at) if grants else None

    @property
    def one_time_grants(self) -> frozenset[uuid.UUID]:
        """ONE_TIME grants this read uses up if it goes ahead."""
        return frozenset(g.id for g in self.allowed.values() if g.access is Access.ONE_TIME)


def decide(
    partner_type: PartnerType,
    grants: Iterable[GrantState],
    asked: Iterable[Scope],
    now: datetime,
) -> ReadDecision:
    ceiling = policy_for(partner_type).ceiling
    # Newest first: the most recent grant explains a denial best, and an ongoing grant is
    # preferred over a one-time one so a one-time grant is not spent when it is not needed.
    ordered = sorted(grants, key=lambda g: (g.granted_at, g.id), reverse=True)
    allowed: dict[Scope, GrantState] = {}
    denied: dict[Scope, DenialCode] = {}
    for scope in sorted(set(asked)):
        if scope not in ceiling:
            denied[scope] = DenialCode.NOT_PERMITTED_FOR_PARTNER_TYPE
            continue
        serving = [g for g in ordered if g.serves(scope, now)]
        if serving:
            ongoing = [g for g in serving if g.access is Access.ONGOING]
            allowed[scope] = (ongoing or serving)[0]
        else:
            denied[scope] = _why_not(scope, ordered, now)
    return ReadDecision(allowed=allowed, denied=denied)


def _why_not(scope: Scope, newest_first: list[GrantState], now: datetime) -> DenialCode:
    for grant in newest_first:
        if scope not in grant.scopes:
            continue
        if grant.status is GrantStatus.REVOKED:
            return DenialCode.CONSENT_REVOKED
        return DenialCode.CONSENT_EXPIRED  # past expires_at, or a used-up one-time grant
    return DenialCode.CONSENT_REQUIRED
