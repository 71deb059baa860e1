"""Sandbox seed: every demo partner sees consents in every state, and seeding twice adds nothing."""

from __future__ import annotations

import pytest
from tortoise.context import TortoiseContext

from consent.catalog import PartnerType, Scope
from consent.decision import DenialCode
from consent.lifecycle import request_status
from consent.models import ConsentGrant, ConsentRequest, GrantStatus, PartnerSubject
from domain.clock import utc_now
from domain.models import Partner, Person
from domain.partner_reads import read_subject
from domain.principal import PartnerPrincipal
from domain.sandbox import seed_sandbox
from domain.sandbox_consents import GRANT_STATES
from domain.sandbox_personas import TEST_PERSONAS
from domain.secret_keys import SecretKeys

SECRET = "sandbox-seed-test-secret-key-0123456789"
EXPECTED: dict[str, dict[Scope, DenialCode | None]] = {
    "grade_a": {Scope.GRADE: None, Scope.IDENTITY: None},
    "grade_b": {Scope.GRADE: None, Scope.IDENTITY: DenialCode.CONSENT_REQUIRED},
    "grade_c": {Scope.GRADE: DenialCode.CONSENT_EXPIRED},
    "grade_d": {Scope.GRADE: DenialCode.CONSENT_REVOKED},
    "thin_file": {Scope.GRADE: DenialCode.CONSENT_EXPIRED},
    "empty": {Scope.GRADE: None},
    "social_only": {Scope.GRADE: None, Scope.IDENTITY: None},
    "poor_payer": {Scope.GRADE: None, Scope.IDENTITY: None},
}


async def test_every_demo_partner_sees_each_consent_state(orm: TortoiseContext) -> None:
    await seed_sandbox(SecretKeys(SECRET))
    people = {p.key: await Person.get(phone=p.phone) for p in TEST_PERSONAS}
    partners = await Partner.filter(is_sandbox=True)
    assert {p.type for p in partners} == set(PartnerType)
    for partner in partners:
        principal = PartnerPrincipal(partner.id, PartnerType(partner.type), partner.client_id)
        for key, expected in EXPECTED.items():
            subject = await PartnerSubject.get(partner_id=partner.id, person_id=people[key].id)
            view = await read_subject(principal, subject.subject_id, frozenset(expected), None)
            for scope, reason in expected.items():
                assert view.decision.denied.get(scope) == reason, (partner.name, key, scope)
        statuses = sorted(
            request_status(r, utc_now()).value
            for r in await ConsentRequest.filter(partner_id=partner.id)
        )
        assert statuses == ["DENIED", "EXPIRED", "PENDING"]


async def test_seeding_twice_adds_no_consents(orm: TortoiseContext) -> None:
    await seed_sandbox(SecretKeys(SECRET))
    grants, requests = await ConsentGrant.all().count(), await ConsentRequest.all().count()
    await seed_sandbox(SecretKeys(SECRET))
    assert (await ConsentGrant.all().count(), await ConsentRequest.all().count()) == (
        grants,
        requests,
    )
    assert grants == len(PartnerType) * len(EXPECTED)


async def test_a_sandbox_seeded_before_a_persona_had_consents_gets_them_from_a_seed(
    orm: TortoiseContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    """README: a sandbox seeded before social_only and poor_payer held consents gets them with
    `scorelink sandbox seed`; what the older seed made stays as it was."""
    monkeypatch.delitem(GRANT_STATES, "social_only")
    monkeypatch.delitem(GRANT_STATES, "poor_payer")
    await seed_sandbox(SecretKeys(SECRET))
    before = {g.id for g in await ConsentGrant.all()}
    monkeypatch.undo()

    await seed_sandbox(SecretKeys(SECRET))

    grants = await ConsentGrant.all()
    assert before <= {g.id for g in grants}
    added = [g for g in grants if g.id not in before]
    people = {p.key: (await Person.get(phone=p.phone)).id for p in TEST_PERSONAS}
    assert sorted((g.person_id, g.status) for g in added) == sorted(
        (people[key], GrantStatus.ACTIVE)
        for key in ("social_only", "poor_payer")
        for _ in PartnerType
    )
    assert len(grants) == len(PartnerType) * len(EXPECTED)


@pytest.mark.parametrize("partner_type", [PartnerType.DATING])
async def test_narrow_types_get_only_scopes_under_their_ceiling(
    orm: TortoiseContext, partner_type: PartnerType
) -> None:
    await seed_sandbox(SecretKeys(SECRET))
    dating = await Partner.get(type=partner_type, is_sandbox=True)
    for grant in await ConsentGrant.filter(partner_id=dating.id):
        assert set(grant.scopes) <= {"GRADE", "IDENTITY"}
