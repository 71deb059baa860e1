"""Credit assessments over GraphQL: a partner asks and reads; the person sees who asked.

The request, amount, product, term, status and timeline are the partner's own question and
always visible to it. The answer (outcome, limit, reasons, term PD, affordability) is the
person's data and declares its scopes at the field, like `Subject`.
"""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal
from typing import Annotated

import strawberry
from graphql import GraphQLError

from domain.assessment_models import AssessmentStatus as AssessmentStatusValue
from domain.assessment_outcome import DEFAULT_APPETITE, REASONS, Appetite
from domain.assessment_path import TASKS
from domain.assessment_reads import AssessmentView, PersonsAssessment
from domain.assessments import AssessmentAsked
from domain.consent_terms import Scope
from domain.errors import DomainError
from domain.models import AccountKind as LinkedKind
from domain.money import MINOR_UNITS
from domain.partner_reads import MAX_PAGE_SIZE
from resolvers import assessments
from resolvers.asked_scopes import asked_scopes
from resolvers.context import Info
from resolvers.errors import field_error
from schema.access_log import AccessLogPartner, partner_card
from schema.consent_fields import scoped
from schema.report import AccountKind
from schema.subject import ReasonCode


def decimal_string(value: Decimal, currency: str) -> str:
    return str(value.quantize(Decimal(1).scaleb(-MINOR_UNITS[currency])))


@strawberry.enum(description="What a partner may ask an assessment for; each type has its own.")
class Product(enum.Enum):
    LOAN = strawberry.enum_value("LOAN", description="A loan (banks, P2P lenders).")
    CREDIT_LINE = strawberry.enum_value("CREDIT_LINE", description="A credit line (banks).")
    INSTALMENT_PURCHASE = strawberry.enum_value(
        "INSTALMENT_PURCHASE", description="A purchase paid in instalments (banks, P2P lenders)."
    )
    RENTAL_DEPOSIT = strawberry.enum_value(
        "RENTAL_DEPOSIT", description="A deposit held or waived by a rental agency."
    )
    PREMIUM_INSTALMENT = strawberry.enum_value(
        "PREMIUM_INSTALMENT", description="An insurance premium paid in instalments (insurers)."
    )


@strawberry.enum(description="Where an assessment stands.")
class AssessmentStatus(enum.Enum):
    RECEIVED = strawberry.enum_value("RECEIVED", description="Recorded, not started.")
    COLLECTING_DATA = strawberry.enum_value(
        "COLLECTING_DATA", description="Syncing the person's linked accounts."
    )
    SCORING = strawberry.enum_value("SCORING", description="Scoring and computing the figures.")
    IN_REVIEW = strawberry.enum_value("IN_REVIEW", description="With a credit analyst.")
    WAITING_FOR_PERSON = strawberry.enum_value(
        "WAITING_FOR_PERSON", description="Waiting for the person to link an account."
    )
    COMPLETED = strawberry.enum_value("COMPLETED", description="Answered.")
    EXPIRED = strawberry.enum_value("EXPIRED", description="Untouched 24 hours past its deadline.")
    WITHDRAWN = strawberry.enum_value("WITHDRAWN", description="Withdrawn by the partner.")

    def domain(self) -> AssessmentStatusValue:
        return AssessmentStatusValue(self.name)


@strawberry.enum(description="An assessment's answer against the partner's risk appetite.")
class Outcome(enum.Enum):
    APPROVE = strawberry.enum_value("APPROVE", description="Inside the appetite.")
    REFER = strawberry.enum_value(
        "REFER", description="Needs the partner's judgement; the reason codes say why."
    )
    DECLINE = strawberry.enum_value("DECLINE", description="Outside the appetite.")


@strawberry.enum(description="How an assessment is worked: by the amount in CNY.")
class Tier(enum.Enum):
    STANDARD = strawberry.enum_value(
        "STANDARD", description="Below the threshold (CNY 6,000 by default): 15 minutes."
    )
    EXTENDED = strawberry.enum_value(
        "EXTENDED", description="At or above the threshold: 2 hours, with review."
    )


