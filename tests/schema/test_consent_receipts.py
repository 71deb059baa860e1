"""Signed consent receipts: what the person and the partner fetch, verified with joserfc against
the JWKS the service publishes, and refused when tampered with, unsigned or foreign-signed.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from joserfc import jws
from joserfc.errors import BadSignatureError, JoseError
from joserfc.jwk import ECKey, KeySet
from test_consent_flow import grant_via_request

from consent.catalog import PartnerType
from consent_support import Actors, PartnerActor, PersonActor
from domain.receipts import InvalidReceipt, verify_receipt
from server.cli import main

MY_RECEIPTS = "{ me { consents { id receipt } } }"
PARTNER_RECEIPTS = "{ partner { grants { id subjectId receipt } } }"
RENEW = "mutation($id: ID!) { renewConsent(id: $id, duration: 60) { __typename } }"
REVOKE = "mutation($id: ID!) { revokeConsent(id: $id) { __typename } }"
GRANT = """
mutation($partner: ID!) {
  grantConsent(partnerId: $partner, scopes: [GRADE], purpose: INSURANCE_UNDERWRITING,
               access: ONE_TIME, duration: 10) { __typename }
}"""


async def published_jwks(actors: Actors) -> dict[str, Any]:
    response = await actors.client.get("/.well-known/jwks.json")
    assert response.status_code == 200
    jwks: dict[str, Any] = response.json()
    return jwks


def claims_by_joserfc(receipt: str, jwks: dict[str, Any]) -> dict[str, Any]:
    """What a partner does with nothing but joserfc and the published JWKS."""
    key_set = KeySet.import_key_set(jwks)  # type: ignore[arg-type]
    verified = jws.deserialize_compact(receipt, key_set, algorithms=["ES256"])
    claims: dict[str, Any] = json.loads(verified.payload)
    return claims


async def my_receipt(person: PersonActor) -> tuple[str, str]:
    [consent] = (await person.graphql(MY_RECEIPTS))["data"]["me"]["consents"]
    return str(consent["id"]), str(consent["receipt"])


async def partner_receipt(partner: PartnerActor) -> tuple[str, str]:
    [grant] = (await partner.graphql(PARTNER_RECEIPTS))["data"]["partner"]["grants"]
    return str(grant["subjectId"]), str(grant["receipt"])


async def test_an_approval_yields_a_kantara_receipt_both_sides_can_verify(actors: Actors) -> None:
    bank = await actors.partner(PartnerType.BANK, "Harbour Bank")
    person = await actors.person()
    subject_id = await grant_via_request(bank, person, ["GRADE", "SCORE"], duration=30)
    jwks = await published_jwks(actors)

    consent_id, mine = await my_receipt(person)
    subject_seen, theirs = await partner_receipt(bank)
    assert subject_seen == subject_id
    for receipt in (mine, theirs):
        claims = claims_by_joserfc(receipt, jwks)
        assert claims == verify_receipt(receipt, jwks)
        assert claims["version"] == "KI-CR-v1.1.0"
        assert claims["sub"] == claims["piiPrincipalId"] == subject_id
        assert claims["consentReceiptID"] == claims["jti"]
        assert claims["piiControllers"][0]["piiController"] == "ScoreLink"
        [purpose] = claims["services"][0]["purposes"]
        assert purpose["purpose"] == "CREDIT_APPLICATION"
        assert purpose["piiCategory"] == ["GRADE", "SCORE"]
        assert purpose["thirdPartyDisclosure"] is True
        assert purpose["thirdPartyName"] == "Harbour Bank"
        assert claims["consent"]["event"] == "REQUEST_APPROVED"
        assert claims["consent"]["grantId"] == consent_id
        assert claims["consent"]["access"] == "ONGOING"
        assert claims["consent"]["durationDays"] == 30
        assert claims["consent"]["recipient"]["type"] == "BANK"
        # The person is never named by phone or internal id.
        text = json.dumps(claims)
        assert person.person.phone not in text
        assert person.person.phone.removeprefix("+") not in text
        assert str(person.person.id) not in text
    assert claims_by_joserfc(mine, jwks)["jti"] == claims_by_joserfc(theirs, jwks)["jti"]


async def test_renewal_revocation_and_an_unasked_grant_each_yield_their_own_receipt(
    actors: Actors,
) -> None:
    bank = await actors.partner(PartnerType.BANK)
    person = await actors.person()
    await grant_via_request(bank, person, ["GRADE"])
    jwks = await published_jwks(actors)
    consent_id, approved = await my_receipt(person)

    await person.graphql(RENEW, id=consent_id)
    _, renewed = await my_receipt(person)
    await person.graphql(REVOKE, id=consent_id)
    _, revoked = await my_receipt(person)

    events = [claims_by_joserfc(r, jwks)["consent"] for r in (approved, renewed, revoked)]
    assert [e["event"] for e in events] == ["REQUEST_APPROVED", "RENEWED", "REVOKED"]
    assert [e["status"] for e in events][2] == "REVOKED"
    assert events[1]["durationDays"] >= 60
    receipt_ids = {claims_by_joserfc(r, jwks)["jti"] for r in (approved, renewed, revoked)}
    assert len(receipt_ids) == 3

    insurer = await actors.partner(PartnerType.INSURER)
    other = await actors.person()
    granted = await other.graphql(GRANT, partner=str(insurer.partner.id))
    assert granted["data"]["grantConsent"]["__typename"] == "ConsentGranted"
    _, receipt = await my_receipt(other)
    claims = claims_by_joserfc(receipt, jwks)
    assert claims["consent"]["event"] == "GRANTED"
    assert claims["consent"]["access"] == "ONE_TIME"


def _tampered(receipt: str) -> str:
    header, payload, signature = receipt.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["services"][0]["purposes"][0]["piiCategory"].append("CONTACT")
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{forged}.{signature}"


def _changed_byte(receipt: str) -> str:
    header, payload, signature = receipt.split(".")
    flipped = payload[:10] + ("A" if payload[10] != "A" else "B") + payload[11:]
    return f"{header}.{flipped}.{signature}"


def _unsigned(receipt: str) -> str:
    _, payload, _ = receipt.split(".")
    header = base64.urlsafe_b64encode(b'{"alg":"none"}').rstrip(b"=").decode()
    return f"{header}.{payload}."


def _foreign_signed(receipt: str) -> str:
    """The same claims and kid, signed by a key that is not the service's."""
    protected = jws.extract_compact(receipt.encode()).protected
    foreign = ECKey.generate_key("P-256", private=True)
    payload = jws.extract_compact(receipt.encode()).payload
    return jws.serialize_compact(dict(protected), payload, foreign, algorithms=["ES256"])


