"""The long-lived collaborators a request's use cases need, built once at start-up."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from connectors.registry import ProviderRegistry
from domain.assessment_terms import AssessmentTerms
from domain.scoring_model import ScoringModel
from domain.secret_keys import SecretKeys
from domain.sms import SmsSender
from domain.tokens import TokenService


@dataclass(frozen=True)
class Services:
    tokens: TokenService
    sms: SmsSender
    # Derives every key the use cases need (login-code hashing, encryption at rest).
    secret_keys: SecretKeys
    # Sandbox-only conveniences (fixed persona login codes) exist only when this is true.
    sandbox: bool
    allowed_countries: tuple[str, ...]
    # The promoted scoring model, loaded once per process.
    scoring: ScoringModel
    # Account-linking providers, each bound to its callback URL.
    providers: ProviderRegistry
    # Reference rates, tiers and deadlines of credit assessments.
    # How long normalised records are kept after the last sync: stated in every collection
    # notice and applied by the retention sweep (settings.retention).
    record_retention: timedelta
    assessment_terms: AssessmentTerms = field(default_factory=AssessmentTerms)