@strawberry.type(description="An exact amount of money.")
class Money:
    value: str = strawberry.field(
        description="Decimal string with the currency's minor-unit digits, e.g. 1999.50."
    )
    currency: str = strawberry.field(description="ISO 4217 code, e.g. CNY.")


@strawberry.input(description="An exact amount of money.")
class MoneyInput:
    value: str = strawberry.field(
        description="Decimal string, positive, at most the currency's minor-unit digits "
        "(ISO 4217: 2 for CNY, HKD, MOP, SGD, MYR, THB, IDR, PHP; 0 for VND)."
    )
    currency: str = strawberry.field(
        description="One of CNY, HKD, MOP, SGD, MYR, THB, IDR, PHP, VND."
    )


@strawberry.input(description="What a partner asks an assessment of.")
class AssessmentInput:
    subject_id: strawberry.ID = strawberry.field(description="The pairwise subject id.")
    amount: MoneyInput = strawberry.field(description="The amount asked for.")
    product: Product = strawberry.field(description="A product this partner's type offers.")
    term_months: int = strawberry.field(description="Term in months, 1 to 60.")
    reference: str = strawberry.field(
        description="The partner's idempotency key, up to 200 characters: the same key with "
        "the same input returns the same assessment."
    )


@strawberry.type(description="One step of an assessment's status timeline.")
class AssessmentStep:
    status: AssessmentStatus = strawberry.field(description="The status entered.")
    at: datetime = strawberry.field(description="When.")
    note: str | None = strawberry.field(
        description="Why, where it matters: SLA_BREACHED when past `dueBy`, a failed sync, "
        "the deadline paused while waiting for the person and moved on when resuming, or why "
        "it went to a credit analyst."
    )


@strawberry.type(description="The instalment against the person's observed monthly spending.")
class Affordability:
    monthly_instalment_cny: str | None = strawberry.field(
        description="Amount / term in CNY (principal only; the partner's price is not known)."
    )
    instalment_to_spend: float | None = strawberry.field(
        description="The instalment as a share of the average monthly spend; null without "
        "spending data."
    )


