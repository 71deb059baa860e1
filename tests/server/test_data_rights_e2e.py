"""A person's data rights over real HTTP against `scorelink serve`: a receipt verified offline
with `scorelink receipts verify`, an export downloaded once, then the person erased by support
while the server runs, after which the session is over, the partner's subject id reads as
NOT_FOUND and the access log verifies.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from tortoise.context import TortoiseContext

from consent.catalog import PartnerType
from domain.login import SANDBOX_PERSONA_CODE
from domain.partners import RegisteredPartner, register_partner
from domain.sandbox_personas import TEST_PERSONAS
from live_server import LiveServer
from sandbox_support import Sandbox
from server.cli import main
from server.database import tortoise_config

PERSONA = TEST_PERSONAS[0].phone


@pytest.fixture
def sandbox_server(database_url: str, tmp_path: Path, trained_model_dir: Path) -> Iterator[str]:
    server = LiveServer(database_url, trained_model_dir, tmp_path / "server.log")
    server.start()
    yield server.base_url
    server.kill()


def _data(base: str, query: str, token: str | None = None, **variables: Any) -> dict[str, Any]:
    headers = {"authorization": f"Bearer {token}"} if token else {}
    response = httpx.post(
        f"{base}/graphql",
        json={"query": query, "variables": variables},
        headers=headers,
        timeout=20,
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert "errors" not in body, body
    data: dict[str, Any] = body["data"]
    return data


def _sign_in(base: str) -> str:
    _data(base, "mutation($p: String!) { requestLoginCode(phone: $p) { __typename } }", p=PERSONA)
    verified = _data(
        base,
        "mutation($p: String!, $c: String!) { verifyLoginCode(phone: $p, code: $c) {"
        " ... on SignedIn { accessToken } } }",
        p=PERSONA,
        c=SANDBOX_PERSONA_CODE,
    )
    return str(verified["verifyLoginCode"]["accessToken"])


async def _register_partner(database_url: str) -> RegisteredPartner:
    async with TortoiseContext() as orm:
        await orm.init(config=tortoise_config(database_url))
        return await register_partner("Live Bank", PartnerType.BANK)


def test_receipt_export_and_erasure_over_real_http(
    sandbox_server: str,
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    base = sandbox_server
    registered = asyncio.run(_register_partner(database_url))
    partner_token = httpx.post(
        f"{base}/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(registered.partner.client_id, registered.client_secret),
        timeout=20,
    ).json()["access_token"]
    person_token = _sign_in(base)
    granted = _data(
        base,
        "mutation($p: ID!) { grantConsent(partnerId: $p, scopes: [GRADE], "
        "purpose: CREDIT_APPLICATION) { __typename } }",
        person_token,
        p=str(registered.partner.id),
    )
    assert granted["grantConsent"]["__typename"] == "ConsentGranted"
    [grant] = _data(base, "{ partner { grants { subjectId receipt } } }", partner_token)["partner"][
        "grants"
    ]

    # The partner saves the receipt and the published JWKS, then verifies offline.
    receipt_file, jwks_file = tmp_path / "receipt.jws", tmp_path / "jwks.json"
    receipt_file.write_text(grant["receipt"])
    jwks_file.write_text(httpx.get(f"{base}/.well-known/jwks.json", timeout=20).text)
    assert main(["receipts", "verify", str(receipt_file), "--jwks", str(jwks_file)]) == 0
    assert grant["subjectId"] in capsys.readouterr().out

    link = _data(
        base,
        "mutation { requestDataExport { ... on DataExportReady { downloadUrl } } }",
        person_token,
    )["requestDataExport"]["downloadUrl"]
    path = httpx.URL(link).raw_path.decode()
    exported = httpx.get(f"{base}{path}", timeout=20)
    assert exported.status_code == 200
    assert exported.json()["profile"]["phone"] == PERSONA
    assert httpx.get(f"{base}{path}", timeout=20).status_code == 410

    # Support erases the person while the server runs (deleteMyAccount needs a second code,
    # which the resend cooldown holds back for a minute: tested in-process in test_erasure_api).
    monkeypatch.setenv("DATABASE_URL", database_url)
    assert main(["people", "delete", PERSONA, "--yes"]) == 0
    assert "1 consents revoked" in capsys.readouterr().out
    gone = httpx.post(
        f"{base}/graphql",
        json={"query": "{ me { id } }"},
        headers={"authorization": f"Bearer {person_token}"},
        timeout=20,
    )
    assert gone.status_code == 401
    read = httpx.post(
        f"{base}/graphql",
        json={"query": f'{{ partner {{ subject(id: "{grant["subjectId"]}") {{ grade }} }} }}'},
        headers={"authorization": f"Bearer {partner_token}"},
        timeout=20,
    ).json()
    assert [e["extensions"]["code"] for e in read["errors"]] == ["NOT_FOUND"]

    assert main(["audit", "verify"]) == 0
    assert "access log verified" in capsys.readouterr().out
    assert json.loads(jwks_file.read_text())["keys"]


def _staff_token(base: str, sms_file: Path, phone: str) -> str:
    """A staff sign-in, the code read from the sandbox's text-message file."""
    _data(base, "mutation($p: String!) { requestLoginCode(phone: $p) { __typename } }", p=phone)
    [line] = [row for row in sms_file.read_text().splitlines() if row.startswith(phone)]
    code = line.split("\t")[1].removeprefix("Your ScoreLink code is ")[:6]
    signed_in = _data(
        base,
        "mutation($p: String!, $c: String!) { verifyStaffLoginCode(phone: $p, code: $c) {"
        " ... on StaffSignedIn { accessToken } } }",
        p=phone,
        c=code,
    )
    return str(signed_in["verifyStaffLoginCode"]["accessToken"])


