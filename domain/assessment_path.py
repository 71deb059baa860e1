"""Working an assessment through: fresh data, the scores, the figures, then an answer.

- STANDARD: linked data older than 24 hours is synced, the champion scores, the figures are set
  against the partner's appetite (`assessment_outcome`), and the assessment is COMPLETED.
- EXTENDED: every linked account is synced now, and both kinds of source are required: without
  a social and an e-commerce account the assessment is WAITING_FOR_PERSON, its deadline paused,
  until the person links what is missing (`resume_for`, called by the link flow). The challenger
  scores as well; a disagreement above the margin, an amount above the review threshold or a
  REFER sends it to a credit analyst (IN_REVIEW, `domain.reviews`), otherwise it completes.

Each status change is one transaction with its timeline step and its event (the outbox rule).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from decimal import ROUND_DOWN, Decimal

from tortoise.backends.base.client import BaseDBAsyncClient

from domain import change_events
from domain.assessment_deadlines import SLA_BREACHED
from domain.assessment_models import (
    Assessment,
    AssessmentReview,
    AssessmentStatus,
    AssessmentStep,
    Outcome,
    RiskAppetite,
)
from domain.assessment_outcome import DEFAULT_APPETITE, Appetite, Figures, assess
from domain.assessment_terms import AssessmentTerms, Tier
from domain.clock import Clock, utc_now
from domain.linking import AccountLinking
from domain.models import AccountKind, LinkedAccount, LinkStatus, ScoreReport
from domain.money import MINOR_UNITS
from domain.reports import applicant_data, rescore
from domain.scoring_model import ModelUnavailable, ScoringModel
from domain.services import Services
from scoring_engine.second_opinion import second_opinion
from storage.transactions import writing

# Linked data older than this is synced before a STANDARD assessment scores.
STALE_AFTER = timedelta(hours=24)
# What an EXTENDED assessment needs linked, and the task the person is shown for each.
REQUIRED_SOURCES = (AccountKind.SOCIAL, AccountKind.ECOMMERCE)
TASKS = {
    AccountKind.SOCIAL: "Link a social media account",
    AccountKind.ECOMMERCE: "Link an e-commerce account",
}

# Why an EXTENDED assessment goes to a credit analyst.
MODELS_DISAGREE = "MODELS_DISAGREE"
AMOUNT_ABOVE_REVIEW_THRESHOLD = "AMOUNT_ABOVE_REVIEW_THRESHOLD"
OUTCOME_REFER = "OUTCOME_REFER"
NO_SECOND_OPINION = "NO_SECOND_OPINION"

Announce = Callable[[BaseDBAsyncClient], Awaitable[None]]


class AssessmentPath:
    def __init__(
        self,
        terms: AssessmentTerms,
        scoring: ScoringModel,
        linking: AccountLinking,
        clock: Clock = utc_now,
    ) -> None:
        self._terms = terms
        self._scoring = scoring
        self._linking = linking
        self._clock = clock

    @classmethod
    def from_services(cls, services: Services, clock: Clock = utc_now) -> AssessmentPath:
        return cls(
            services.assessment_terms,
            services.scoring,
            AccountLinking.from_services(services, clock),
            clock,
        )

    async def work_through(self, assessment: Assessment) -> None:
        await self._step(assessment, AssessmentStatus.COLLECTING_DATA)
        await self._collect_and_answer(assessment)

    async def resume_for(self, person_id: uuid.UUID) -> int:
        """Resume the person's assessments that waited for an account they have now linked;
        return how many resumed. Safe to call twice at once: one caller takes each."""
        resumed = 0
        missing = await missing_sources(person_id)
        for waiting in await Assessment.filter(
            person_id=person_id, status=AssessmentStatus.WAITING_FOR_PERSON
        ):
            if missing:
                continue
            now = self._clock()
            assert waiting.paused_at is not None  # noqa: S101 - set whenever it waits
            waited = now - waiting.paused_at
            due_by = waiting.due_by + waited
            async with writing() as connection:
                taken = (
                    await Assessment.filter(
                        id=waiting.id, status=AssessmentStatus.WAITING_FOR_PERSON
                    )
                    .using_db(connection)
                    .update(
                        status=AssessmentStatus.COLLECTING_DATA,
                        due_by=due_by,
                        paused_at=None,
                        waiting_for=[],
                    )
                )
                if not taken:
                    continue
                await AssessmentStep.create(
                    using_db=connection,
                    assessment_id=waiting.id,
                    status=AssessmentStatus.COLLECTING_DATA,
                    at=now,
                    note=f"resumed; dueBy moved on by the {_minutes(waited)} waited",
                )
            resumed += 1
            await self._collect_and_answer(await Assessment.get(id=waiting.id))
        return resumed

    async def _collect_and_answer(self, assessment: Assessment) -> None:
        extended = assessment.tier is Tier.EXTENDED
        # EXTENDED: every linked account now; STANDARD: only data older than a day.
        synced_before = self._clock() if extended else self._clock() - STALE_AFTER
        # No re-score there: the assessment scores right after (a waiting one when the person
        # links, which re-scores too).
        failures = await self._linking.sync_stale(
            assessment.person_id, synced_before, rescore=False
        )
        if extended:
            missing = await missing_sources(assessment.person_id)
            if missing:
                await self._wait_for_person(assessment, missing)
                return
        await self._step(
            assessment,
            AssessmentStatus.SCORING,
            note=f"sync failed: {', '.join(failures)}" if failures else None,
        )
        report: ScoreReport | None
        try:
            model = await self._scoring.get()
            report = await rescore(assessment.person_id, model, self._clock)
        except ModelUnavailable:
            model, report = None, None
        accounts = await LinkedAccount.filter(
            person_id=assessment.person_id, status=LinkStatus.LINKED
        )
        now = self._clock()
        figures = assess(
            report.grade.value if report and report.grade else None,
            report.default_probability if report else None,
            _monthly_spend(accounts, now),
            assessment.amount_cny,
            assessment.term_months,
            await appetite_of(assessment.partner_id, assessment.product),
        )
        self._record_figures(assessment, figures, report)
        if not extended:
            await self.complete(assessment, now)
            return
        assessment.champion_default_probability = report.default_probability if report else None
        if model is not None and report is not None and report.default_probability is not None:
            try:
                challenger = await self._scoring.challenger(model)
            except ModelUnavailable:
                challenger = None
            if challenger is not None:
                assessment.challenger_default_probability = second_opinion(
                    model, challenger, applicant_data(accounts, now.date())
                )
        reasons = self.review_reasons(assessment, figures.outcome)
        if not reasons:
            await self.complete(assessment, now)
            return
        assessment.review_reasons = reasons

        async def queue(connection: BaseDBAsyncClient) -> None:
            await AssessmentReview.create(
                using_db=connection,
                assessment_id=assessment.id,
                queued_at=now,
                due_by=assessment.due_by,
                recommended_outcome=figures.outcome,
                recommended_limit=assessment.recommended_limit,
            )

        await self._step(
            assessment,
            AssessmentStatus.IN_REVIEW,
            note=f"to a credit analyst: {', '.join(reasons)}",
            fields=[*_FIGURE_FIELDS, *_EXTENDED_FIELDS],
            announce=queue,
        )

    def review_reasons(self, assessment: Assessment, outcome: Outcome) -> list[str]:
        reasons = []
        champion = assessment.champion_default_probability
        challenger = assessment.challenger_default_probability
        if champion is not None and challenger is None:
            reasons.append(NO_SECOND_OPINION)
        if (
            champion is not None
            and challenger is not None
            # To the millionth, as term PDs are: float noise must not tip a tie over the margin.
            and round(abs(champion - challenger), 6) > self._terms.review_pd_margin
        ):
            reasons.append(MODELS_DISAGREE)
        if assessment.amount_cny > self._terms.review_from_cny:
            reasons.append(AMOUNT_ABOVE_REVIEW_THRESHOLD)
        if outcome is Outcome.REFER:
            reasons.append(OUTCOME_REFER)
        return reasons

    def _record_figures(
        self, assessment: Assessment, figures: Figures, report: ScoreReport | None
    ) -> None:
        limit = figures.recommended_limit_cny
        assessment.outcome = figures.outcome
        assessment.reason_codes = list(figures.reasons)
        assessment.term_default_probability = figures.term_default_probability
        assessment.monthly_instalment_cny = figures.monthly_instalment_cny
        assessment.instalment_to_spend = figures.instalment_to_spend
        assessment.recommended_limit = (
            from_cny(limit, assessment.currency, self._terms) if limit is not None else None
        )
        assessment.grade = report.grade.value if report and report.grade else None
        assessment.model_version = report.model_version if report else None

    async def complete(self, assessment: Assessment, now: datetime) -> None:
        async with writing() as connection:
            await record_completion(assessment, now, connection)

    async def _wait_for_person(self, assessment: Assessment, missing: list[AccountKind]) -> None:
        now = self._clock()
        assessment.waiting_for = [kind.value for kind in missing]
        assessment.paused_at = now

        async def waiting(connection: BaseDBAsyncClient) -> None:
            await change_events.assessment_waiting(
                assessment.partner_id,
                assessment.subject_id,
                assessment.person_id,
                assessment.id,
                now,
                connection,
            )

        # The note does not say which kind is missing: the partner reads the timeline, and what
        # a person has linked is DATA_SOURCES, which it may not hold. The person sees the task.
        await self._step(
            assessment,
            AssessmentStatus.WAITING_FOR_PERSON,
            note="dueBy paused: waiting for the person to link an account",
            fields=["waiting_for", "paused_at"],
            announce=waiting,
            at=now,
        )

    async def _step(
        self,
        assessment: Assessment,
        status: AssessmentStatus,
        note: str | None = None,
        fields: list[str] | None = None,
        announce: Announce | None = None,
        at: datetime | None = None,
    ) -> None:
        async with writing() as connection:
            await record_step(
                assessment, status, at or self._clock(), connection, note, fields, announce
            )


async def record_step(
    assessment: Assessment,
    status: AssessmentStatus,
    at: datetime,
    connection: BaseDBAsyncClient,
    note: str | None = None,
    fields: list[str] | None = None,
    announce: Announce | None = None,
) -> None:
    """The new status, its timeline step and its events, in the caller's transaction."""
    assessment.status = status
    await assessment.save(using_db=connection, update_fields=["status", *(fields or [])])
    await AssessmentStep.create(
        using_db=connection, assessment_id=assessment.id, status=status, at=at, note=note
    )
    if announce is not None:
        await announce(connection)


