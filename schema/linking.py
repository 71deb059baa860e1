"""Linked accounts over GraphQL: start a link, sync, unlink, and ask for a fresh score.

Expected refusals are typed payloads (`LinkRefused`, `ScoreRefused`) with a machine-readable
code, so a client can switch on them.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Annotated

import strawberry

from domain.collection_consents import CollectionNotice as DomainCollectionNotice
from domain.errors import DomainError
from domain.link_summaries import AccountFacts, SocialFacts, account_facts, account_summary
from domain.linking import LinkStarted, Synced
from domain.models import LinkedAccount as LinkedAccountModel
from domain.models import ScoreReport as ScoreReportModel
from resolvers import linking
from resolvers.context import Info
from schema.assessments import Money
from schema.report import AccountKind, ScoreReport


@strawberry.enum(description="Where a linked account stands.")
class LinkStatus(enum.Enum):
    PENDING = strawberry.enum_value(
        "PENDING", description="Waiting for the person to finish at the provider."
    )
    LINKED = strawberry.enum_value("LINKED", description="Linked; its data feeds the report.")
    FAILED = strawberry.enum_value(
        "FAILED", description="The link did not complete; failureReason says why. No data kept."
    )


@strawberry.enum(description="Why a linked-account operation was refused.")
class LinkErrorCode(enum.Enum):
    UNAUTHENTICATED = strawberry.enum_value(
        "UNAUTHENTICATED", description="Needs a signed-in person's access token."
    )
    PERSON_ONLY = strawberry.enum_value(
        "PERSON_ONLY", description="Only the person themselves can do this."
    )
    UNKNOWN_PROVIDER = strawberry.enum_value(
        "UNKNOWN_PROVIDER", description="No provider of that name; see linkProviders."
    )
    ALREADY_LINKED = strawberry.enum_value(
        "ALREADY_LINKED", description="An account of that kind is already linked."
    )
    NOT_FOUND = strawberry.enum_value(
        "NOT_FOUND", description="The person has no linked account with that id."
    )
    COLLECTION_CONSENT_REQUIRED = strawberry.enum_value(
        "COLLECTION_CONSENT_REQUIRED",
        description="No consent to collect this provider's data: show the person "
        "linkProviders.collectionNotice and start again with consentToCollect: true.",
    )
    NOT_LINKED = strawberry.enum_value(
        "NOT_LINKED", description="The account is pending or failed; link it again."
    )
    PROVIDER_UNAVAILABLE = strawberry.enum_value(
        "PROVIDER_UNAVAILABLE",
        description="The provider timed out or failed; the last data is kept. Try later.",
    )
    PROVIDER_DATA_INVALID = strawberry.enum_value(
        "PROVIDER_DATA_INVALID",
        description="The provider sent malformed data; the last good data is kept.",
    )
    PROVIDER_REFUSED = strawberry.enum_value(
        "PROVIDER_REFUSED", description="The provider refused access; the link is now FAILED."
    )


@strawberry.enum(description="Why a scoring request was refused.")
class ScoreErrorCode(enum.Enum):
    UNAUTHENTICATED = strawberry.enum_value(
        "UNAUTHENTICATED", description="Needs a signed-in person's access token."
    )
    PERSON_ONLY = strawberry.enum_value(
        "PERSON_ONLY", description="Only the person themselves can ask for a score."
    )
    MODEL_UNAVAILABLE = strawberry.enum_value(
        "MODEL_UNAVAILABLE", description="The scoring model is not loaded yet; try shortly."
    )


_MESSAGE = "What went wrong, in words fit to show the person."
_CODE = "The refusal, for programs."


@strawberry.type(description="The operation was refused.")
class LinkRefused:
    message: str = strawberry.field(description=_MESSAGE)
    code: LinkErrorCode = strawberry.field(description=_CODE)

    @classmethod
    def of(cls, refusal: DomainError) -> LinkRefused:
        code = refusal.code.upper()
        known = code in LinkErrorCode.__members__
        return cls(
            message=str(refusal), code=LinkErrorCode[code if known else "PROVIDER_UNAVAILABLE"]
        )


@strawberry.type(description="The score request was refused; nothing was computed.")
class ScoreRefused:
    message: str = strawberry.field(description=_MESSAGE)
    code: ScoreErrorCode = strawberry.field(description=_CODE)

    @classmethod
    def of(cls, refusal: DomainError) -> ScoreRefused:
        code = refusal.code.upper()
        known = code in ScoreErrorCode.__members__
        return cls(
            message=str(refusal), code=ScoreErrorCode[code if known else "MODEL_UNAVAILABLE"]
        )


@strawberry.type(
    description="What the person is told before agreeing to ScoreLink collecting a provider's "
    "data (a consent to collect, separate from any consent to share)."
)
class CollectionNotice:
    stated_purpose: str = strawberry.field(description="What the data is collected for.")
    data_kinds: list[str] = strawberry.field(description="The kinds of data collected.")
    retention_days: int = strawberry.field(
        description="Records are kept at most this many days after the account's last sync."
    )
    version: str = strawberry.field(description="The notice's version, recorded with a consent.")

    @classmethod
    def of(cls, notice: DomainCollectionNotice) -> CollectionNotice:
        return cls(
            stated_purpose=notice.purpose,
            data_kinds=list(notice.data_kinds),
            retention_days=notice.retention_days,
            version=notice.version,
        )


@strawberry.type(description="An account-linking provider the person can link.")
class LinkProvider:
    name: str = strawberry.field(description="The name startAccountLink takes.")
    kind: AccountKind = strawberry.field(description="The kind of account it holds.")
    display_name: str = strawberry.field(description="The name to show people.")
    collection_notice: CollectionNotice = strawberry.field(
        description="Show this before linking: startAccountLink(consentToCollect: true) records "
        "the person's agreement to it."
    )


@strawberry.type(
    description="Figures from a linked social-media account's data as last fetched, for a "
    "client to word in its reader's language."
)
class SocialAccountFacts:
    opened_on: date = strawberry.field(description="When the account was opened.")
    followers: int = strawberry.field(description="How many people follow the account.")
    posts_per_month: float = strawberry.field(
        description="Posts a month, averaged over the last 12 months, to one decimal place."
    )
    verified: bool = strawberry.field(description="The platform verified the account holder.")


@strawberry.type(
    description="Figures from a linked e-commerce account's data as last fetched, for a "
    "client to word in its reader's language."
)
class EcommerceAccountFacts:
    opened_on: date = strawberry.field(description="When the account was opened.")
    orders_per_month: float = strawberry.field(
        description="Orders a month, averaged over the last 12 months, to one decimal place."
    )
    spend_per_month: Money = strawberry.field(
        description="Spend a month, averaged over the last 12 months, to the cent."
    )
    instalments_on_time: int = strawberry.field(description="Instalments paid on time.")
    instalments_late: int = strawberry.field(description="Instalments paid late.")


LinkedAccountFacts = Annotated[
    SocialAccountFacts | EcommerceAccountFacts,
    strawberry.union(
        "LinkedAccountFacts",
        description="What a linked account's data says, by the account's kind.",
    ),
]


def _facts(facts: AccountFacts | None) -> SocialAccountFacts | EcommerceAccountFacts | None:
    if facts is None:
        return None
    if isinstance(facts, SocialFacts):
        return SocialAccountFacts(
            opened_on=facts.opened_on,
            followers=facts.followers,
            posts_per_month=facts.posts_per_month,
            verified=facts.verified,
        )
    return EcommerceAccountFacts(
        opened_on=facts.opened_on,
        orders_per_month=facts.orders_per_month,
        spend_per_month=Money(
            value=str(facts.spend_per_month.value), currency=facts.spend_per_month.currency
        ),
        instalments_on_time=facts.instalments_on_time,
        instalments_late=facts.instalments_late,
    )


@strawberry.type(description="A social-media or e-commerce account the person linked.")
class LinkedAccount:
    id: strawberry.ID = strawberry.field(description="The linked account's id.")
    provider: str = strawberry.field(description="The provider's name, e.g. sandbox-social.")
    kind: AccountKind = strawberry.field(description="SOCIAL or ECOMMERCE.")
    status: LinkStatus = strawberry.field(description="PENDING, LINKED or FAILED.")
    linked_at: datetime | None = strawberry.field(description="When the link completed.")
    last_synced_at: datetime | None = strawberry.field(
        description="When ScoreLink last fetched the account's data."
    )
    summary: str | None = strawberry.field(
        description="One line in English about the account's data as last fetched; null "
        "without data.",
        deprecation_reason="English only: word `facts` in the reader's language instead.",
    )
    facts: LinkedAccountFacts | None = strawberry.field(
        description="What the account's data as last fetched says, as figures; null without data."
    )
    failure_reason: str | None = strawberry.field(
        description="Why the link failed, fit to show the person; null unless FAILED."
    )

    @classmethod
    def of(cls, account: LinkedAccountModel) -> LinkedAccount:
        return cls(
            id=strawberry.ID(str(account.id)),
            provider=account.provider,
            kind=AccountKind(account.kind.value),
            status=LinkStatus(account.status.value),
            linked_at=account.linked_at,
            last_synced_at=account.last_synced_at,
            summary=account_summary(account),
            facts=_facts(account_facts(account)),
            failure_reason=account.failure_reason,
        )


def _report(report: ScoreReportModel | None) -> ScoreReport | None:
    return ScoreReport.of(report) if report is not None else None


@strawberry.type(description="Send the person to authorizationUrl to finish at the provider.")
class AccountLinkStarted:
    authorization_url: str = strawberry.field(
        description="The provider's consent page for this request; it works once."
    )
    expires_at: datetime = strawberry.field(
        description="After this the request lapses and linking must start again."
    )
    linked_account: LinkedAccount = strawberry.field(description="The account, now PENDING.")


@strawberry.type(description="The account's data was fetched again.")
class LinkedAccountSynced:
    linked_account: LinkedAccount = strawberry.field(
        description="The account after the sync: LINKED, or FAILED if the provider revoked access."
    )
    report: ScoreReport | None = strawberry.field(
        description="The report computed from the new data; null if scoring is unavailable."
    )


@strawberry.type(description="The account, its tokens and its data are deleted.")
class AccountUnlinked:
    id: strawberry.ID = strawberry.field(description="The id the account had.")
    report: ScoreReport | None = strawberry.field(
        description="The new report without the account; null if it was never linked."
    )


@strawberry.type(description="A new report was computed from what is linked now.")
class ScoreComputed:
    report: ScoreReport = strawberry.field(description="The new current report.")


StartAccountLinkPayload = Annotated[
    AccountLinkStarted | LinkRefused,
    strawberry.union(
        "StartAccountLinkPayload",
        description="The outcome of starting an account link, or why it was refused.",
    ),
]
SyncLinkedAccountPayload = Annotated[
    LinkedAccountSynced | LinkRefused,
    strawberry.union(
        "SyncLinkedAccountPayload",
        description="The outcome of syncing a linked account, or why it was refused.",
    ),
]
UnlinkAccountPayload = Annotated[
    AccountUnlinked | LinkRefused,
    strawberry.union(
        "UnlinkAccountPayload",
        description="The outcome of unlinking an account, or why it was refused.",
    ),
]
RequestScorePayload = Annotated[
    ScoreComputed | ScoreRefused,
    strawberry.union(
        "RequestScorePayload",
        description="The outcome of asking for a fresh score, or why it was refused.",
    ),
]

AccountIdArgument = Annotated[
    strawberry.ID, strawberry.argument(description="The linked account's id.")
]


@strawberry.type(description="Linked-account queries.")
class LinkQuery:
    @strawberry.field(description="Providers a person can link, one or more per account kind.")
    def link_providers(self, info: Info) -> list[LinkProvider]:
        notices = linking.collection_notices(info)
        return [
            LinkProvider(
                name=config.name,
                kind=AccountKind(config.kind.value.upper()),
                display_name=config.display_name,
                collection_notice=CollectionNotice.of(notices[config.name]),
            )
            for config in linking.link_providers(info)
        ]


@strawberry.type(description="Linked-account changes and scoring.")
class LinkMutation:
    @strawberry.mutation(
        description="Start linking an account: returns the provider's authorisation URL "
        "(authorization code with PKCE). The provider sends the person back to ScoreLink, "
        "which fetches the data and re-scores. Needs the person's consent to collect the "
        "provider's data: consentToCollect: true records it (once; it stands until withdrawn)."
    )
    async def start_account_link(
        self,
        info: Info,
        provider: Annotated[
            str, strawberry.argument(description="The provider's name, from linkProviders.")
        ],
        consent_to_collect: Annotated[
            bool,
            strawberry.argument(
                description="The person agrees to the provider's collectionNotice. Without it, "
                "and without an earlier consent to collect that still stands, the link is "
                "refused with COLLECTION_CONSENT_REQUIRED."
            ),
        ] = False,
    ) -> StartAccountLinkPayload:
        outcome = await linking.start_account_link(info, provider, consent_to_collect)
        if isinstance(outcome, LinkStarted):
            return AccountLinkStarted(
                authorization_url=outcome.authorization_url,
                expires_at=outcome.expires_at,
                linked_account=LinkedAccount.of(outcome.account),
            )
        return LinkRefused.of(outcome)

    @strawberry.mutation(
        description="Fetch a linked account's data again (refreshing its token if expired) "
        "and re-score."
    )
    async def sync_linked_account(
        self, info: Info, id: AccountIdArgument
    ) -> SyncLinkedAccountPayload:
        outcome = await linking.sync_linked_account(info, str(id))
        if isinstance(outcome, Synced):
            return LinkedAccountSynced(
                linked_account=LinkedAccount.of(outcome.account), report=_report(outcome.report)
            )
        return LinkRefused.of(outcome)

    @strawberry.mutation(
        description="Unlink an account: its tokens and data are deleted and the person is "
        "re-scored without it."
    )
    async def unlink_account(self, info: Info, id: AccountIdArgument) -> UnlinkAccountPayload:
        outcome = await linking.unlink_account(info, str(id))
        if isinstance(outcome, DomainError):
            return LinkRefused.of(outcome)
        return AccountUnlinked(
            id=strawberry.ID(str(outcome.account_id)), report=_report(outcome.report)
        )

    @strawberry.mutation(description="Score the signed-in person again from what is linked now.")
    async def request_score(self, info: Info) -> RequestScorePayload:
        outcome = await linking.request_score(info)
        if isinstance(outcome, DomainError):
            return ScoreRefused.of(outcome)
        return ScoreComputed(report=ScoreReport.of(outcome))