@pytest.mark.parametrize("forge", [_tampered, _changed_byte, _unsigned, _foreign_signed])
async def test_a_forged_receipt_fails_verification(actors: Actors, forge: Any) -> None:
    bank = await actors.partner(PartnerType.BANK)
    person = await actors.person()
    await grant_via_request(bank, person, ["GRADE"])
    jwks = await published_jwks(actors)
    _, receipt = await my_receipt(person)
    forged = forge(receipt)

    with pytest.raises(InvalidReceipt):
        verify_receipt(forged, jwks)
    with pytest.raises((BadSignatureError, JoseError, ValueError)):
        claims_by_joserfc(forged, jwks)


async def test_a_receipt_checked_against_another_services_jwks_fails(actors: Actors) -> None:
    bank = await actors.partner(PartnerType.BANK)
    person = await actors.person()
    await grant_via_request(bank, person, ["GRADE"])
    _, receipt = await my_receipt(person)
    kid = jws.extract_compact(receipt.encode()).protected["kid"]
    stranger = ECKey.generate_key("P-256", private=True)
    foreign_jwks = {"keys": [{**stranger.as_dict(private=False), "kid": kid, "alg": "ES256"}]}
    with pytest.raises(InvalidReceipt, match="signature does not match"):
        verify_receipt(receipt, foreign_jwks)


async def test_scorelink_receipts_verify_checks_a_file_offline(
    actors: Actors, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bank = await actors.partner(PartnerType.BANK, "Harbour Bank")
    person = await actors.person()
    subject_id = await grant_via_request(bank, person, ["GRADE"])
    jwks_file = tmp_path / "jwks.json"
    jwks_file.write_text(json.dumps(await published_jwks(actors)))
    _, receipt = await my_receipt(person)
    good, bad = tmp_path / "receipt.jws", tmp_path / "forged.jws"
    good.write_text(receipt + "\n")
    bad.write_text(_changed_byte(receipt))

    assert main(["receipts", "verify", str(good), "--jwks", str(jwks_file)]) == 0
    out = capsys.readouterr().out
    assert "verified" in out
    assert "Harbour Bank" in out
    assert subject_id in out
    assert main(["receipts", "verify", str(bad), "--jwks", str(jwks_file)]) == 1
    assert "NOT verified" in capsys.readouterr().err
    assert main(["receipts", "verify", str(tmp_path / "missing"), "--jwks", str(jwks_file)]) == 2
