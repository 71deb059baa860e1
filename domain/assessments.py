"""Credit assessments: a partner asks whether a person may take on an amount; ScoreLink answers.

Asking is one transaction: the input is checked first (a bad input writes nothing), the
partner's reference is locked so concurrent duplicates queue, consent is decided by the one
decision (`consent.reads`, which spends a ONE_TIME grant with a conditional update), the
request is logged, and the assessment is recorded as RECEIVED with its deadline. A STANDARD
assessment is then worked through at once: stale linked data is synced, the person re-scored
with the champion, and the figures set against the partner's appetite (`assessment_outcome`).
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

import orjson
import phonenumbers
from tortoise.backends.base.client import BaseDBAsyncClient

from consent import access_log
from consent.access_log import LogEvent
from consent.catalog import Scope
from consent.decision import ReadDecision
from consent.models import ConsentGrant
from consent.policy import policy_for
from consent.products import Product, products_for
from consent.reads import authorise_reads, authorise_result_read, people_behind
from domain.assessment_models import Assessment, AssessmentStatus, AssessmentStep, RiskAppetite
from domain.assessment_outcome import GRADES, Appetite
from domain.assessment_path import AssessmentPath
from domain.assessment_terms import AssessmentTerms
from domain.clock import Clock, utc_now
from domain.errors import DomainError
from domain.linking import AccountLinking
from domain.models import Person
from domain.money import in_cny, parse_money
from domain.partner_reads import log_record
from domain.principal import PartnerPrincipal
from domain.scoring_model import ScoringModel
from storage.transactions import retried

MAX_TERM_MONTHS = 60
MAX_REFERENCE_LENGTH = 200
_SUBJECT_ID_MAX_LENGTH = 64
# An instalment of ten months' spending is past any sane appetite: a typo, refused.
MAX_INSTALMENT_TO_SPEND = 10.0


class AssessmentRefused(DomainError):
    """A request for an assessment was refused; nothing about it was written."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class AssessmentAsked:
    subject_id: str
    value: str
    currency: str
    product: str
    term_months: int
    reference: str


@dataclass(frozen=True)
class Checked:
    """An asked assessment whose every field is valid, with its tier and fingerprint."""

    asked: AssessmentAsked
    amount: Decimal
    amount_cny: Decimal
    product: Product
    input_hash: str


def _fingerprint(asked: AssessmentAsked, amount: Decimal) -> str:
    # The amount as a number, so "100" and "100.00" are the same input.
    canonical = {
        "subject_id": asked.subject_id,
        "amount": str(amount.normalize()),
        "currency": asked.currency,
        "product": asked.product,
        "term_months": asked.term_months,
    }
    return hashlib.sha256(orjson.dumps(canonical, option=orjson.OPT_SORT_KEYS)).hexdigest()


def check(partner: PartnerPrincipal, asked: AssessmentAsked, terms: AssessmentTerms) -> Checked:
    """Every refusal that needs no database, in the order a partner would fix them."""
    if Scope.CREDIT_ASSESSMENT not in policy_for(partner.partner_type).ceiling:
        raise AssessmentRefused(
            "NOT_PERMITTED_FOR_PARTNER_TYPE",
            f"A {partner.partner_type.value} partner cannot ask for credit assessments.",
        )
    if (
        not asked.reference
        or len(asked.reference) > MAX_REFERENCE_LENGTH
        or "\x00" in (asked.reference)
    ):
        raise AssessmentRefused(
            "INVALID_REFERENCE", f"reference must be 1 to {MAX_REFERENCE_LENGTH} characters"
        )
    allowed = products_for(partner.partner_type)
    if asked.product not in {p.value for p in allowed}:
        raise AssessmentRefused(
            "PRODUCT_NOT_ALLOWED",
            f"A {partner.partner_type.value} partner may ask for "
            f"{', '.join(sorted(p.value for p in allowed))}.",
        )
    if not 1 <= asked.term_months <= MAX_TERM_MONTHS:
        raise AssessmentRefused("INVALID_TERM", f"termMonths must be 1 to {MAX_TERM_MONTHS}")
    try:
        money = parse_money(asked.value, asked.currency)
    except DomainError as refusal:
        raise AssessmentRefused(refusal.code, str(refusal)) from None
    amount_cny = in_cny(money, terms.cny_rates)
    if amount_cny > terms.max_amount_cny:
        raise AssessmentRefused(
            "AMOUNT_ABOVE_MAXIMUM",
            f"The amount is above the maximum of CNY {terms.max_amount_cny:,} "
            "at the reference rate.",
        )
    return Checked(
        asked, money.value, amount_cny, Product(asked.product), _fingerprint(asked, money.value)
    )