async def record_completion(
    assessment: Assessment, now: datetime, connection: BaseDBAsyncClient, note: str | None = None
) -> None:
    """COMPLETED with its figures, the late mark if past `dueBy`, and the partner's event."""
    assessment.completed_at = now
    late = now > assessment.due_by
    if late and assessment.sla_breached_at is None:
        assessment.sla_breached_at = now

    async def completed(connection: BaseDBAsyncClient) -> None:
        await change_events.assessment_completed(
            assessment.partner_id, assessment.subject_id, assessment.id, now, connection
        )

    notes = [n for n in (note, SLA_BREACHED if late else None) if n]
    await record_step(
        assessment,
        AssessmentStatus.COMPLETED,
        now,
        connection,
        note="; ".join(notes) or None,
        fields=["sla_breached_at", "completed_at", *_FIGURE_FIELDS, *_EXTENDED_FIELDS],
        announce=completed,
    )


_FIGURE_FIELDS = [
    "outcome",
    "reason_codes",
    "term_default_probability",
    "monthly_instalment_cny",
    "instalment_to_spend",
    "recommended_limit",
    "grade",
    "model_version",
]
_EXTENDED_FIELDS = [
    "champion_default_probability",
    "challenger_default_probability",
    "review_reasons",
]


async def missing_sources(person_id: uuid.UUID) -> list[AccountKind]:
    """The kinds of source an EXTENDED assessment needs that the person has not linked."""
    linked = {
        account.kind
        for account in await LinkedAccount.filter(person_id=person_id, status=LinkStatus.LINKED)
        if account.normalised_record
    }
    return [kind for kind in REQUIRED_SOURCES if kind not in linked]


