"""A person as one partner sees them: a pairwise subject id and the fields their consent opens.

Every field below `id` is personal data and declares the one scope it belongs to
(`schema.consent_fields.scoped`). A field outside the consent resolves to null with an error at its
path naming the reason and the missing scope; the other fields still return.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

import strawberry

from domain.consent_terms import Scope
from domain.partner_reads import SubjectView
from domain.profiles import DataSource as DataSourceFacts
from domain.profiles import SocialProfile as SocialProfileFacts
from domain.profiles import SpendingProfile as SpendingProfileFacts
from domain.reports import stored_text_zh_hant
from schema.consent_fields import scoped
from schema.grade import Grade


@strawberry.type(description="One principal reason behind a grade.")
class ReasonCode:
    code: str = strawberry.field(description="Stable machine-readable reason code.")
    text: str = strawberry.field(description="The reason in plain English.")
    text_zh: str = strawberry.field(description="The reason in Simplified Chinese.")
    text_zh_hant: str | None = strawberry.field(
        default=None,
        description="The reason in Traditional Chinese (Hong Kong usage). Every score and "
        "credit-assessment reason has one; null only for a reason of a model trained on a "
        "partner's own table (codes X:...), which has none.",
    )

    @classmethod
    def of_stored(cls, reason: Mapping[str, str]) -> ReasonCode:
        """A reason as a score report stores it (domain.reports)."""
        return cls(
            code=reason["code"],
            text=reason["text_en"],
            text_zh=reason["text_zh"],
            text_zh_hant=stored_text_zh_hant(reason),
        )


@strawberry.type(description="An earlier report of the subject.")
class HistoricalReport:
    computed_at: datetime = strawberry.field(description="When that report was computed.")
    grade: Grade | None = strawberry.field(description="Its grade A-D, if it had enough data.")
    score: int | None = strawberry.field(description="Its score 300-850, if it had enough data.")


@strawberry.type(description="Who the subject is, as far as IDENTITY opens it.")
class SubjectIdentity:
    display_name: str | None = strawberry.field(description="The name the person goes by.")
    phone_verified: bool = strawberry.field(
        description="True once the person has proved control of their number with an SMS code."
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


@strawberry.type(
    description="A person as this partner sees them. Fields outside the person's consent are "
    "null, with an error at their path whose extensions carry `code` and `scope`."
)
class Subject:
    view: strawberry.Private[SubjectView]

    @strawberry.field(description="Pairwise subject id: stable for this partner, unique to it.")
    def id(self) -> strawberry.ID:
        return strawberry.ID(self.view.subject_id)

    # Public: no scope of its own, like the id. It is read off the report this read returned,
    # so a partner sees it only with a part of the report its consent covers, and never any
    # dispute's text.
    @strawberry.field(
        description="True while the person disputes a data point behind the report: weigh it "
        "accordingly. Null when this read returned no part of the report (ask it with grade, "
        "score, defaultProbability or reasonCodes)."
    )
    def disputed(self) -> bool | None:
        report = self.view.report
        return report.disputed if report else None

    @scoped(Scope.GRADE, description="READY or INSUFFICIENT_DATA.")
    def report_status(self) -> str | None:
        report = self.view.report
        return str(report.status.value) if report else None

    @scoped(Scope.GRADE, description="Credit grade A (best) to D.")
    def grade(self) -> Grade | None:
        report = self.view.report
        return Grade(report.grade.value) if report and report.grade else None

    @scoped(Scope.GRADE, description="When the current report was computed.")
    def computed_at(self) -> datetime | None:
        report = self.view.report
        return report.computed_at if report else None

    @scoped(Scope.GRADE, description="Version of the model behind the report.")
    def model_version(self) -> str | None:
        report = self.view.report
        return str(report.model_version) if report else None

    @scoped(Scope.SCORE, description="Score 300-850; higher is better.")
    def score(self) -> int | None:
        report = self.view.report
        return report.score if report else None

    @scoped(
        Scope.DEFAULT_PROBABILITY,
        description="Calibrated probability of default within 12 months.",
    )
    def default_probability(self) -> float | None:
        report = self.view.report
        return report.default_probability if report else None

    @scoped(Scope.REASON_CODES, description="Up to 4 principal reasons for the grade.")
    def reason_codes(self) -> list[ReasonCode] | None:
        report = self.view.report
        if report is None:
            return None
        return [ReasonCode.of_stored(rc) for rc in report.reason_codes]

    @scoped(Scope.SCORE_HISTORY, description="Earlier reports, newest first.")
    def score_history(self) -> list[HistoricalReport] | None:
        return [
            HistoricalReport(
                computed_at=r.computed_at,
                grade=Grade(r.grade.value) if r.grade else None,
                score=r.score,
            )
            for r in self.view.score_history
        ]

    @scoped(Scope.IDENTITY, description="Name and verification status.")
    def identity(self) -> SubjectIdentity | None:
        person = self.view.person
        return SubjectIdentity(
            display_name=person.display_name,
            phone_verified=person.phone_verified_at is not None,
        )

    @scoped(Scope.CONTACT, description="Contact details.")
    def contact(self) -> SubjectContact | None:
        return SubjectContact(phone=str(self.view.person.phone))

    @scoped(Scope.DATA_SOURCES, description="Linked accounts behind the report.")
    def data_sources(self) -> list[DataSource] | None:
        return [DataSource.of(source) for source in self.view.data_sources()]

    @scoped(Scope.SPENDING_PROFILE, description="E-commerce spend profile.")
    def spending_profile(self) -> SpendingProfile | None:
        facts = self.view.spending_profile()
        return SpendingProfile.of(facts) if facts else None

    @scoped(Scope.SOCIAL_PROFILE, description="Social-media profile.")
    def social_profile(self) -> SocialProfile | None:
        facts = self.view.social_profile()
        return SocialProfile.of(facts) if facts else None
