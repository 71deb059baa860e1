"""`consent.policy` holds exactly DESIGN.md's tables, entry by entry."""

from __future__ import annotations

import pytest

import consent_spec
from consent.catalog import PartnerType, Purpose, Scope
from consent.policy import policy_for


def test_the_vocabulary_is_the_designs() -> None:
    assert sorted(t.value for t in PartnerType) == sorted(consent_spec.PARTNER_TYPES)
    assert sorted(s.value for s in Scope) == sorted(consent_spec.SCOPES)
    assert {p.value for p in Purpose} == set().union(*consent_spec.PURPOSES.values())


@pytest.mark.parametrize("partner_type", consent_spec.PARTNER_TYPES)
@pytest.mark.parametrize("scope", consent_spec.SCOPES)
def test_each_ceiling_cell_is_the_designs(partner_type: str, scope: str) -> None:
    in_code = Scope(scope) in policy_for(PartnerType(partner_type)).ceiling
    assert in_code == consent_spec.allowed(partner_type, scope)


@pytest.mark.parametrize("partner_type", consent_spec.PARTNER_TYPES)
def test_purposes_and_durations_are_the_designs(partner_type: str) -> None:
    policy = policy_for(PartnerType(partner_type))
    assert {p.value for p in policy.purposes} == consent_spec.PURPOSES[partner_type]
    assert policy.longest_duration_days == consent_spec.LONGEST_DAYS[partner_type]
    assert policy.default_duration_days == consent_spec.DEFAULT_DAYS[partner_type]
