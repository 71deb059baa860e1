"""A person's data export (PIPL art. 45) over HTTP: requested with GraphQL, downloaded once from
a signed, short-lived link, valid against the committed JSON Schema, and logged.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import httpx
import jsonschema_rs
import pytest
from test_consent_flow import SUBJECT, grant_via_request
from test_erasure_api import person_with_file

from connectors.provider import SourceKind
from consent.catalog import PartnerType
from consent.models import AccessLogEntry
from consent_support import Actors, PersonActor
from domain import data_export
from domain.clock import utc_now
from domain.collection_consents import collection_notice, record_collection_consent
from domain.data_export import SCHEMA_PATH
from domain.retention import DEFAULT_RECORD_RETENTION

ASSESS = """
mutation($subject: ID!) {
  requestAssessment(input: {subjectId: $subject, amount: {value: "3000.00", currency: "CNY"},
                            product: LOAN, termMonths: 12, reference: "loan-7"}) { __typename }
}"""
DISPUTE = """
mutation($explanation: String!) {
  disputeDataPoint(kind: DATA_SOURCE, reference: "ECOMMERCE", explanation: $explanation) {
    __typename
  }
}"""
REQUEST_EXPORT = """
mutation { requestDataExport {
  __typename
  ... on DataExportReady { downloadUrl expiresAt }
  ... on DataRightsRefused { code }
} }"""
VALIDATOR = jsonschema_rs.validator_for(json.loads(SCHEMA_PATH.read_text()))


async def export_link(person: PersonActor) -> str:
    body = await person.graphql(REQUEST_EXPORT)
    ready = body["data"]["requestDataExport"]
    assert ready["__typename"] == "DataExportReady", body
    return str(ready["downloadUrl"])


async def fetch(client: httpx.AsyncClient, link: str) -> httpx.Response:
    url = httpx.URL(link)
    return await client.get(url.raw_path.decode())


async def test_the_export_holds_everything_and_downloads_once(actors: Actors) -> None:
    bank = await actors.partner(PartnerType.BANK, "Harbour Bank")
    person = await person_with_file(actors)
    subject_id = await grant_via_request(bank, person, ["GRADE", "REASON_CODES"])
    await bank.graphql(SUBJECT, id=subject_id)
    # Issue 15 asks for consents of both kinds, assessments and disputes too.
    notice = collection_notice(
        "sandbox-social", "Sandbox Social", SourceKind.SOCIAL, DEFAULT_RECORD_RETENTION
    )
    await record_collection_consent(person.person.id, notice, utc_now())
    lender = await actors.partner(PartnerType.P2P_LENDER, "Quick Lender")
    lender_subject = await grant_via_request(lender, person, ["GRADE", "CREDIT_ASSESSMENT"])
    asked = await lender.graphql(ASSESS, subject=lender_subject)
    assert asked["data"]["requestAssessment"]["__typename"] == "AssessmentRequested", asked
    disputed = await person.graphql(DISPUTE, explanation="These\norders are not mine.")
    assert disputed["data"]["disputeDataPoint"]["__typename"] == "DataPointDisputed", disputed
    link = await export_link(person)
    assert link.startswith("http")
    assert "signature=" in link

    response = await fetch(actors.client, link)

    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    document: dict[str, Any] = response.json()
    VALIDATOR.validate(document)
    assert document["profile"]["phone"] == person.person.phone
    assert document["profile"]["displayName"] == "Zhang Min"
    assert {a["kind"] for a in document["linkedAccounts"]} == {"SOCIAL", "ECOMMERCE"}
    assert all(a["normalisedRecord"] for a in document["linkedAccounts"])
    # The file's two reports, then the one the assessment computed from fresh data.
    assert len(document["reports"]) == 3
    assert document["reports"][1]["reasonCodes"][0]["code"] == "R01"
    assert [r["status"] for r in document["consentRequests"]] == ["APPROVED", "APPROVED"]
    grants = {g["partner"]["name"]: g for g in document["consentsToShare"]}
    assert grants["Harbour Bank"]["scopes"] == ["GRADE", "REASON_CODES"]
    assert sorted(grants["Quick Lender"]["scopes"]) == ["CREDIT_ASSESSMENT", "GRADE"]
    [collect] = document["consentsToCollect"]
    assert collect["provider"] == "sandbox-social"
    assert collect["status"] == "ACTIVE"
    assert collect["dataKinds"] == list(notice.data_kinds)
    assert collect["retentionDays"] == 365
    [assessment] = document["assessments"]
    assert assessment["partner"]["name"] == "Quick Lender"
    assert (assessment["reference"], assessment["amount"], assessment["currency"]) == (
        "loan-7",
        "3000.00",
        "CNY",
    )
    assert assessment["timeline"], "the status timeline comes with it"
    [dispute] = document["disputes"]
    assert dispute["kind"] == "DATA_SOURCE"
    assert dispute["reference"] == "ECOMMERCE"
    assert dispute["explanation"] == "These\norders are not mine."
    assert dispute["status"] == "OPEN"
    assert document["reports"][-1]["disputed"] is True
    events = [e["event"] for e in document["accessLog"]]
    assert "READ" in events
    # The export is logged, and the document includes its own request and download.
    assert events[-2:] == ["DATA_EXPORT_REQUESTED", "DATA_EXPORTED"]
    assert "tokens" not in json.dumps(document).lower()

    again = await fetch(actors.client, link)
    assert again.status_code == 410
    assert again.json()["error"]["code"] == "export_already_downloaded"
    logged = await AccessLogEntry.filter(person_id=person.person.id, event="DATA_EXPORTED")
    assert len(logged) == 1


async def test_a_person_with_nothing_linked_gets_a_valid_empty_export(actors: Actors) -> None:
    person = await actors.person()
    response = await fetch(actors.client, await export_link(person))
    assert response.status_code == 200
    document = response.json()
    VALIDATOR.validate(document)
    assert document["linkedAccounts"] == []
    assert document["reports"] == []
    assert document["consentsToShare"] == []
    assert document["consentsToCollect"] == []
    assert document["assessments"] == []
    assert document["disputes"] == []
    assert [e["event"] for e in document["accessLog"]] == [
        "DATA_EXPORT_REQUESTED",
        "DATA_EXPORTED",
    ]


async def test_an_expired_link_is_refused(actors: Actors, monkeypatch: pytest.MonkeyPatch) -> None:
    person = await actors.person()
    link = await export_link(person)
    later = utc_now() + data_export.EXPORT_LINK_LIFETIME + timedelta(seconds=1)
    monkeypatch.setattr(data_export, "utc_now", lambda: later)
    response = await fetch(actors.client, link)
    assert response.status_code == 410
    assert response.json()["error"]["code"] == "export_link_expired"
    assert not await AccessLogEntry.exists(person_id=person.person.id, event="DATA_EXPORTED")


@pytest.mark.parametrize(
    "forge",
    [
        lambda link: link[:-1] + ("0" if link[-1] != "0" else "1"),  # a changed signature
        lambda link: link.replace("expires=", "expires=9"),  # a later expiry, same signature
        lambda link: link.split("?")[0],  # no signature at all
        lambda link: link.replace("/exports/", "/exports/not-a-uuid-"),
    ],
)
async def test_a_forged_link_reads_as_unknown(actors: Actors, forge: Any) -> None:
    person = await actors.person()
    link = await export_link(person)
    response = await fetch(actors.client, forge(link))
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "export_link_invalid"
    # The genuine link still works: a forgery spends nothing.
    assert (await fetch(actors.client, link)).status_code == 200


async def test_only_a_signed_in_person_can_export(actors: Actors) -> None:
    bank = await actors.partner(PartnerType.BANK)
    by_partner = await bank.graphql(REQUEST_EXPORT)
    assert by_partner["data"]["requestDataExport"]["code"] == "PERSON_ONLY"
    anonymous = await actors.client.post("/graphql", json={"query": REQUEST_EXPORT})
    assert anonymous.json()["data"]["requestDataExport"]["code"] == "UNAUTHENTICATED"


def test_the_committed_schema_rejects_an_incomplete_or_padded_document() -> None:
    minimal = {
        "format": "scorelink-data-export",
        "version": "2",
        "generatedAt": "2026-01-01T00:00:00+00:00",
        "profile": {
            "id": "6f1d7f5e-2b1c-4a4e-9d1e-5c0e5c0e5c0e",
            "phone": "+8613900000001",
            "displayName": None,
            "phoneVerifiedAt": None,
            "registeredAt": "2026-01-01T00:00:00+00:00",
        },
        "linkedAccounts": [],
        "reports": [],
        "consentRequests": [],
        "consentsToShare": [],
        "accessLog": [],
        "consentsToCollect": [],
        "assessments": [],
        "disputes": [],
    }
    assert VALIDATOR.is_valid(minimal)
    for section in ("reports", "consentsToCollect", "assessments", "disputes"):
        assert not VALIDATOR.is_valid({k: v for k, v in minimal.items() if k != section})
    assert not VALIDATOR.is_valid({**minimal, "tokens": "leak"})
