"""Reading what an earlier use produced (an assessment's result), as a table.

The rule (issue 12, `consent.reads.authorise_result_read`): the grant that allowed the use
serves reading its result until it expires or is revoked, even when it was ONE_TIME and that use
spent it; reading a result never spends a grant, so other ONE_TIME grants stay for the use they
were given for; every other grant counts as for any read.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from consent.catalog import Access, PartnerType, Purpose, Scope
from consent.decision import DenialCode
from consent.models import ConsentGrant, GrantStatus
from consent.reads import authorise_result_read

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
A, P = Scope.CREDIT_ASSESSMENT, Scope.DEFAULT_PROBABILITY
ASKED = frozenset({A, P})


@dataclass(frozen=True)
class G:
    """A stored grant, by what a person did with it."""

    name: str
    scopes: frozenset[Scope]
    access: Access
    status: GrantStatus
    age_days: int  # granted this many days before NOW
    left: timedelta = timedelta(days=30)  # until it expires


OWN_SPENT = G("own", frozenset({A}), Access.ONE_TIME, GrantStatus.USED_UP, 1)
CASES: list[tuple[str, list[G], dict[Scope, str], dict[Scope, DenialCode]]] = [
    (
        "the one-time grant the assessment spent still serves its result",
        [OWN_SPENT],
        {A: "own"},
        {P: DenialCode.CONSENT_REQUIRED},
    ),
    (
        "an own grant that is still ongoing serves it",
        [G("own", frozenset({A, P}), Access.ONGOING, GrantStatus.ACTIVE, 1)],
        {A: "own", P: "own"},
        {},
    ),
    (
        "a revoked own grant does not",
        [G("own", frozenset({A}), Access.ONE_TIME, GrantStatus.REVOKED, 1)],
        {},
        {A: DenialCode.CONSENT_REVOKED, P: DenialCode.CONSENT_REQUIRED},
    ),
    (
        "an own grant past its expiry does not, even though the use spent it",
        [G("own", frozenset({A}), Access.ONE_TIME, GrantStatus.USED_UP, 40, timedelta(0))],
        {},
        {A: DenialCode.CONSENT_EXPIRED, P: DenialCode.CONSENT_REQUIRED},
    ),
    (
        "another live one-time grant is kept for its own use, listed first or last",
        [
            G("spare", frozenset({A, P}), Access.ONE_TIME, GrantStatus.ACTIVE, 0),
            OWN_SPENT,
            G("later", frozenset({A, P}), Access.ONE_TIME, GrantStatus.ACTIVE, 0),
        ],
        {A: "own"},
        {P: DenialCode.CONSENT_REQUIRED},
    ),
    (
        "another ongoing grant serves what the own grant does not cover",
        [
            G("spare", frozenset({P}), Access.ONE_TIME, GrantStatus.ACTIVE, 0),
            G("ongoing", frozenset({P}), Access.ONGOING, GrantStatus.ACTIVE, 5),
            OWN_SPENT,
        ],
        {A: "own", P: "ongoing"},
        {},
    ),
    (
        "the own grant names the read even beside an older ongoing grant of the same scope",
        [G("ongoing", frozenset({A}), Access.ONGOING, GrantStatus.ACTIVE, 5), OWN_SPENT],
        {A: "own"},
        {P: DenialCode.CONSENT_REQUIRED},
    ),
    (
        "another spent one-time grant stays spent",
        [G("other", frozenset({P}), Access.ONE_TIME, GrantStatus.USED_UP, 0), OWN_SPENT],
        {A: "own"},
        {P: DenialCode.CONSENT_EXPIRED},
    ),
]


def _stored(grant: G, ids: dict[str, uuid.UUID]) -> ConsentGrant:
    granted_at = NOW - timedelta(days=grant.age_days)
    return ConsentGrant(
        id=ids.setdefault(grant.name, uuid.uuid4()),
        partner_id=uuid.uuid4(),
        person_id=uuid.uuid4(),
        scopes=sorted(s.value for s in grant.scopes),
        purpose=Purpose.CREDIT_APPLICATION,
        access=grant.access,
        status=grant.status,
        granted_at=granted_at,
        expires_at=NOW + grant.left,
    )


@pytest.mark.parametrize(
    ("grants", "served_by", "denied"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_reading_a_result(
    grants: list[G], served_by: dict[Scope, str], denied: dict[Scope, DenialCode]
) -> None:
    ids: dict[str, uuid.UUID] = {}
    stored = [_stored(g, ids) for g in grants]
    decision = authorise_result_read(PartnerType.BANK, stored, ASKED, ids["own"], NOW)
    names = {grant_id: name for name, grant_id in ids.items()}
    assert {scope: names[g.id] for scope, g in decision.allowed.items()} == served_by
    assert decision.denied == denied
    # Reading a result never spends a grant.
    assert decision.one_time_grants == frozenset()
    # The log names the grant as stored: its scopes, purpose and expiry.
    for grant in decision.allowed.values():
        original = next(g for g in grants if g.name == names[grant.id])
        assert grant.scopes == original.scopes
        assert grant.purpose == "CREDIT_APPLICATION"
        assert grant.expires_at == NOW + original.left
        assert grant.granted_at == NOW - timedelta(days=original.age_days)


def test_a_result_read_stays_within_the_partner_types_ceiling() -> None:
    ids: dict[str, uuid.UUID] = {}
    stored = [_stored(OWN_SPENT, ids)]
    decision = authorise_result_read(PartnerType.DATING, stored, ASKED, ids["own"], NOW)
    assert decision.allowed == {}
    assert decision.denied == {
        A: DenialCode.NOT_PERMITTED_FOR_PARTNER_TYPE,
        P: DenialCode.NOT_PERMITTED_FOR_PARTNER_TYPE,
    }
