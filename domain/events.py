"""The event catalogue: every event type, who hears it, and the thin payload it carries.

Types are data: a new event (the assessment events) is one line in `CATALOGUE`. An event names
ids only (its own, the partner's pairwise subject id, the changed object's id), never personal
data: a partner learns a grade by reading it over GraphQL, where consent is decided at read time.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from domain.errors import DomainError


class Audience(enum.StrEnum):
    PARTNER = "PARTNER"
    PERSON = "PERSON"


PARTNER = frozenset({Audience.PARTNER})
PERSON = frozenset({Audience.PERSON})
BOTH = PARTNER | PERSON


@dataclass(frozen=True)
class EventKind:
    name: str
    # Who hears it: a type may go to the partner and to the person alike.
    audiences: frozenset[Audience]
    # What the object id names, for the documentation of each type.
    object: str

    def heard_by(self, audience: Audience) -> bool:
        return audience in self.audiences


CATALOGUE: Mapping[str, EventKind] = {
    kind.name: kind
    for kind in (
        EventKind("consent_request.approved", PARTNER, "consent request"),
        EventKind("consent_request.denied", PARTNER, "consent request"),
        EventKind("consent_request.expired", PARTNER, "consent request"),
        EventKind("consent.revoked", PARTNER, "consent (grant)"),
        EventKind("consent.renewed", PARTNER, "consent (grant)"),
        EventKind("consent.expired", PARTNER, "consent (grant)"),
        EventKind("report.updated", PARTNER, "score report"),
        EventKind("consent_request.received", PERSON, "consent request"),
        EventKind("access.recorded", PERSON, "partner that read"),
        EventKind("assessment.completed", PARTNER, "credit assessment"),
        EventKind("assessment.waiting_for_person", BOTH, "credit assessment"),
        EventKind("assessment.sla_breached", PARTNER, "credit assessment"),
    )
}


class UnknownEventType(DomainError):
    code = "UNKNOWN_EVENT_TYPE"


def partner_event_types() -> list[str]:
    return sorted(k.name for k in CATALOGUE.values() if k.heard_by(Audience.PARTNER))


def checked_partner_types(types: Iterable[str]) -> list[str]:
    """The event types a partner subscribes to, each known and meant for partners."""
    chosen = list(dict.fromkeys(types))
    allowed = set(partner_event_types())
    unknown = [t for t in chosen if t not in allowed]
    if unknown:
        raise UnknownEventType(
            f"unknown event type {unknown[0]!r}; partners can subscribe to: "
            + ", ".join(partner_event_types())
        )
    if not chosen:
        raise UnknownEventType("choose at least one event type")
    return chosen


@dataclass(frozen=True)
class ThinEvent:
    """What a recipient receives: the same shape over webhooks and subscriptions."""

    event_id: str
    type: str
    occurred_at: datetime
    object_id: str
    sequence: int
    subject_id: str | None = None

    def payload(self) -> dict[str, Any]:
        data: dict[str, Any] = {"object_id": self.object_id, "sequence": self.sequence}
        if self.subject_id is not None:
            data["subject_id"] = self.subject_id
        return {
            "id": self.event_id,
            "type": self.type,
            "timestamp": self.occurred_at.astimezone(UTC).isoformat(timespec="milliseconds"),
            "data": data,
        }
