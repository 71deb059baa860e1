"""Partners manage webhooks over GraphQL and read the delivery log; refusals are typed."""

from __future__ import annotations

from typing import Any

from consent.catalog import PartnerType
from consent_support import Actor, Actors
from domain.clock import utc_now
from domain.webhook_delivery import DeliverySettings, deliver_due
from server.settings import Settings
from webhook_support import Answer, Receiver

CREATE = """
mutation Create($url: String!, $types: [String!]!) {
  createWebhookEndpoint(url: $url, eventTypes: $types) {
    __typename
    ... on WebhookEndpointWithSecret { secret endpoint { id url eventTypes status } }
    ... on WebhookRefused { code message }
  }
}"""
ASK = """
mutation Ask($phone: String!) {
  requestConsent(phone: $phone, scopes: [GRADE], purpose: CREDIT_APPLICATION) {
    ... on ConsentRequested { request { id } }
  }
}"""
APPROVE = """
mutation Approve($id: ID!) { approveConsentRequest(id: $id) { __typename } }
"""
LOG = """
query Log($status: WebhookDeliveryStatus) {
  partner {
    webhookEndpoints { id url status disabledReason }
    webhookDeliveries(first: 10, status: $status) {
      id eventId eventType sequence status attempts { outcome statusCode responseBody }
    }
  }
}"""
REDELIVER = """
mutation Redeliver($id: ID!) {
  redeliverWebhook(deliveryId: $id) {
    __typename ... on WebhookRefused { code }
  }
}"""
ROTATE = """
mutation Rotate($id: ID!) {
  rotateWebhookSecret(id: $id) {
    __typename
    ... on WebhookEndpointWithSecret { secret endpoint { previousSecretExpiresAt } }
    ... on WebhookRefused { code }
  }
}"""
DISABLE = """
mutation Disable($id: ID!) {
  disableWebhookEndpoint(id: $id) {
    __typename
    ... on WebhookEndpointChanged { endpoint { status disabledReason } }
    ... on WebhookRefused { code }
  }
}"""
UPDATE = """
mutation Update($id: ID!, $types: [String!]) {
  updateWebhookEndpoint(id: $id, eventTypes: $types, enabled: true) {
    __typename
    ... on WebhookEndpointChanged { endpoint { status eventTypes } }
    ... on WebhookRefused { code }
  }
}"""


async def _deliver(settings: Settings) -> None:
    await deliver_due(DeliverySettings(settings.secret_keys, sandbox=True), utc_now())


def _data(body: dict[str, Any], field: str) -> Any:
    assert "errors" not in body, body
    return body["data"][field]


async def test_an_approval_reaches_the_partners_endpoint_and_its_log(
    actors: Actors, settings: Settings
) -> None:
    bank = await actors.partner(PartnerType.BANK)
    person = await actors.person()
    async with Receiver().running() as receiver:
        created = _data(
            await bank.graphql(CREATE, url=receiver.url, types=["consent_request.approved"]),
            "createWebhookEndpoint",
        )
        assert created["__typename"] == "WebhookEndpointWithSecret"
        assert created["secret"].startswith("whsec_")
        receiver.secrets.append(created["secret"])
        asked = _data(await bank.graphql(ASK, phone=person.person.phone), "requestConsent")
        await person.graphql(APPROVE, id=asked["request"]["id"])
        await _deliver(settings)

        [call] = receiver.verified()
        assert call.payload["type"] == "consent_request.approved"
        assert call.payload["data"]["object_id"] == asked["request"]["id"]

        log = _data(await bank.graphql(LOG), "partner")
        assert created["secret"] not in str(log)
        [delivery] = log["webhookDeliveries"]
        assert delivery["eventId"] == call.headers["webhook-id"]
        assert (delivery["eventType"], delivery["sequence"], delivery["status"]) == (
            "consent_request.approved",
            1,
            "DELIVERED",
        )
        assert delivery["attempts"] == [
            {"outcome": "SUCCEEDED", "statusCode": 200, "responseBody": "ok"}
        ]

        redelivered = _data(await bank.graphql(REDELIVER, id=delivery["id"]), "redeliverWebhook")
        assert redelivered["__typename"] == "WebhookRedelivered"
        await _deliver(settings)
    assert [r.headers["webhook-id"] for r in receiver.verified()] == [delivery["eventId"]] * 2
    [again] = _data(await bank.graphql(LOG), "partner")["webhookDeliveries"]
    assert [a["outcome"] for a in again["attempts"]] == ["SUCCEEDED", "SUCCEEDED"]


