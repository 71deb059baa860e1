"""The consent vocabulary as GraphQL enums, each value described for partners and people."""

from __future__ import annotations

import enum

import strawberry

from domain.consent_terms import Access as AccessValue
from domain.consent_terms import PartnerType as PartnerTypeValue
from domain.consent_terms import Purpose as PurposeValue
from domain.consent_terms import Scope as ScopeValue


@strawberry.enum(description="A slice of a person's report that a consent opens to a partner.")
class Scope(enum.Enum):
    GRADE = strawberry.enum_value(
        "GRADE", description="Report status, grade A-D, when it was computed, model version."
    )
    SCORE = strawberry.enum_value("SCORE", description="The numeric score, 300-850.")
    DEFAULT_PROBABILITY = strawberry.enum_value(
        "DEFAULT_PROBABILITY", description="The calibrated probability of default in 12 months."
    )
    REASON_CODES = strawberry.enum_value(
        "REASON_CODES", description="Up to 4 principal reasons behind the grade."
    )
    SCORE_HISTORY = strawberry.enum_value(
        "SCORE_HISTORY", description="Earlier reports: date, grade and score."
    )
    IDENTITY = strawberry.enum_value(
        "IDENTITY", description="Display name, phone verified, real-name verified."
    )
    CONTACT = strawberry.enum_value("CONTACT", description="The full mobile number.")
    DATA_SOURCES = strawberry.enum_value(
        "DATA_SOURCES", description="Kinds of linked accounts, their ages and last sync."
    )
    SPENDING_PROFILE = strawberry.enum_value(
        "SPENDING_PROFILE",
        description="E-commerce spend band, order frequency, on-time repayment rate.",
    )
    SOCIAL_PROFILE = strawberry.enum_value(
        "SOCIAL_PROFILE", description="Social account age, audience band, activity level."
    )
    CREDIT_ASSESSMENT = strawberry.enum_value(
        "CREDIT_ASSESSMENT",
        description="Assessments for an amount: outcome, recommended limit and reason codes.",
    )

    def domain(self) -> ScopeValue:
        return ScopeValue(self.name)


@strawberry.enum(description="The kind of organisation a partner is; it caps what it may hold.")
class PartnerType(enum.Enum):
    BANK = strawberry.enum_value("BANK", description="A licensed bank.")
    P2P_LENDER = strawberry.enum_value("P2P_LENDER", description="A peer-to-peer lender.")
    INSURER = strawberry.enum_value("INSURER", description="An insurance company.")
    RENTAL = strawberry.enum_value("RENTAL", description="A house or car rental agency.")
    JOB_SITE = strawberry.enum_value("JOB_SITE", description="A recruitment site.")
    DATING = strawberry.enum_value("DATING", description="A dating site.")

    def domain(self) -> PartnerTypeValue:
        return PartnerTypeValue(self.name)


@strawberry.enum(description="Why a partner reads; each partner type has its own purposes.")
class Purpose(enum.Enum):
    CREDIT_APPLICATION = strawberry.enum_value(
        "CREDIT_APPLICATION", description="Deciding a loan or card application (banks, lenders)."
    )
    ACCOUNT_MANAGEMENT = strawberry.enum_value(
        "ACCOUNT_MANAGEMENT", description="Managing an existing credit account (banks, lenders)."
    )
    INSURANCE_UNDERWRITING = strawberry.enum_value(
        "INSURANCE_UNDERWRITING", description="Pricing or accepting an insurance policy."
    )
    RENTAL_APPLICATION = strawberry.enum_value(
        "RENTAL_APPLICATION", description="Deciding a house or car rental application."
    )
    EMPLOYMENT_SCREENING = strawberry.enum_value(
        "EMPLOYMENT_SCREENING", description="Screening a job applicant."
    )
    PROFILE_VERIFICATION = strawberry.enum_value(
        "PROFILE_VERIFICATION", description="Verifying a dating profile."
    )

    def domain(self) -> PurposeValue:
        return PurposeValue(self.name)


@strawberry.enum(description="How often a consent may be used.")
class Access(enum.Enum):
    ONGOING = strawberry.enum_value(
        "ONGOING", description="Any number of reads until the consent expires."
    )
    ONE_TIME = strawberry.enum_value(
        "ONE_TIME", description="The first successful read uses the consent up."
    )

    def domain(self) -> AccessValue:
        return AccessValue(self.name)


@strawberry.enum(description="Where a consent stands now.")
class ConsentStatus(enum.Enum):
    ACTIVE = strawberry.enum_value("ACTIVE", description="In force: reads are served.")
    EXPIRED = strawberry.enum_value("EXPIRED", description="Past its end date.")
    USED_UP = strawberry.enum_value(
        "USED_UP", description="A one-time consent whose single read has happened."
    )
    REVOKED = strawberry.enum_value("REVOKED", description="Withdrawn by the person.")


@strawberry.enum(description="Where a partner's request for consent stands.")
class ConsentRequestStatus(enum.Enum):
    PENDING = strawberry.enum_value("PENDING", description="Waiting for the person.")
    APPROVED = strawberry.enum_value("APPROVED", description="The person granted consent.")
    DENIED = strawberry.enum_value("DENIED", description="The person declined.")
    EXPIRED = strawberry.enum_value("EXPIRED", description="Not answered within 7 days.")


@strawberry.enum(description="What a consent allows.")
class ConsentKind(enum.Enum):
    COLLECT = strawberry.enum_value(
        "COLLECT",
        description="ScoreLink may collect a linked account's data to score the person; given "
        "when linking, separate from any consent to share.",
    )
    SHARE = strawberry.enum_value(
        "SHARE", description="A partner may read the scopes it names from the person's report."
    )