@strawberry.type(
    description="A credit assessment this partner asked for. The question is always visible; "
    "the answer's fields need CREDIT_ASSESSMENT and are null with an error otherwise."
)
class Assessment:
    view: strawberry.Private[AssessmentView]

    @strawberry.field(description="The assessment's id.")
    def id(self) -> strawberry.ID:
        return strawberry.ID(str(self.view.assessment.id))

    @strawberry.field(description="The subject assessed.")
    def subject_id(self) -> strawberry.ID:
        return strawberry.ID(self.view.assessment.subject_id)

    @strawberry.field(description="The partner's reference.")
    def reference(self) -> str:
        return self.view.assessment.reference

    @strawberry.field(description="The amount asked for.")
    def amount(self) -> Money:
        a = self.view.assessment
        return Money(value=decimal_string(a.amount, a.currency), currency=a.currency)

    @strawberry.field(description="The product asked for.")
    def product(self) -> Product:
        return Product[self.view.assessment.product.value]

    @strawberry.field(description="The term in months.")
    def term_months(self) -> int:
        return self.view.assessment.term_months

    @strawberry.field(description="STANDARD or EXTENDED, by the amount in CNY.")
    def tier(self) -> Tier:
        return Tier[self.view.assessment.tier.value]

    @strawberry.field(description="Where it stands now.")
    def status(self) -> AssessmentStatus:
        return AssessmentStatus[self.view.assessment.status.value]

    @strawberry.field(description="When it was received.")
    def received_at(self) -> datetime:
        return self.view.assessment.received_at

    @strawberry.field(description="When it is due: 15 minutes (STANDARD) or 2 hours (EXTENDED).")
    def due_by(self) -> datetime:
        return self.view.assessment.due_by

    @strawberry.field(description="When it was answered; null before.")
    def completed_at(self) -> datetime | None:
        return self.view.assessment.completed_at

    @strawberry.field(description="Every status it went through, oldest first.")
    def timeline(self) -> list[AssessmentStep]:
        return [
            AssessmentStep(status=AssessmentStatus[s.status.value], at=s.at, note=s.note)
            for s in self.view.steps
        ]

    @scoped(Scope.CREDIT_ASSESSMENT, description="APPROVE, REFER or DECLINE; null before.")
    def outcome(self) -> Outcome | None:
        outcome = self.view.assessment.outcome
        return Outcome[outcome.value] if outcome else None

    @scoped(
        Scope.CREDIT_ASSESSMENT,
        description="The largest amount inside the partner's appetite, in the asked currency.",
    )
    def recommended_limit(self) -> Money | None:
        a = self.view.assessment
        if a.recommended_limit is None:
            return None
        return Money(value=decimal_string(a.recommended_limit, a.currency), currency=a.currency)

    @scoped(Scope.CREDIT_ASSESSMENT, description="Why the outcome is what it is.")
    def reason_codes(self) -> list[ReasonCode] | None:
        return [
            ReasonCode(code=code, text=en, text_zh=hans, text_zh_hant=hant)
            for code in self.view.assessment.reason_codes
            for en, hans, hant in [REASONS[code]]
        ]

    @scoped(Scope.CREDIT_ASSESSMENT, description="The instalment against monthly spending.")
    def affordability(self) -> Affordability | None:
        a = self.view.assessment
        instalment = a.monthly_instalment_cny
        return Affordability(
            monthly_instalment_cny=str(instalment) if instalment is not None else None,
            instalment_to_spend=a.instalment_to_spend,
        )

    @scoped(
        Scope.CREDIT_ASSESSMENT,
        Scope.DEFAULT_PROBABILITY,
        description="Probability of default over the term: 1 - (1 - PD12) ^ (termMonths / 12).",
    )
    def default_probability(self) -> float | None:
        return self.view.assessment.term_default_probability


@strawberry.type(description="One assessment in a page.")
class AssessmentEdge:
    cursor: str = strawberry.field(description="Pass as `after` to continue after it.")
    node: Assessment = strawberry.field(description="The assessment, read under consent.")


@strawberry.type(description="A page of this partner's assessments, newest first.")
class AssessmentConnection:
    edges: list[AssessmentEdge] = strawberry.field(description="The assessments on this page.")
    has_next_page: bool = strawberry.field(description="More follow this page.")
    end_cursor: str | None = strawberry.field(description="`after` for the next page.")


@strawberry.enum(description="Why a request for an assessment was refused; nothing was written.")
class AssessmentErrorCode(enum.Enum):
    NOT_PERMITTED_FOR_PARTNER_TYPE = strawberry.enum_value(
        "NOT_PERMITTED_FOR_PARTNER_TYPE", description="This partner type cannot ask."
    )
    PRODUCT_NOT_ALLOWED = strawberry.enum_value(
        "PRODUCT_NOT_ALLOWED", description="A product of another partner type."
    )
    INVALID_AMOUNT = strawberry.enum_value(
        "INVALID_AMOUNT",
        description="Zero, negative, not a decimal string, or too many decimal places.",
    )
    UNKNOWN_CURRENCY = strawberry.enum_value(
        "UNKNOWN_CURRENCY", description="Not a currency ScoreLink serves."
    )
    AMOUNT_ABOVE_MAXIMUM = strawberry.enum_value(
        "AMOUNT_ABOVE_MAXIMUM", description="Above the maximum (CNY 5,000,000 by default)."
    )
    INVALID_TERM = strawberry.enum_value("INVALID_TERM", description="Outside 1-60 months.")
    INVALID_REFERENCE = strawberry.enum_value(
        "INVALID_REFERENCE", description="Empty or longer than 200 characters."
    )
    NOT_FOUND = strawberry.enum_value(
        "NOT_FOUND", description="No subject with this id for this partner."
    )
    CONSENT_REQUIRED = strawberry.enum_value(
        "CONSENT_REQUIRED", description="No consent covers CREDIT_ASSESSMENT."
    )
    CONSENT_EXPIRED = strawberry.enum_value(
        "CONSENT_EXPIRED", description="The consent expired or its one use is spent."
    )
    CONSENT_REVOKED = strawberry.enum_value(
        "CONSENT_REVOKED", description="The person withdrew the consent."
    )
    IDEMPOTENCY_CONFLICT = strawberry.enum_value(
        "IDEMPOTENCY_CONFLICT", description="The reference was used with a different input."
    )
    PARTNER_ONLY = strawberry.enum_value(
        "PARTNER_ONLY", description="Needs a partner's access token."
    )
    INVALID_APPETITE = strawberry.enum_value(
        "INVALID_APPETITE", description="A risk appetite value is out of range."
    )