@dataclass(frozen=True)
class Requested:
    assessment: Assessment
    decision: ReadDecision
    steps: list[AssessmentStep] = field(default_factory=list)
    # True for the request that recorded it; a replay of its reference is False.
    created: bool = False


class Assessments:
    def __init__(
        self,
        terms: AssessmentTerms,
        scoring: ScoringModel,
        linking: AccountLinking,
        clock: Clock = utc_now,
    ) -> None:
        self._terms = terms
        self._clock = clock
        self._path = AssessmentPath(terms, scoring, linking, clock)

    async def request(
        self,
        partner: PartnerPrincipal,
        asked: AssessmentAsked,
        result_scopes: frozenset[Scope],
        request_id: str | None,
    ) -> Requested:
        """Record the request, or return the one already recorded under its reference.

        `result_scopes` are the scopes of the result fields the caller will read; the request
        needs CREDIT_ASSESSMENT whatever is read.
        """
        checked = check(partner, asked, self._terms)
        now = self._clock()
        asked_scopes = result_scopes | {Scope.CREDIT_ASSESSMENT}

        async def work(connection: BaseDBAsyncClient) -> Requested | AssessmentRefused:
            await _lock_reference(partner.partner_id, asked.reference, connection)
            existing = (
                await Assessment.filter(partner_id=partner.partner_id, reference=asked.reference)
                .using_db(connection)
                .first()
            )
            if existing is not None:
                if existing.input_hash != checked.input_hash:
                    return AssessmentRefused(
                        "IDEMPOTENCY_CONFLICT",
                        "This reference was used for a different assessment.",
                    )
                decision = await _result_decision(partner, existing, asked_scopes, now, connection)
                replayed = log_record(
                    LogEvent.READ if decision.returned_scopes else LogEvent.READ_DENIED,
                    partner,
                    existing.subject_id,
                    existing.person_id,
                    decision,
                    asked_scopes,
                    request_id,
                    now,
                )
                await access_log.append([replayed], connection)
                return Requested(existing, decision)
            if len(asked.subject_id) > _SUBJECT_ID_MAX_LENGTH or "\x00" in asked.subject_id:
                people = {}
            else:
                people = await people_behind(partner.partner_id, [asked.subject_id], connection)
            if asked.subject_id not in people:
                return AssessmentRefused("NOT_FOUND", "no subject with this id")
            person_id = people[asked.subject_id]
            person = await Person.filter(id=person_id).using_db(connection).get()
            tier = self._terms.tier(checked.amount_cny, _region(person.phone))
            decision = (
                await authorise_reads(
                    partner.partner_id,
                    partner.partner_type,
                    [person_id],
                    asked_scopes,
                    now,
                    connection,
                )
            )[person_id]
            serving = decision.allowed.get(Scope.CREDIT_ASSESSMENT)
            if serving is None:
                # The refusal is logged (the person sees the attempt); nothing else is written.
                denied = log_record(
                    LogEvent.READ_DENIED,
                    partner,
                    asked.subject_id,
                    person_id,
                    decision,
                    asked_scopes,
                    request_id,
                    now,
                )
                await access_log.append([denied], connection)
                return AssessmentRefused(
                    decision.denied[Scope.CREDIT_ASSESSMENT].value,
                    "The person's consent does not cover a credit assessment for this partner.",
                )
            assessment = await Assessment.create(
                using_db=connection,
                partner_id=partner.partner_id,
                person_id=person_id,
                subject_id=asked.subject_id,
                reference=asked.reference,
                input_hash=checked.input_hash,
                amount=checked.amount,
                currency=asked.currency,
                amount_cny=checked.amount_cny,
                product=checked.product,
                term_months=asked.term_months,
                tier=tier,
                status=AssessmentStatus.RECEIVED,
                grant_id=serving.id,
                received_at=now,
                due_by=now + self._terms.deadline(tier),
            )
            await AssessmentStep.create(
                using_db=connection,
                assessment_id=assessment.id,
                status=AssessmentStatus.RECEIVED,
                at=now,
            )
            requested = log_record(
                LogEvent.ASSESSMENT_REQUESTED,
                partner,
                asked.subject_id,
                person_id,
                decision,
                asked_scopes,
                request_id,
                now,
            )
            await access_log.append([requested], connection)
            return Requested(assessment, decision, created=True)

        outcome = await retried(work)
        if isinstance(outcome, AssessmentRefused):
            raise outcome
        if outcome.created:
            await self._path.work_through(outcome.assessment)
        steps = await AssessmentStep.filter(assessment_id=outcome.assessment.id).order_by(
            "at", "id"
        )
        return Requested(outcome.assessment, outcome.decision, steps)


