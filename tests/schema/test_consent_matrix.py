"""The full matrix: partner type x scope x grant state; a value comes back exactly when allowed.

Expectations come from `consent_spec` (DESIGN.md by hand), never from `consent.policy`.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

import consent_spec
from consent.catalog import Access, PartnerType, Purpose, Scope
from consent.lifecycle import Terms, grant_consent, request_consent, revoke_consent
from consent.models import ConsentGrant, PartnerSubject
from consent_support import (
    SUBJECT_WITH_EVERY_SCOPE,
    Actors,
    PartnerActor,
    person_with_full_file,
)
from domain.clock import utc_now
from domain.partners import suspend_partner

STATES = (
    "none",
    "pending",
    "active",
    "narrowed",
    "expired",
    "used_up",
    "revoked",
    "other_partners_grant",
    "partner_suspended",
)


def _purpose(partner_type: PartnerType) -> Purpose:
    return Purpose(sorted(consent_spec.PURPOSES[partner_type.value])[0])


def _granted_scopes(partner_type: PartnerType, state: str) -> list[Scope]:
    ceiling = sorted(Scope(s) for s in consent_spec.CEILING[partner_type.value])
    return ceiling[: max(1, len(ceiling) // 2)] if state == "narrowed" else ceiling


async def _arrange(
    actors: Actors, partner: PartnerActor, partner_type: PartnerType, state: str
) -> str:
    """Put one person in `state` towards `partner`; return the id the partner will ask for."""
    person = await person_with_full_file()
    now = utc_now()
    scopes = _granted_scopes(partner_type, state)
    terms = Terms(
        scopes,
        _purpose(partner_type),
        None,
        Access.ONE_TIME if state == "used_up" else Access.ONGOING,
    )
    if state == "none":
        return "sub_never_granted"
    if state == "pending":
        await request_consent(
            partner.partner.id, partner_type, person.phone, terms, None, now, None
        )
        return "sub_pending_has_no_id_yet"
    if state == "other_partners_grant":
        other = await actors.partner(partner_type, "Someone Else")
        await grant_consent(person.id, other.partner.id, partner_type, terms, now, None)
        row = await PartnerSubject.get(partner_id=other.partner.id, person_id=person.id)
        return row.subject_id
    grant = await grant_consent(person.id, partner.partner.id, partner_type, terms, now, None)
    if state == "expired":
        await ConsentGrant.filter(id=grant.id).update(expires_at=now - timedelta(seconds=1))
    if state == "revoked":
        await revoke_consent(grant.id, person.id, now, None)
    row = await PartnerSubject.get(partner_id=partner.partner.id, person_id=person.id)
    if state == "used_up":
        await partner.graphql(SUBJECT_WITH_EVERY_SCOPE, id=row.subject_id)
    if state == "partner_suspended":
        await suspend_partner(partner.partner.client_id)
    return row.subject_id


def _expected_reason(partner_type: PartnerType, state: str, scope: Scope) -> str | None:
    """None when DESIGN.md says the value is returned, else the denial code."""
    if not consent_spec.allowed(partner_type.value, scope.value):
        return "NOT_PERMITTED_FOR_PARTNER_TYPE"
    if state in ("active", "narrowed"):
        return None if scope in _granted_scopes(partner_type, state) else "CONSENT_REQUIRED"
    return {
        "expired": "CONSENT_EXPIRED",
        "used_up": "CONSENT_EXPIRED",
        "revoked": "CONSENT_REVOKED",
    }[state]


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("partner_type", list(PartnerType))
async def test_a_field_returns_a_value_exactly_when_the_design_allows(
    actors: Actors, partner_type: PartnerType, state: str
) -> None:
    partner = await actors.partner(partner_type)
    subject_id = await _arrange(actors, partner, partner_type, state)

    response = await partner.client.post(
        "/graphql",
        json={"query": SUBJECT_WITH_EVERY_SCOPE, "variables": {"id": subject_id}},
        headers={"authorization": f"Bearer {partner.token}"},
    )
    if state == "partner_suspended":
        assert response.status_code == 401
        assert "suspended" in response.json()["error"]["message"]
        return
    body: dict[str, Any] = response.json()
    subject = body["data"]["partner"]["subject"]
    if state in ("none", "pending", "other_partners_grant"):
        assert subject is None
        assert [e["extensions"]["code"] for e in body["errors"]] == ["NOT_FOUND"]
        return

    errors = {e["path"][-1]: e["extensions"] for e in body.get("errors", [])}
    for key, scope_name in consent_spec.FIELD_SCOPES.items():
        field = key.split(".")[1]
        scope = Scope(scope_name)
        reason = _expected_reason(partner_type, state, scope)
        if reason is None:
            assert subject[field] is not None, f"{field} should be returned"
            assert field not in errors
        else:
            assert subject[field] is None, f"{field} leaked in state {state}"
            assert errors[field] == {"code": reason, "scope": scope.value}