@strawberry.type(description="The assessment, answered where the STANDARD path allows.")
class AssessmentRequested:
    assessment: Assessment = strawberry.field(description="The assessment.")


@strawberry.type(description="The request was refused; nothing was recorded.")
class AssessmentRefused:
    message: str = strawberry.field(description="What went wrong.")
    code: AssessmentErrorCode = strawberry.field(description="The refusal, for programs.")


RequestAssessmentPayload = Annotated[
    AssessmentRequested | AssessmentRefused,
    strawberry.union(
        "RequestAssessmentPayload",
        description="The outcome of requestAssessment: the assessment, or why it was refused.",
    ),
]


@strawberry.type(description="A partner's limits for one product.")
class RiskAppetite:
    product: Product = strawberry.field(description="The product.")
    max_term_default_probability: float = strawberry.field(
        description="Highest probability of default over the term, 0-1."
    )
    min_grade: str = strawberry.field(description="Lowest grade accepted, A (best) to D.")
    max_instalment_to_spend: float = strawberry.field(
        description="Highest monthly instalment as a share of monthly spending."
    )


@strawberry.type(description="The appetite is saved; later assessments use it.")
class RiskAppetiteSet:
    appetite: RiskAppetite = strawberry.field(description="The saved appetite.")


SetRiskAppetitePayload = Annotated[
    RiskAppetiteSet | AssessmentRefused,
    strawberry.union(
        "SetRiskAppetitePayload",
        description="The outcome of setRiskAppetite: the saved appetite, or the refusal.",
    ),
]


def _refused(refusal: DomainError) -> AssessmentRefused:
    return AssessmentRefused(message=str(refusal), code=AssessmentErrorCode[refusal.code.upper()])


@strawberry.type(description="Credit assessment changes.")
class AssessmentMutation:
    @strawberry.mutation(
        description="A partner sets its risk appetite for one of its products. Without one, "
        f"the defaults apply: term PD at most {DEFAULT_APPETITE.max_term_default_probability}, "
        f"grade {DEFAULT_APPETITE.min_grade} or better, instalment at most "
        f"{DEFAULT_APPETITE.max_instalment_to_spend} of monthly spending."
    )
    async def set_risk_appetite(
        self,
        info: Info,
        product: Annotated[Product, strawberry.argument(description="One of its products.")],
        max_term_default_probability: Annotated[
            float, strawberry.argument(description="Highest term PD accepted, above 0 up to 1.")
        ],
        min_grade: Annotated[
            str, strawberry.argument(description="Lowest grade accepted: A, B, C or D.")
        ],
        max_instalment_to_spend: Annotated[
            float,
            strawberry.argument(
                description="Highest instalment as a share of monthly spending, above 0 up to 10."
            ),
        ],
    ) -> SetRiskAppetitePayload:
        outcome = await assessments.set_risk_appetite(
            info,
            product.name,
            Appetite(max_term_default_probability, min_grade, max_instalment_to_spend),
        )
        if isinstance(outcome, DomainError):
            return _refused(outcome)
        return RiskAppetiteSet(
            appetite=RiskAppetite(
                product=product,
                max_term_default_probability=outcome.max_term_default_probability,
                min_grade=outcome.min_grade,
                max_instalment_to_spend=outcome.max_instalment_to_spend,
            )
        )

    @strawberry.mutation(
        description="A partner asks for a credit assessment of a subject for an amount. Needs "
        "a consent covering CREDIT_ASSESSMENT (a ONE_TIME consent serves one assessment). The "
        "request is logged where the person sees it."
    )
    async def request_assessment(
        self,
        info: Info,
        input: Annotated[AssessmentInput, strawberry.argument(description="What to assess.")],
    ) -> RequestAssessmentPayload:
        asked = AssessmentAsked(
            subject_id=str(input.subject_id),
            value=input.amount.value,
            currency=input.amount.currency,
            product=input.product.name,
            term_months=input.term_months,
            reference=input.reference,
        )
        outcome = await assessments.request_assessment(info, asked, asked_scopes(info))
        if isinstance(outcome, DomainError):
            return _refused(outcome)
        return AssessmentRequested(assessment=Assessment(view=outcome))


