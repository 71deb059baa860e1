"""Linking accounts: start an authorisation, complete it at the callback, sync and unlink.

A link attempt keeps its state (hashed) and PKCE verifier (encrypted) server-side, works once
and expires after ten minutes. Whatever goes wrong at the callback leaves the account FAILED
with a reason the person can read and no provider data or tokens; nothing raises to the web
layer. Linked data changing (link, sync, unlink) re-scores the person.

Collecting an account's data needs the person's consent to collect from that provider
(`domain.collection_consents`): `start` records it when the person gives it, refuses without
it, and the callback completes nothing once it is withdrawn.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from connectors.provider import (
    OAuthProvider,
    ProviderError,
    ProviderRefused,
    Record,
    SourceKind,
    TokenSet,
    new_code_verifier,
    new_state,
)
from connectors.provider import ProviderConfig as ProviderConfig  # named for the outer layers
from connectors.registry import ProviderRegistry, UnknownProvider
from domain.clock import Clock, utc_now
from domain.collection_consents import (
    CollectionWithdrawn,
    active_collection_consent,
    collection_notice,
    record_collection_consent,
    withdraw_collection_consent,
)
from domain.encryption import DecryptionError, SecretBox
from domain.errors import DomainError
from domain.models import AccountKind, LinkAttempt, LinkedAccount, LinkStatus, ScoreReport
from domain.principal import Principal
from domain.reports import rescore
from domain.scoring_model import ModelUnavailable, ScoringModel
from domain.secret_keys import KeyUse, SecretKeys
from domain.services import Services
from domain.sessions import signed_in_person
from storage.transactions import writing

LINK_ATTEMPT_LIFETIME = timedelta(minutes=10)

logger = logging.getLogger("scorelink.linking")


class LinkRefused(DomainError):
    """A link operation was refused; `code` says why, the message says it to the person."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class LinkStarted:
    account: LinkedAccount
    authorization_url: str
    expires_at: datetime


@dataclass(frozen=True)
class CollectionStopped:
    """A consent to collect was withdrawn: what it covered is deleted, the person re-scored."""

    withdrawn: CollectionWithdrawn
    report: ScoreReport | None


@dataclass(frozen=True)
class CallbackOutcome:
    """What the callback page tells the person; `account` is None when the answer could not
    be matched to any link request."""

    linked: bool
    message: str
    account: LinkedAccount | None = None


@dataclass(frozen=True)
class Synced:
    account: LinkedAccount
    report: ScoreReport | None


@dataclass(frozen=True)
class Unlinked:
    account_id: uuid.UUID
    report: ScoreReport | None


def _state_hash(state: str) -> str:
    return hashlib.sha256(state.encode()).hexdigest()


def _kind(kind: SourceKind) -> AccountKind:
    return AccountKind.SOCIAL if kind is SourceKind.SOCIAL else AccountKind.ECOMMERCE


def _clear(account: LinkedAccount) -> None:
    account.normalised_record = None
    account.account_created = None
    account.linked_at = None
    account.last_synced_at = None
    account.tokens_encrypted = None
    # New data from a new link: an earlier upheld dispute's exclusion no longer applies.
    account.scoring_excluded_by = None


_ACCOUNT_FIELDS = [
    "status",
    "failure_reason",
    "normalised_record",
    "account_created",
    "linked_at",
    "last_synced_at",
    "tokens_encrypted",
    "scoring_excluded_by",
]


