"""Signed consent receipts: evidence of what a person agreed to, for them and for the partner.

A receipt is a compact JWS (ES256, signed with the service's keys published at
`/.well-known/jwks.json`) whose claims follow the Kantara Initiative Consent Receipt
Specification v1.1 as far as it fits, plus a `consent` claim with ScoreLink's own terms. The
person appears only as the partner's pairwise subject id, never by phone or internal id.

Every grant, approval, renewal and revocation is an access-log entry; a grant's receipt
describes its latest such entry and carries that entry's hash, so an auditor can tie the receipt
to the tamper-evident log. The receipt id is derived from the entry, so the same event always
yields the same receipt id. A consent to collect (`domain.collection_consents`) has a receipt of
the same structure, with ScoreLink as the only controller and no third party. Receipts are
signed when fetched, with the key in service then, so one fetched today verifies against today's
JWKS even after an earlier rotation."""

from __future__ import annotations

import math
import uuid
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any, cast

import orjson
from joserfc import jws
from joserfc.errors import BadSignatureError, JoseError
from joserfc.jwk import KeySet, KeySetSerialization

from consent.access_log import LogEvent
from consent.liveness import status_at
from consent.models import AccessLogEntry, ConsentGrant, PartnerSubject
from domain.clock import utc_now
from domain.errors import DomainError
from domain.models import Partner
from domain.rights_models import CollectionConsent
from domain.signing_keys import ALGORITHM
from domain.tokens import TokenService

RECEIPT_TYPE = "consent-receipt+jwt"
KANTARA_VERSION = "KI-CR-v1.1.0"
CONTROLLER = "ScoreLink"
# The controller's jurisdiction (Kantara's meaning), fixed: the person's own country would tell
# a partner something about them it was never granted.
JURISDICTION = "CN"
# Changes of a grant that produce a receipt, and how the consent was collected in each.
COLLECTION_METHODS = {
    LogEvent.GRANTED: "Given by the person in ScoreLink without being asked (grantConsent)",
    LogEvent.REQUEST_APPROVED: "Partner's request approved by the person (approveConsentRequest)",
    LogEvent.RENEWED: "Renewed by the person (renewConsent)",
    LogEvent.REVOKED: "Withdrawn by the person (revokeConsent or account deletion)",
}
_RECEIPT_IDS = uuid.UUID("6f1d7f5e-2b1c-4a4e-9d1e-5c0e5c0e5c0e")


class InvalidReceipt(DomainError):
    """The receipt does not verify; the message says why, without echoing it."""

    code = "invalid_receipt"


def _seconds(moment: datetime) -> int:
    return int(moment.astimezone(UTC).timestamp())


def receipt_claims(
    issuer: str,
    grant: ConsentGrant,
    change: AccessLogEntry,
    partner: Partner,
    subject_id: str,
    now: datetime,
) -> dict[str, Any]:
    """The receipt's claims for `grant` as of `change`, its latest consent entry in the log."""
    # Stable per log entry: the same change always gives the same receipt id.
    receipt_id = str(uuid.uuid5(_RECEIPT_IDS, f"access-log-entry:{change.id}"))
    event = LogEvent(change.event)
    duration_days = math.ceil((grant.expires_at - grant.granted_at).total_seconds() / 86400)
    return {
        "iss": issuer,
        "jti": receipt_id,
        "iat": _seconds(change.occurred_at),
        "sub": subject_id,
        "aud": partner.client_id,
        "version": KANTARA_VERSION,
        "jurisdiction": JURISDICTION,
        "consentTimestamp": _seconds(grant.granted_at),
        "collectionMethod": COLLECTION_METHODS[event],
        "consentReceiptID": receipt_id,
        "language": "en",
        "piiPrincipalId": subject_id,
        "piiControllers": [{"piiController": CONTROLLER, "onBehalf": False, "url": issuer}],
        "policyUrl": issuer,
        "services": [
            {
                "service": "Sharing a ScoreLink credit report with a partner",
                "purposes": [
                    {
                        "purpose": grant.purpose.value,
                        "purposeCategory": [grant.purpose.value],
                        "consentType": "EXPLICIT",
                        "piiCategory": sorted(grant.scopes),
                        "primaryPurpose": True,
                        "termination": grant.expires_at.astimezone(UTC).isoformat(),
                        "thirdPartyDisclosure": True,
                        "thirdPartyName": partner.name,
                    }
                ],
            }
        ],
        # Credit data derives from financial accounts and transaction records (PIPL art. 28).
        "sensitive": True,
        "spiCat": ["FINANCIAL"],
        "consent": {
            "grantId": str(grant.id),
            "event": event.value,
            "eventAt": change.occurred_at.astimezone(UTC).isoformat(),
            "status": status_at(grant.status, grant.expires_at, now),
            "access": grant.access.value,
            "durationDays": duration_days,
            "expiresAt": grant.expires_at.astimezone(UTC).isoformat(),
            "recipient": {
                "partnerId": str(partner.id),
                "name": partner.name,
                "type": partner.type.value,
            },
            # Its inclusion in the signed log: GET /log/proof/inclusion?entry=ID&size=N.
            "accessLogEntryId": change.id,
        },
    }


