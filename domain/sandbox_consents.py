"""Sandbox consents in every state, for every demo partner, so each case shows in GraphiQL.

Each test persona but the newcomer stands in one state towards each demo partner; three more
show the states of a request. The newcomer has none, so the walkthrough's consent (and the
denials outside it) are the only ones it ever has. grade_a, social_only and poor_payer hold
every scope, CREDIT_ASSESSMENT included, so README's assessment table can be asked of them.
Seeding leaves a persona untouched towards a partner it already has a consent (or request)
with, so a seed over an older sandbox adds what that lacks and keeps what the reader changed.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from consent.catalog import Access, PartnerType, Scope
from consent.lifecycle import Terms, deny_request, grant_consent, request_consent, revoke_consent
from consent.models import ConsentGrant, ConsentRequest, GrantStatus
from consent.policy import policy_for
from domain.clock import utc_now
from domain.models import Partner, Person

# persona key -> the state its consent to each demo partner is left in (the newcomer: none)
GRANT_STATES: dict[str, str] = {
    "grade_a": "ACTIVE",
    "grade_b": "ACTIVE_NARROWED",
    "grade_c": "EXPIRED",
    "grade_d": "REVOKED",
    "thin_file": "USED_UP",
    "empty": "ONE_TIME",
    "social_only": "ACTIVE",
    "poor_payer": "ACTIVE",
}
# persona key -> the state of one more request each demo partner sent them
REQUEST_STATES: dict[str, str] = {"grade_b": "PENDING", "grade_c": "DENIED", "grade_d": "EXPIRED"}


async def seed_demo_consents(partners: Sequence[Partner], personas: dict[str, Person]) -> None:
    for partner in partners:
        partner_type = PartnerType(partner.type)
        policy = policy_for(partner_type)
        purpose = sorted(policy.purposes)[0]
        everything = sorted(policy.ceiling)
        for key, state in GRANT_STATES.items():
            person = personas[key]
            if await ConsentGrant.exists(partner_id=partner.id, person_id=person.id):
                continue
            scopes = [Scope.GRADE] if state == "ACTIVE_NARROWED" else everything
            access = Access.ONE_TIME if state in ("USED_UP", "ONE_TIME") else Access.ONGOING
            now = utc_now()
            grant = await grant_consent(
                person.id, partner.id, partner_type, Terms(scopes, purpose, None, access), now, None
            )
            if state == "EXPIRED":
                await ConsentGrant.filter(id=grant.id).update(expires_at=now - timedelta(days=1))
            elif state == "REVOKED":
                await revoke_consent(grant.id, person.id, now, None)
            elif state == "USED_UP":
                await ConsentGrant.filter(id=grant.id).update(
                    status=GrantStatus.USED_UP, used_at=now
                )
        for key, state in REQUEST_STATES.items():
            person = personas[key]
            if await ConsentRequest.exists(partner_id=partner.id, phone=person.phone):
                continue
            now = utc_now()
            request = await request_consent(
                partner.id,
                partner_type,
                person.phone,
                Terms(everything, purpose, None, Access.ONGOING),
                f"sandbox-{state.lower()}",
                now,
                None,
            )
            if state == "DENIED":
                await deny_request(request.id, person.id, person.phone, now, None)
            elif state == "EXPIRED":
                await ConsentRequest.filter(id=request.id).update(
                    expires_at=now - timedelta(days=1)
                )
