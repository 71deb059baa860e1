"""`consent.decision.decide`, the one decision, as a table: every denial code and its precedence.

Each row is a situation DESIGN.md describes and the answer it gives. Grants are built by hand;
the ceilings come from `consent_spec`, never from `consent.policy`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

import consent_spec
from consent.catalog import Access, PartnerType, Scope
from consent.decision import DenialCode, GrantState, decide
from consent.liveness import in_force
from consent.models import GrantStatus

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
G, S, C = Scope.GRADE, Scope.SCORE, Scope.CONTACT


@dataclass(frozen=True)
class Given:
    """One grant: its scopes, access, stored status, minutes since granted, minutes to expiry."""

    scopes: set[Scope] | frozenset[Scope]
    access: Access = Access.ONGOING
    status: GrantStatus = GrantStatus.ACTIVE
    age: int = 60
    left: int = 60

    def state(self, number: int) -> GrantState:
        return GrantState(
            id=uuid.UUID(int=number + 1),
            scopes=frozenset(self.scopes),
            purpose="CREDIT_APPLICATION",
            access=self.access,
            status=self.status,
            granted_at=NOW - timedelta(minutes=self.age),
            expires_at=NOW + timedelta(minutes=self.left),
        )


def _decide(partner_type: str, grants: list[Given], asked: set[Scope]) -> dict[Scope, object]:
    """scope -> the index of the serving grant, or the denial code."""
    states = [g.state(n) for n, g in enumerate(grants)]
    decision = decide(PartnerType(partner_type), states, asked, NOW)
    answer: dict[Scope, object] = dict(decision.denied)
    for scope, grant in decision.allowed.items():
        answer[scope] = states.index(grant)
    return answer


REQUIRED = DenialCode.CONSENT_REQUIRED
EXPIRED = DenialCode.CONSENT_EXPIRED
REVOKED = DenialCode.CONSENT_REVOKED
CEILING = DenialCode.NOT_PERMITTED_FOR_PARTNER_TYPE
ONE = Access.ONE_TIME

TABLE: list[tuple[str, str, list[Given], set[Scope], dict[Scope, object]]] = [
    ("no grant at all", "BANK", [], {G}, {G: REQUIRED}),
    ("a live grant serves its scope", "BANK", [Given({G})], {G}, {G: 0}),
    ("a scope the grant lacks", "BANK", [Given({G})], {G, S}, {G: 0, S: REQUIRED}),
    ("revoked", "BANK", [Given({G}, status=GrantStatus.REVOKED)], {G}, {G: REVOKED}),
    ("past its expiry", "BANK", [Given({G}, left=-1)], {G}, {G: EXPIRED}),
    ("expiry at the exact instant", "BANK", [Given({G}, left=0)], {G}, {G: EXPIRED}),
    ("a one-time grant used up", "BANK", [Given({G}, ONE, GrantStatus.USED_UP)], {G}, {G: EXPIRED}),
    ("above the ceiling beats a grant", "DATING", [Given({G, C})], {G, C}, {G: 0, C: CEILING}),
    ("above the ceiling with no grant", "JOB_SITE", [], {S}, {S: CEILING}),
    (
        "a newer grant of other scopes does not hide an older revocation of this one",
        "BANK",
        [Given({G}, status=GrantStatus.REVOKED, age=90), Given({S}, age=30)],
        {G, S},
        {G: REVOKED, S: 1},
    ),
    (
        "the newest grant naming the scope explains the denial",
        "BANK",
        [Given({G}, left=-1, age=90), Given({G}, status=GrantStatus.REVOKED, age=30)],
        {G},
        {G: REVOKED},
    ),
    (
        "an older revocation does not hide a newer expiry",
        "BANK",
        [Given({G}, status=GrantStatus.REVOKED, age=90), Given({G}, left=-1, age=30)],
        {G},
        {G: EXPIRED},
    ),
    (
        "a dead grant does not hide a live one",
        "BANK",
        [Given({G}, status=GrantStatus.REVOKED, age=10), Given({G}, age=90)],
        {G},
        {G: 1},
    ),
    (
        "ongoing is preferred over a newer one-time grant",
        "BANK",
        [Given({G}, age=90), Given({G}, ONE, age=10)],
        {G},
        {G: 0},
    ),
    (
        "a used-up one-time grant beside a live ongoing one",
        "BANK",
        [Given({G}, ONE, GrantStatus.USED_UP, age=10), Given({G}, age=90)],
        {G},
        {G: 1},
    ),
    (
        "of two one-time grants the newest serves",
        "BANK",
        [Given({G}, ONE, age=90), Given({G}, ONE, age=10)],
        {G},
        {G: 1},
    ),
    (
        "each scope is served by its own grant",
        "BANK",
        [Given({G}), Given({S}, ONE, age=5)],
        {G, S},
        {G: 0, S: 1},
    ),
    ("nothing asked, nothing decided", "BANK", [Given({G})], set(), {}),
]


@pytest.mark.parametrize(
    ("partner_type", "grants", "asked", "expected"),
    [row[1:] for row in TABLE],
    ids=[row[0] for row in TABLE],
)
def test_decide(
    partner_type: str, grants: list[Given], asked: set[Scope], expected: dict[Scope, object]
) -> None:
    assert _decide(partner_type, grants, asked) == expected


def test_every_denial_code_appears_in_the_table() -> None:
    seen = {v for row in TABLE for v in row[4].values() if isinstance(v, DenialCode)}
    assert seen == set(DenialCode)


def test_one_time_grants_used_by_a_read_are_those_serving_it() -> None:
    states = [
        Given({G}, ONE, age=90).state(0),
        Given({S}, ONE, age=10).state(1),
        Given({C}, ONE, age=5).state(2),
    ]
    decision = decide(PartnerType.BANK, states, {G, S}, NOW)
    assert decision.one_time_grants == {states[0].id, states[1].id}
    assert decision.serving_grant == states[1]  # the newest grant that served, for the log


@pytest.mark.parametrize("partner_type", consent_spec.PARTNER_TYPES)
@pytest.mark.parametrize("scope", consent_spec.SCOPES)
def test_a_live_grant_of_everything_serves_exactly_the_ceiling(
    partner_type: str, scope: str
) -> None:
    grant = Given(frozenset(Scope))
    answer = _decide(partner_type, [grant], {Scope(scope)})
    if consent_spec.allowed(partner_type, scope):
        assert answer == {Scope(scope): 0}
    else:
        assert answer == {Scope(scope): CEILING}


@pytest.mark.parametrize(
    ("status", "left", "live"),
    [
        (GrantStatus.ACTIVE, 1, True),
        (GrantStatus.ACTIVE, 0, False),
        (GrantStatus.ACTIVE, -1, False),
        (GrantStatus.REVOKED, 60, False),
        (GrantStatus.USED_UP, 60, False),
    ],
)
def test_in_force_predicate(status: GrantStatus, left: int, live: bool) -> None:
    assert in_force(status, NOW + timedelta(seconds=left), NOW) is live