async def consent_receipts(
    tokens: TokenService, grant_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, str]:
    """Signed receipts for these grants, one query per kind of record however many grants.

    The caller has already decided the grants are the asker's own (the person's or the
    partner's); a grant with no consent entry in the log gets no receipt.
    """
    ids = list(dict.fromkeys(grant_ids))
    if not ids:
        return {}
    now = utc_now()
    grants = {g.id: g for g in await ConsentGrant.filter(id__in=ids)}
    latest: dict[uuid.UUID, AccessLogEntry] = {}
    for entry in await AccessLogEntry.filter(
        grant_id__in=list(grants), event__in=[e.value for e in COLLECTION_METHODS]
    ).order_by("id"):
        assert entry.grant_id is not None  # noqa: S101 - filtered on it
        latest[entry.grant_id] = entry
    partners = {
        p.id: p for p in await Partner.filter(id__in={g.partner_id for g in grants.values()})
    }
    person_ids = {g.person_id for g in grants.values()}
    subjects = {
        (s.partner_id, s.person_id): s.subject_id
        for s in await PartnerSubject.filter(
            person_id__in=person_ids, partner_id__in=list(partners)
        )
    }
    signing = await tokens.keyring.signing_key()
    header = {"alg": ALGORITHM, "kid": signing.kid, "typ": RECEIPT_TYPE}
    receipts: dict[uuid.UUID, str] = {}
    for grant_id, grant in grants.items():
        change = latest.get(grant_id)
        subject_id = subjects.get((grant.partner_id, grant.person_id))
        if change is None or subject_id is None:
            continue
        claims = receipt_claims(
            tokens.issuer,
            grant,
            change,
            partners[grant.partner_id],
            subject_id,
            now,
        )
        receipts[grant_id] = jws.serialize_compact(
            header, orjson.dumps(claims), signing.key, algorithms=[ALGORITHM]
        )
    return receipts


def collection_receipt_claims(issuer: str, consent: CollectionConsent) -> dict[str, Any]:
    """The receipt's claims for a consent to collect as of its latest change (given or
    withdrawn). No partner is involved: the controller collects for its own scoring, so the
    person is named by their own id, which only they see, and nothing is disclosed."""
    withdrawn = consent.withdrawn_at
    event, event_at = ("WITHDRAWN", withdrawn) if withdrawn else ("GIVEN", consent.given_at)
    receipt_id = str(uuid.uuid5(_RECEIPT_IDS, f"collection-consent:{consent.id}:{event}"))
    return {
        "iss": issuer,
        "jti": receipt_id,
        "iat": _seconds(event_at),
        "sub": str(consent.person_id),
        "version": KANTARA_VERSION,
        "jurisdiction": JURISDICTION,
        "consentTimestamp": _seconds(consent.given_at),
        "collectionMethod": (
            "Withdrawn by the person (withdrawCollectionConsent)"
            if withdrawn
            else "Given by the person when linking an account (startAccountLink)"
        ),
        "consentReceiptID": receipt_id,
        "language": "en",
        "piiPrincipalId": str(consent.person_id),
        "piiControllers": [{"piiController": CONTROLLER, "onBehalf": False, "url": issuer}],
        "policyUrl": issuer,
        "services": [
            {
                "service": f"Collecting data from {consent.provider} to score the person",
                "purposes": [
                    {
                        "purpose": consent.purpose,
                        "purposeCategory": ["CREDIT_SCORING"],
                        "consentType": "EXPLICIT",
                        "piiCategory": list(consent.data_kinds),
                        "primaryPurpose": True,
                        "termination": (
                            "Until withdrawn; records are kept at most "
                            f"{consent.retention_days} days after the last sync"
                        ),
                        "thirdPartyDisclosure": False,
                    }
                ],
            }
        ],
        "sensitive": True,
        "spiCat": ["FINANCIAL"],
        "consent": {
            "kind": "COLLECT",
            "collectionConsentId": str(consent.id),
            "event": event,
            "eventAt": event_at.astimezone(UTC).isoformat(),
            "status": "REVOKED" if withdrawn else "ACTIVE",
            "provider": consent.provider,
            "noticeVersion": consent.notice_version,
            "retentionDays": consent.retention_days,
        },
    }


async def collection_receipt(tokens: TokenService, consent: CollectionConsent) -> str:
    """A signed receipt for a consent to collect the caller already may see (their own)."""
    signing = await tokens.keyring.signing_key()
    header = {"alg": ALGORITHM, "kid": signing.kid, "typ": RECEIPT_TYPE}
    claims = collection_receipt_claims(tokens.issuer, consent)
    return jws.serialize_compact(header, orjson.dumps(claims), signing.key, algorithms=[ALGORITHM])


def verify_receipt(receipt: str, jwks: Mapping[str, Any]) -> dict[str, Any]:
    """The receipt's claims if it is an ES256 JWS by a key in `jwks`; `InvalidReceipt` if not.

    Only ES256 is accepted (never `none`), the key is the one the header's `kid` names in the
    JWKS (never a guess at another), and every byte must match the signature.
    """
    try:
        header = jws.extract_compact(receipt.strip().encode()).protected
    except (JoseError, ValueError, UnicodeError):
        raise InvalidReceipt("this is not a compact JWS") from None
    if header.get("alg") != ALGORITHM:
        raise InvalidReceipt(f"a receipt must be signed with {ALGORITHM}")
    try:
        key = KeySet.import_key_set(cast(KeySetSerialization, dict(jwks))).get_by_kid(
            str(header.get("kid"))
        )
    except (JoseError, ValueError, KeyError, TypeError):
        raise InvalidReceipt("the receipt's key is not in this JWKS") from None
    try:
        verified = jws.deserialize_compact(receipt.strip(), key, algorithms=[ALGORITHM])
    except BadSignatureError:
        raise InvalidReceipt("the signature does not match the receipt") from None
    except (JoseError, ValueError):
        raise InvalidReceipt("the receipt is malformed") from None
    try:
        claims = orjson.loads(verified.payload)
    except orjson.JSONDecodeError:
        raise InvalidReceipt("the receipt's claims are not JSON") from None
    if not isinstance(claims, dict) or claims.get("version") != KANTARA_VERSION:
        raise InvalidReceipt("this is not a ScoreLink consent receipt")
    return claims
