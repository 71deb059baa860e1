"""What each partner type may ever hold, whatever a person clicks (DESIGN.md's ceiling table)."""

from __future__ import annotations

from dataclasses import dataclass

from consent.catalog import PartnerType, Purpose, Scope

DEFAULT_DURATION_DAYS = 90
REQUEST_LIFETIME_DAYS = 7


@dataclass(frozen=True)
class PartnerTypePolicy:
    ceiling: frozenset[Scope]
    purposes: frozenset[Purpose]
    longest_duration_days: int

    @property
    def default_duration_days(self) -> int:
        return min(DEFAULT_DURATION_DAYS, self.longest_duration_days)


_LENDER_SCOPES = frozenset(Scope)
_LENDER_PURPOSES = frozenset({Purpose.CREDIT_APPLICATION, Purpose.ACCOUNT_MANAGEMENT})

POLICIES: dict[PartnerType, PartnerTypePolicy] = {
    PartnerType.BANK: PartnerTypePolicy(_LENDER_SCOPES, _LENDER_PURPOSES, 365),
    PartnerType.P2P_LENDER: PartnerTypePolicy(_LENDER_SCOPES, _LENDER_PURPOSES, 365),
    PartnerType.INSURER: PartnerTypePolicy(
        frozenset(
            {
                Scope.GRADE,
                Scope.SCORE,
                Scope.REASON_CODES,
                Scope.IDENTITY,
                Scope.CONTACT,
                Scope.DATA_SOURCES,
                Scope.CREDIT_ASSESSMENT,
            }
        ),
        frozenset({Purpose.INSURANCE_UNDERWRITING}),
        365,
    ),
    PartnerType.RENTAL: PartnerTypePolicy(
        frozenset(
            {
                Scope.GRADE,
                Scope.SCORE,
                Scope.IDENTITY,
                Scope.CONTACT,
                Scope.SPENDING_PROFILE,
                Scope.CREDIT_ASSESSMENT,
            }
        ),
        frozenset({Purpose.RENTAL_APPLICATION}),
        180,
    ),
    PartnerType.JOB_SITE: PartnerTypePolicy(
        frozenset({Scope.GRADE, Scope.IDENTITY, Scope.CONTACT}),
        frozenset({Purpose.EMPLOYMENT_SCREENING}),
        90,
    ),
    PartnerType.DATING: PartnerTypePolicy(
        frozenset({Scope.GRADE, Scope.IDENTITY}),
        frozenset({Purpose.PROFILE_VERIFICATION}),
        30,
    ),
}


def policy_for(partner_type: PartnerType) -> PartnerTypePolicy:
    return POLICIES[partner_type]