async def set_appetite(
    partner: PartnerPrincipal, product: str, appetite: Appetite, clock: Clock = utc_now
) -> Appetite:
    """The partner's limits for one of its products; later assessments are set against them."""
    allowed = {p.value for p in products_for(partner.partner_type)}
    if product not in allowed:
        raise AssessmentRefused(
            "PRODUCT_NOT_ALLOWED", f"A {partner.partner_type.value} partner does not offer it."
        )
    if not 0 < appetite.max_term_default_probability <= 1:
        raise AssessmentRefused("INVALID_APPETITE", "maxTermDefaultProbability must be in (0, 1]")
    if appetite.min_grade not in GRADES:
        raise AssessmentRefused("INVALID_APPETITE", "minGrade must be A, B, C or D")
    if not 0 < appetite.max_instalment_to_spend <= MAX_INSTALMENT_TO_SPEND:
        raise AssessmentRefused(
            "INVALID_APPETITE", f"maxInstalmentToSpend must be in (0, {MAX_INSTALMENT_TO_SPEND}]"
        )
    await RiskAppetite.update_or_create(
        partner_id=partner.partner_id,
        product=Product(product),
        defaults={
            "max_term_default_probability": appetite.max_term_default_probability,
            "min_grade": appetite.min_grade,
            "max_instalment_to_spend": appetite.max_instalment_to_spend,
            "updated_at": clock(),
        },
    )
    return appetite


def _region(phone: str) -> str | None:
    return phonenumbers.region_code_for_number(phonenumbers.parse(phone))


async def _lock_reference(
    partner_id: uuid.UUID, reference: str, connection: BaseDBAsyncClient
) -> None:
    """Queue concurrent requests with one reference, so the second finds the first's answer.

    SQLite's writing transaction already holds the database's write lock; PostgreSQL takes a
    transaction-scoped advisory lock named by the partner and reference.
    """
    if connection.capabilities.dialect != "postgres":
        return
    digest = hashlib.sha256(f"{partner_id}:{reference}".encode()).digest()
    key = int.from_bytes(digest[:8], "big", signed=True)
    await connection.execute_query("SELECT pg_advisory_xact_lock($1)", [key])


async def _result_decision(
    partner: PartnerPrincipal,
    assessment: Assessment,
    asked: frozenset[Scope],
    now: datetime,
    connection: BaseDBAsyncClient,
) -> ReadDecision:
    grants = await ConsentGrant.filter(
        partner_id=partner.partner_id, person_id=assessment.person_id
    ).using_db(connection)
    return authorise_result_read(partner.partner_type, grants, asked, assessment.grant_id, now)
