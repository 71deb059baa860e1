"""A person as one partner sees them: a pairwise subject id and the fields their consent opens.

Every field below `id` is personal data and belongs to exactly one scope (see
`consent.field_catalog`). A field outside the consent resolves to null with an error at its
path naming the reason and the missing scope; the other fields still return.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

import strawberry
from graphql import GraphQLError

from consent.catalog import Scope
from domain.models import ScoreReport
from domain.partner_reads import ScopeDenied, SubjectView
from domain.profiles import DataSource as DataSourceFacts
from domain.profiles import SocialProfile as SocialProfileFacts
from domain.profiles import SpendingProfile as SpendingProfileFacts

T = TypeVar("T")


def _shown(read: Callable[[], T]) -> T:
    """Run one accessor of the read; a denial becomes the documented field error."""
    try:
        return read()
    except ScopeDenied as denied:
        raise GraphQLError(
            f"Consent does not cover {denied.scope.value}: {denied.reason.value}",
            extensions={"code": denied.reason.value, "scope": denied.scope.value},
        ) from None


@strawberry.type(description="One principal reason behind a grade.")
class ReasonCode:
    code: str = strawberry.field(description="Stable machine-readable reason code.")
    text: str = strawberry.field(description="The reason in plain English.")
    text_zh: str = strawberry.field(description="The reason in Simplified Chinese.")


@strawberry.type(description="An earlier report of the subject.")
class HistoricalReport:
    computed_at: datetime = strawberry.field(description="When that report was computed.")
    grade: str | None = strawberry.field(description="Its grade A-D, if it had enough data.")
    score: int | None = strawberry.field(description="Its score 300-850, if it had enough data.")


@strawberry.type(description="Who the subject is, as far as IDENTITY opens it.")
class SubjectIdentity:
    display_name: str | None = strawberry.field(description="The name the person goes by.")
    phone_verified: bool = strawberry.field(
        description="True: the person proved control of their number with an SMS code."
    )
    real_name_verified: bool = strawberry.field(
        description="True when the person's legal name was verified."
    )


@strawberry.type(description="How to reach the subject (CONTACT).")
class SubjectContact:
    phone: str = strawberry.field(description="Mobile number in E.164 form.")


@strawberry.type(description="One linked account behind the report (DATA_SOURCES).")
class DataSource:
    kind: str = strawberry.field(description="SOCIAL or ECOMMERCE.")
    provider: str = strawberry.field(description="The provider's name, e.g. sandbox-social.")
    account_age_months: int | None = strawberry.field(
        description="Months since the account was opened at the provider."
    )
    last_synced_at: datetime | None = strawberry.field(
        description="When ScoreLink last fetched the account's data."
    )

    @classmethod
    def of(cls, facts: DataSourceFacts) -> DataSource:
        return cls(
            kind=facts.kind.value,
            provider=facts.provider,
            account_age_months=facts.account_age_months,
            last_synced_at=facts.last_synced_at,
        )


@strawberry.type(description="E-commerce behaviour in coarse bands (SPENDING_PROFILE).")
class SpendingProfile:
    spend_band: str = strawberry.field(
        description="Average monthly spend in CNY: UNDER_500, 500_TO_2000, 2000_TO_8000, OVER_8000."
    )
    orders_per_month: float = strawberry.field(description="Average orders per month.")
    on_time_repayment_rate: float | None = strawberry.field(
        description="Share of instalments repaid on time, 0-1; null without instalments."
    )

    @classmethod
    def of(cls, facts: SpendingProfileFacts) -> SpendingProfile:
        return cls(
            spend_band=facts.spend_band,
            orders_per_month=facts.orders_per_month,
            on_time_repayment_rate=facts.on_time_repayment_rate,
        )


@strawberry.type(description="Social-media behaviour in coarse bands (SOCIAL_PROFILE).")
class SocialProfile:
    account_age_months: int = strawberry.field(description="Months since the account opened.")
    audience_band: str = strawberry.field(
        description="Followers: UNDER_100, 100_TO_1000, 1000_TO_10000, OVER_10000."
    )
    activity_level: str = strawberry.field(
        description="Posts per month: DORMANT, OCCASIONAL, REGULAR, VERY_ACTIVE."
    )

    @classmethod
    def of(cls, facts: SocialProfileFacts) -> SocialProfile:
        return cls(
            account_age_months=facts.account_age_months,
            audience_band=facts.audience_band,
            activity_level=facts.activity_level,
        )


def _report_value(view: SubjectView, scope: Scope, pick: Callable[[ScoreReport], T]) -> T | None:
    report = _shown(lambda: view.report_for(scope))
    return pick(report) if report is not None else None


@strawberry.type(
    description="A person as this partner sees them. Fields outside the person's consent are "
    "null, with an error at their path whose extensions carry `code` and `scope`."
)
class Subject:
    view: strawberry.Private[SubjectView]

    @strawberry.field(description="Pairwise subject id: stable for this partner, unique to it.")
    def id(self) -> strawberry.ID:
        return strawberry.ID(self.view.subject_id)

    @strawberry.field(description="READY or INSUFFICIENT_DATA. Scope: GRADE.")
    def report_status(self) -> str | None:
        return _report_value(self.view, Scope.GRADE, lambda r: str(r.status.value))

    @strawberry.field(description="Credit grade A (best) to D. Scope: GRADE.")
    def grade(self) -> str | None:
        return _report_value(self.view, Scope.GRADE, lambda r: r.grade.value if r.grade else None)

    @strawberry.field(description="When the current report was computed. Scope: GRADE.")
    def computed_at(self) -> datetime | None:
        return _report_value(self.view, Scope.GRADE, lambda r: r.computed_at)

    @strawberry.field(description="Version of the model behind the report. Scope: GRADE.")
    def model_version(self) -> str | None:
        return _report_value(self.view, Scope.GRADE, lambda r: str(r.model_version))

    @strawberry.field(description="Score 300-850; higher is better. Scope: SCORE.")
    def score(self) -> int | None:
        return _report_value(self.view, Scope.SCORE, lambda r: r.score)

    @strawberry.field(
        description="Calibrated probability of default within 12 months. "
        "Scope: DEFAULT_PROBABILITY."
    )
    def default_probability(self) -> float | None:
        return _report_value(self.view, Scope.DEFAULT_PROBABILITY, lambda r: r.default_probability)

    @strawberry.field(description="Up to 4 principal reasons for the grade. Scope: REASON_CODES.")
    def reason_codes(self) -> list[ReasonCode] | None:
        return _report_value(
            self.view,
            Scope.REASON_CODES,
            lambda r: [
                ReasonCode(code=rc["code"], text=rc["text_en"], text_zh=rc["text_zh"])
                for rc in r.reason_codes
            ],
        )

    @strawberry.field(description="Earlier reports, newest first. Scope: SCORE_HISTORY.")
    def score_history(self) -> list[HistoricalReport] | None:
        return [
            HistoricalReport(
                computed_at=r.computed_at, grade=r.grade.value if r.grade else None, score=r.score
            )
            for r in _shown(self.view.score_history)
        ]

    @strawberry.field(description="Name and verification status. Scope: IDENTITY.")
    def identity(self) -> SubjectIdentity | None:
        person = _shown(self.view.identity)
        return SubjectIdentity(
            display_name=person.display_name,
            phone_verified=True,
            real_name_verified=person.real_name_verified,
        )

    @strawberry.field(description="Contact details. Scope: CONTACT.")
    def contact(self) -> SubjectContact | None:
        return SubjectContact(phone=_shown(self.view.contact_phone))

    @strawberry.field(description="Linked accounts behind the report. Scope: DATA_SOURCES.")
    def data_sources(self) -> list[DataSource] | None:
        return [DataSource.of(source) for source in _shown(self.view.data_sources)]

    @strawberry.field(description="E-commerce spend profile. Scope: SPENDING_PROFILE.")
    def spending_profile(self) -> SpendingProfile | None:
        facts = _shown(self.view.spending_profile)
        return SpendingProfile.of(facts) if facts else None

    @strawberry.field(description="Social-media profile. Scope: SOCIAL_PROFILE.")
    def social_profile(self) -> SocialProfile | None:
        facts = _shown(self.view.social_profile)
        return SocialProfile.of(facts) if facts else None