async def appetite_of(partner_id: uuid.UUID, product: str) -> Appetite:
    row = await RiskAppetite.get_or_none(partner_id=partner_id, product=product)
    if row is None:
        return DEFAULT_APPETITE
    return Appetite(
        max_term_default_probability=row.max_term_default_probability,
        min_grade=row.min_grade,
        max_instalment_to_spend=row.max_instalment_to_spend,
    )


def _monthly_spend(accounts: list[LinkedAccount], now: datetime) -> float | None:
    """Average monthly e-commerce spend in CNY over the last 12 months, if any is linked."""
    ecommerce = applicant_data(accounts, now.date()).ecommerce
    if ecommerce is None:
        return None
    months = ecommerce.spend_per_month
    return sum(months) / len(months) if months else None


def from_cny(amount_cny: Decimal, currency: str, terms: AssessmentTerms) -> Decimal:
    """CNY back into the asked currency, rounded down to its minor unit (never above)."""
    step = Decimal(1).scaleb(-MINOR_UNITS[currency])
    return (amount_cny / terms.cny_rates[currency]).quantize(step, rounding=ROUND_DOWN)


def _minutes(span: timedelta) -> str:
    minutes = int(span.total_seconds() // 60)
    return f"{minutes} minute" + ("" if minutes == 1 else "s")