async def partner_assessment(info: Info, id: str) -> Assessment | None:
    try:
        return Assessment(view=await assessments.assessment(info, id))
    except DomainError as error:
        raise field_error(error) from None


async def partner_assessments(
    info: Info, first: int, after: str | None, status: AssessmentStatus | None
) -> AssessmentConnection:
    if not 1 <= first <= MAX_PAGE_SIZE:
        raise GraphQLError(
            f"first must be 1 to {MAX_PAGE_SIZE}", extensions={"code": "BAD_USER_INPUT"}
        )
    try:
        page = await assessments.assessments(
            info, first, after, status.domain() if status else None
        )
    except DomainError as error:
        raise field_error(error) from None
    return AssessmentConnection(
        edges=[
            AssessmentEdge(cursor=str(v.assessment.id), node=Assessment(view=v)) for v in page.views
        ],
        has_next_page=page.has_next_page,
        end_cursor=page.end_cursor,
    )


@strawberry.type(description="Something the person can do to let an assessment go on.")
class AssessmentTask:
    kind: AccountKind = strawberry.field(description="The kind of account to link.")
    text: str = strawberry.field(description="The task, e.g. Link an e-commerce account.")


@strawberry.type(description="An assessment a partner asked about this person.")
class MyAssessment:
    id: strawberry.ID = strawberry.field(description="The assessment's id.")
    partner: AccessLogPartner | None = strawberry.field(description="Who asked.")
    amount: Money = strawberry.field(description="The amount asked about.")
    product: Product = strawberry.field(description="The product.")
    term_months: int = strawberry.field(description="The term in months.")
    status: AssessmentStatus = strawberry.field(description="Where it stands.")
    outcome: Outcome | None = strawberry.field(description="The answer; null before.")
    received_at: datetime = strawberry.field(description="When the partner asked.")
    completed_at: datetime | None = strawberry.field(description="When it was answered.")
    tasks: list[AssessmentTask] = strawberry.field(
        description="While WAITING_FOR_PERSON: the accounts to link; the assessment resumes by "
        "itself once they are linked. Empty otherwise."
    )

    @classmethod
    def of(cls, mine: PersonsAssessment) -> MyAssessment:
        a = mine.assessment
        return cls(
            id=strawberry.ID(str(a.id)),
            partner=partner_card(mine.partner),
            amount=Money(value=decimal_string(a.amount, a.currency), currency=a.currency),
            product=Product[a.product.value],
            term_months=a.term_months,
            status=AssessmentStatus[a.status.value],
            outcome=Outcome[a.outcome.value] if a.outcome else None,
            received_at=a.received_at,
            completed_at=a.completed_at,
            tasks=[
                AssessmentTask(kind=AccountKind[kind], text=TASKS[LinkedKind(kind)])
                for kind in a.waiting_for
            ]
            if a.status is AssessmentStatusValue.WAITING_FOR_PERSON
            else [],
        )


async def my_assessments(info: Info) -> list[MyAssessment]:
    return [MyAssessment.of(mine) for mine in await assessments.my_assessments(info)]