class AccountLinking:
    def __init__(
        self,
        providers: ProviderRegistry,
        secret_keys: SecretKeys,
        scoring: ScoringModel,
        record_retention: timedelta,
        clock: Clock = utc_now,
    ) -> None:
        self._record_retention = record_retention
        self._providers = providers
        self._tokens = SecretBox(secret_keys, KeyUse.PROVIDER_TOKENS)
        self._verifiers = SecretBox(secret_keys, KeyUse.LINK_VERIFIERS)
        self._scoring = scoring
        self._clock = clock

    @classmethod
    def from_services(cls, services: Services, clock: Clock = utc_now) -> AccountLinking:
        return cls(
            services.providers,
            services.secret_keys,
            services.scoring,
            services.record_retention,
            clock,
        )

    def _provider(self, name: str) -> OAuthProvider:
        try:
            return self._providers.provider(name)
        except UnknownProvider:
            raise LinkRefused(
                "UNKNOWN_PROVIDER", f"There is no provider called {name!r}."
            ) from None

    async def start(
        self, principal: Principal, provider_name: str, consent_to_collect: bool = False
    ) -> LinkStarted:
        """Start a link; `consent_to_collect` is the person agreeing to the provider's
        collection notice, needed unless an earlier consent for the provider still stands."""
        person = await signed_in_person(principal)
        provider = self._provider(provider_name)
        kind = _kind(provider.config.kind)
        notice = collection_notice(
            provider_name,
            provider.config.display_name,
            provider.config.kind,
            self._record_retention,
        )
        if not consent_to_collect and not await active_collection_consent(person.id, provider_name):
            raise LinkRefused(
                "COLLECTION_CONSENT_REQUIRED",
                f"Before linking {notice.provider_name}, agree to ScoreLink collecting its data "
                f"to score you (kept up to {notice.retention_days} days after the last sync; "
                "see linkProviders { collectionNotice }), then start again with "
                "consentToCollect: true.",
            )
        linked = await LinkedAccount.filter(
            person_id=person.id, kind=kind, status=LinkStatus.LINKED
        ).first()
        if linked is not None:
            raise LinkRefused(
                "ALREADY_LINKED",
                f"A {kind.value.lower()} account ({linked.provider}) is already linked; "
                "sync it, or unlink it first.",
            )
        now = self._clock()
        # The state is "<attempt id>.<secret>": the id finds the attempt, the secret proves it.
        attempt_id = uuid.uuid4()
        state, verifier = f"{attempt_id.hex}.{new_state()}", new_code_verifier()
        expires_at = now + LINK_ATTEMPT_LIFETIME
        async with writing():
            await record_collection_consent(person.id, notice, now)
            account, _ = await LinkedAccount.get_or_create(
                person_id=person.id, provider=provider_name, defaults={"kind": kind}
            )
            account.kind = kind
            account.status = LinkStatus.PENDING
            account.failure_reason = None
            _clear(account)
            await account.save(update_fields=["kind", *_ACCOUNT_FIELDS])
            # A newer request supersedes older ones: only the latest answer can link.
            await LinkAttempt.filter(linked_account_id=account.id, used_at=None).update(used_at=now)
            await LinkAttempt.create(
                id=attempt_id,
                linked_account_id=account.id,
                state_hash=_state_hash(state),
                code_verifier_encrypted=self._verifiers.encrypt(verifier.encode()),
                created_at=now,
                expires_at=expires_at,
            )
        return LinkStarted(account, provider.authorization_url(state, verifier), expires_at)

    async def complete(
        self,
        provider_name: str,
        state: str | None,
        code: str | None,
        error: str | None = None,
        error_description: str | None = None,
    ) -> CallbackOutcome:
        """Handle the provider's redirect back. Never raises for anything the provider or the
        browser sent."""
        if not state:
            return CallbackOutcome(False, "The answer carried no link request; start again.")
        attempt_ref, _, _ = state.partition(".")
        try:
            attempt_id = uuid.UUID(hex=attempt_ref)
        except ValueError:
            attempt_id = None
        attempt = (
            await LinkAttempt.get_or_none(id=attempt_id).prefetch_related("linked_account")
            if attempt_id
            else None
        )
        # The secret half is checked before anything is written: knowing an attempt's id (the
        # public half) must not let anyone use up or fail someone else's pending link.
        if attempt is None or not hmac.compare_digest(attempt.state_hash, _state_hash(state)):
            return CallbackOutcome(
                False, "This link request is unknown; start linking again from ScoreLink."
            )
        account: LinkedAccount = attempt.linked_account
        now = self._clock()
        used = await LinkAttempt.filter(id=attempt.id, used_at=None).update(used_at=now)
        if not used:
            # A replayed answer changes nothing: failing the link would let anyone holding the
            # old URL break a working link.
            return CallbackOutcome(
                False,
                "This answer from the provider was already used; it works only once.",
                account,
            )
        if account.status is not LinkStatus.PENDING:
            return CallbackOutcome(
                False, "This link request was replaced by a newer one; nothing changed.", account
            )
        if account.provider != provider_name:
            return await self._fail(account, "The answer came back from a different provider.")
        if attempt.expires_at <= now:
            return await self._fail(account, "The link request expired; start linking again.")
        if await active_collection_consent(account.person_id, account.provider) is None:
            return await self._fail(
                account, "There is no consent to collect this account's data; start again."
            )
        provider = self._provider(provider_name)
        name = provider.config.display_name
        if error:
            if error == "access_denied":
                return await self._fail(account, f"You did not allow ScoreLink to read {name}.")
            detail = f": {error_description}" if error_description else ""
            return await self._fail(account, f"{name} answered with an error ({error}{detail}).")
        if not code:
            return await self._fail(account, f"{name} answered without an authorisation code.")
        try:
            verifier = self._verifiers.decrypt(attempt.code_verifier_encrypted).decode()
        except DecryptionError:
            return await self._fail(account, "The link request can no longer be read; start again.")
        try:
            tokens = await provider.exchange_code(code, verifier)
            record = await provider.fetch_record(tokens.access_token)
        except ProviderError as failure:
            return await self._fail(account, str(failure))
        await self._store(account, record, tokens, now, first_link=True)
        await self._rescore_quietly(account.person_id)
        return CallbackOutcome(True, f"{name} is linked; your report is up to date.", account)

    async def _fail(self, account: LinkedAccount, reason: str) -> CallbackOutcome:
        account.status = LinkStatus.FAILED
        account.failure_reason = reason[:500]
        _clear(account)
        await account.save(update_fields=_ACCOUNT_FIELDS)
        logger.info("link %s failed: %s", account.id, reason)
        return CallbackOutcome(False, reason, account)

    async def _store(
        self,
        account: LinkedAccount,
        record: Record,
        tokens: TokenSet,
        now: datetime,
        *,
        first_link: bool,
    ) -> None:
        account.status = LinkStatus.LINKED
        account.failure_reason = None
        account.normalised_record = record.to_mapping()
        account.account_created = record.account_created
        if first_link:
            account.linked_at = now
        account.last_synced_at = now
        account.tokens_encrypted = self._tokens.encrypt(tokens.to_json())
        await account.save(update_fields=_ACCOUNT_FIELDS)

    async def _rescore_quietly(self, person_id: uuid.UUID) -> ScoreReport | None:
        """Re-score after a data change; a missing model must not undo the change itself."""
        try:
            return await rescore(person_id, await self._scoring.get(), self._clock)
        except ModelUnavailable:
            logger.warning("person %s not re-scored: no scoring model", person_id)
            return None

    async def _owned(self, principal: Principal, account_id: str) -> LinkedAccount:
        person = await signed_in_person(principal)
        try:
            parsed = uuid.UUID(account_id)
        except ValueError:
            parsed = None
        account = (
            await LinkedAccount.get_or_none(id=parsed, person_id=person.id) if parsed else None
        )
        if account is None:
            raise LinkRefused("NOT_FOUND", "You have no linked account with that id.")
        return account

    async def sync(self, principal: Principal, account_id: str) -> Synced:
        """Fetch the account's data again, refreshing the access token when it has expired."""
        account = await self._owned(principal, account_id)
        await self._resync(account)
        return Synced(account, await self._rescore_quietly(account.person_id))

    async def sync_stale(
        self, person_id: uuid.UUID, synced_before: datetime, *, rescore: bool = True
    ) -> list[str]:
        """Sync each of the person's linked accounts last synced before `synced_before`, then
        re-score once if any was (unless the caller scores next itself); return the failures
        (the last good data stays in place)."""
        stale = await LinkedAccount.filter(
            person_id=person_id, status=LinkStatus.LINKED, last_synced_at__lt=synced_before
        ).order_by("kind")
        failures: list[str] = []
        for account in stale:
            try:
                await self._resync(account)
            except LinkRefused as refusal:
                failures.append(refusal.code)
        if stale and rescore:
            await self._rescore_quietly(person_id)
        return failures

    async def _resync(self, account: LinkedAccount) -> None:
        if account.status is not LinkStatus.LINKED or account.tokens_encrypted is None:
            raise LinkRefused("NOT_LINKED", "This account is not linked; link it again.")
        provider = self._provider(account.provider)
        try:
            tokens = TokenSet.from_json(self._tokens.decrypt(account.tokens_encrypted))
            record, tokens = await self._fetch_fresh(provider, tokens)
        except DecryptionError:
            await self._fail(account, "ScoreLink can no longer read its access.")
            return
        except ProviderRefused as refusal:
            # The provider no longer honours the grant: the data may not be kept.
            await self._fail(account, str(refusal))
            return
        except ProviderError as failure:
            # Timeouts and bad answers leave the last good data in place.
            raise LinkRefused(failure.code, str(failure)) from None
        await self._store(account, record, tokens, self._clock(), first_link=False)

    async def _fetch_fresh(
        self, provider: OAuthProvider, tokens: TokenSet
    ) -> tuple[Record, TokenSet]:
        refreshed = False
        if tokens.expired(self._clock()):
            tokens = await self._refresh(provider, tokens)
            refreshed = True
        try:
            return await provider.fetch_record(tokens.access_token), tokens
        except ProviderRefused:
            if refreshed or tokens.refresh_token is None:
                raise
        # The provider ended the token early; one refresh, then give up.
        tokens = await self._refresh(provider, tokens)
        return await provider.fetch_record(tokens.access_token), tokens

    async def _refresh(self, provider: OAuthProvider, tokens: TokenSet) -> TokenSet:
        if tokens.refresh_token is None:
            raise ProviderRefused(
                f"{provider.config.display_name} access expired; link the account again."
            )
        return await provider.refresh(tokens.refresh_token)

    async def unlink(self, principal: Principal, account_id: str) -> Unlinked:
        """Delete the account with its tokens and data; the new report no longer uses it."""
        account = await self._owned(principal, account_id)
        was_linked = account.status is LinkStatus.LINKED
        await account.delete()
        report = await self._rescore_quietly(account.person_id) if was_linked else None
        return Unlinked(account.id, report)

    async def withdraw_collection(self, principal: Principal, consent_id: str) -> CollectionStopped:
        """Withdraw a consent to collect: the provider's account goes, the person is re-scored."""
        withdrawn = await withdraw_collection_consent(principal, consent_id, self._clock)
        report = (
            await self._rescore_quietly(withdrawn.consent.person_id)
            if withdrawn.was_linked
            else None
        )
        return CollectionStopped(withdrawn, report)

    async def request_score(self, principal: Principal) -> ScoreReport:
        person = await signed_in_person(principal)
        try:
            model = await self._scoring.get()
        except ModelUnavailable:
            raise LinkRefused(
                "MODEL_UNAVAILABLE", "Scoring is unavailable just now; try again shortly."
            ) from None
        return await rescore(person.id, model, self._clock)


async def linked_accounts_of(person_id: uuid.UUID) -> list[LinkedAccount]:
    """A person's accounts, oldest first; the caller has already established who asks."""
    return await LinkedAccount.filter(person_id=person_id).order_by("created_at")
