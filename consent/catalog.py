"""The consent vocabulary: scopes, partner types, purposes and access modes.

These names are the contract with partners and people alike; they appear in the GraphQL schema,
in grants stored in the database and in access-log entries, so a value here never changes
meaning once released.
"""

from __future__ import annotations

import enum


class Scope(enum.StrEnum):
    """A slice of a person's report that a grant opens to one partner."""

    GRADE = "GRADE"
    SCORE = "SCORE"
    DEFAULT_PROBABILITY = "DEFAULT_PROBABILITY"
    REASON_CODES = "REASON_CODES"
    SCORE_HISTORY = "SCORE_HISTORY"
    IDENTITY = "IDENTITY"
    CONTACT = "CONTACT"
    DATA_SOURCES = "DATA_SOURCES"
    SPENDING_PROFILE = "SPENDING_PROFILE"
    SOCIAL_PROFILE = "SOCIAL_PROFILE"
    # An assessment of the person for an amount: its outcome, recommended limit and reasons.
    CREDIT_ASSESSMENT = "CREDIT_ASSESSMENT"


class PartnerType(enum.StrEnum):
    BANK = "BANK"
    P2P_LENDER = "P2P_LENDER"
    INSURER = "INSURER"
    RENTAL = "RENTAL"
    JOB_SITE = "JOB_SITE"
    DATING = "DATING"


class Purpose(enum.StrEnum):
    CREDIT_APPLICATION = "CREDIT_APPLICATION"
    ACCOUNT_MANAGEMENT = "ACCOUNT_MANAGEMENT"
    INSURANCE_UNDERWRITING = "INSURANCE_UNDERWRITING"
    RENTAL_APPLICATION = "RENTAL_APPLICATION"
    EMPLOYMENT_SCREENING = "EMPLOYMENT_SCREENING"
    PROFILE_VERIFICATION = "PROFILE_VERIFICATION"


class Access(enum.StrEnum):
    """ONGOING serves any number of reads until expiry; ONE_TIME is used up by its first read."""

    ONGOING = "ONGOING"
    ONE_TIME = "ONE_TIME"