def test_consent_to_collect_and_a_dispute_over_real_http(live_sandbox: Sandbox) -> None:
    base = live_sandbox.base_url
    person_token = _sign_in(base)
    # The seed recorded the persona's consents to collect for the accounts it linked.
    consents = _data(
        base,
        "{ me { consents(kinds: [COLLECT, SHARE]) { id kind status collection { provider } } "
        "linkedAccounts { provider status } report { dataSources } } }",
        person_token,
    )["me"]
    collect = {
        c["collection"]["provider"]: c for c in consents["consents"] if c["kind"] == "COLLECT"
    }
    linked = {a["provider"] for a in consents["linkedAccounts"] if a["status"] == "LINKED"}
    assert linked
    assert set(collect) == linked
    assert {c["status"] for c in collect.values()} == {"ACTIVE"}

    # demo-bank reads the report under the seeded consent; the person disputes a data source.
    secret = live_sandbox.scorelink("sandbox", "credentials", "demo-bank").strip()
    partner_token = httpx.post(
        f"{base}/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=("demo-bank", secret),
        timeout=20,
    ).json()["access_token"]
    grants = _data(base, "{ partner { grants { id subjectId } } }", partner_token)
    mine = {c["id"] for c in consents["consents"] if c["kind"] == "SHARE"}
    [subject_id] = {g["subjectId"] for g in grants["partner"]["grants"] if g["id"] in mine}
    read = "query($s: ID!) { partner { subject(id: $s) { disputed grade } } }"

    def disputed_as_seen() -> object:
        return _data(base, read, partner_token, s=subject_id)["partner"]["subject"]["disputed"]

    assert disputed_as_seen() is False
    source = consents["report"]["dataSources"][0]
    disputed = _data(
        base,
        "mutation($r: String!) { disputeDataPoint(kind: DATA_SOURCE, reference: $r, "
        'explanation: "Not my account.") { ... on DataPointDisputed { dispute { id resolveBy } } '
        "... on DisputeRefused { code } } }",
        person_token,
        r=source,
    )["disputeDataPoint"]
    assert disputed["dispute"]["resolveBy"]
    assert disputed_as_seen() is True

    # A reviewer, created by the operator's command, upholds it: the source no longer counts.
    analyst = "+8613711110000"
    live_sandbox.scorelink("staff", "create", "--phone", analyst, "--name", "Zhao Min")
    sms_file = Path(live_sandbox.environ["SCORELINK_SANDBOX_SMS_FILE"])
    staff_token = _staff_token(base, sms_file, analyst)
    resolved = _data(
        base,
        'mutation($id: ID!) { resolveDispute(id: $id, outcome: UPHELD, reason: "Confirmed.") {'
        " ... on DisputeResolved { dispute { status } report { dataSources } } } }",
        staff_token,
        id=disputed["dispute"]["id"],
    )["resolveDispute"]
    assert resolved["dispute"]["status"] == "UPHELD"
    assert source not in resolved["report"]["dataSources"]
    assert disputed_as_seen() is False

    # Withdrawing a consent to collect deletes that account, over the same API.
    provider = sorted(collect)[0]
    withdrawn = _data(
        base,
        "mutation($id: ID!) { withdrawCollectionConsent(id: $id) {"
        " ... on CollectionConsentWithdrawn { consent { status } unlinkedAccountId } } }",
        person_token,
        id=collect[provider]["id"],
    )["withdrawCollectionConsent"]
    assert withdrawn["consent"]["status"] == "REVOKED"
    assert withdrawn["unlinkedAccountId"]
    left = _data(base, "{ me { linkedAccounts { provider } } }", person_token)["me"]
    assert provider not in {a["provider"] for a in left["linkedAccounts"]}
    assert "access log verified" in live_sandbox.scorelink("audit", "verify")