async def test_rotation_disable_and_enable(actors: Actors) -> None:
    bank = await actors.partner(PartnerType.BANK)
    created = _data(
        await bank.graphql(CREATE, url="http://127.0.0.1:9/hook", types=["consent.revoked"]),
        "createWebhookEndpoint",
    )
    endpoint_id = created["endpoint"]["id"]
    rotated = _data(await bank.graphql(ROTATE, id=endpoint_id), "rotateWebhookSecret")
    assert rotated["secret"] != created["secret"]
    assert rotated["endpoint"]["previousSecretExpiresAt"] is not None
    disabled = _data(await bank.graphql(DISABLE, id=endpoint_id), "disableWebhookEndpoint")
    assert disabled["endpoint"] == {
        "status": "DISABLED",
        "disabledReason": "disabled by the partner",
    }
    enabled = _data(
        await bank.graphql(UPDATE, id=endpoint_id, types=["consent.expired"]),
        "updateWebhookEndpoint",
    )
    assert enabled["endpoint"] == {"status": "ACTIVE", "eventTypes": ["consent.expired"]}


async def test_a_receiver_that_answers_410_shows_the_notice(
    actors: Actors, settings: Settings
) -> None:
    bank = await actors.partner(PartnerType.BANK)
    person = await actors.person()
    async with Receiver(answer=lambda _: Answer(status=410)).running() as receiver:
        await bank.graphql(CREATE, url=receiver.url, types=["consent_request.approved"])
        asked = _data(await bank.graphql(ASK, phone=person.person.phone), "requestConsent")
        await person.graphql(APPROVE, id=asked["request"]["id"])
        await _deliver(settings)
    partner = _data(await bank.graphql(LOG, status="FAILED"), "partner")
    [endpoint] = partner["webhookEndpoints"]
    assert (endpoint["status"], endpoint["disabledReason"]) == (
        "DISABLED",
        "the receiver answered 410 Gone",
    )
    [delivery] = partner["webhookDeliveries"]
    assert delivery["attempts"][0]["statusCode"] == 410


async def test_bad_inputs_are_typed_refusals(actors: Actors) -> None:
    bank, other = await actors.partner(PartnerType.BANK), await actors.partner(PartnerType.BANK)
    person = await actors.person()
    refusals: list[tuple[Actor, str, dict[str, Any]]] = [
        (bank, CREATE, {"url": "http://10.0.0.1/hook", "types": ["consent.revoked"]}),
        (bank, CREATE, {"url": "ftp://127.0.0.1/hook", "types": ["consent.revoked"]}),
        (bank, CREATE, {"url": "http://127.0.0.1/hook", "types": ["consent.revokd"]}),
        (person, CREATE, {"url": "http://127.0.0.1/hook", "types": ["consent.revoked"]}),
        (bank, REDELIVER, {"id": "00000000-0000-0000-0000-000000000000"}),
    ]
    codes = []
    for actor, mutation, variables in refusals:
        body = await actor.graphql(mutation, **variables)
        assert "errors" not in body, body
        [payload] = body["data"].values()
        assert payload["__typename"] == "WebhookRefused"
        codes.append(payload["code"])
    assert codes == [
        "WEBHOOK_ADDRESS_REFUSED",
        "INVALID_WEBHOOK_URL",
        "UNKNOWN_EVENT_TYPE",
        "PARTNER_ONLY",
        "WEBHOOK_DELIVERY_NOT_FOUND",
    ]

    mine = _data(
        await bank.graphql(CREATE, url="http://127.0.0.1:9/hook", types=["consent.revoked"]),
        "createWebhookEndpoint",
    )
    theirs = _data(
        await other.graphql(DISABLE, id=mine["endpoint"]["id"]), "disableWebhookEndpoint"
    )
    assert theirs == {"__typename": "WebhookRefused", "code": "WEBHOOK_ENDPOINT_NOT_FOUND"}
    assert _data(await other.graphql(LOG), "partner")["webhookEndpoints"] == []

    too_many = await bank.graphql("{ partner { webhookDeliveries(first: 0) { id } } }")
    assert too_many["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
