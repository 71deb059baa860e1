"""Shared steps of the assessment tests: a person with data, a grant, and the GraphQL documents."""

from __future__ import annotations

from typing import Any

from starlette.applications import Starlette

from consent_support import PartnerActor, PersonActor, person_with_full_file
from domain.models import Person
from domain.sessions import Sessions

REQUEST = """
mutation Ask($input: AssessmentInput!) {
  requestAssessment(input: $input) {
    __typename
    ... on AssessmentRequested { assessment {
      id subjectId reference amount { value currency } product termMonths tier status
      receivedAt dueBy completedAt timeline { status at note }
      outcome recommendedLimit { value currency } reasonCodes { code text textZh textZhHant }
      affordability { monthlyInstalmentCny instalmentToSpend } defaultProbability
    } }
    ... on AssessmentRefused { code message }
  }
}"""

READ = """
query Read($id: ID!) {
  partner { assessment(id: $id) {
    id status outcome recommendedLimit { value currency } reasonCodes { code }
    defaultProbability
  } }
}"""


async def signed_in(app: Starlette, actor_client: Any, person: Person) -> PersonActor:
    session = await Sessions(app.state.services.tokens).start(person)
    return PersonActor(actor_client, session.access_token.token, person)


async def person_with_data(app: Starlette, client: Any) -> PersonActor:
    """A signed-in person with both kinds of linked account, freshly synced."""
    return await signed_in(app, client, await person_with_full_file())


def asking(subject_id: str, **overrides: Any) -> dict[str, Any]:
    return {
        "subjectId": subject_id,
        "amount": {"value": "3000.00", "currency": "CNY"},
        "product": "LOAN",
        "termMonths": 12,
        "reference": "loan-1",
        **overrides,
    }


async def request(partner: PartnerActor, **input_: Any) -> dict[str, Any]:
    body = await partner.graphql(REQUEST, input=input_)
    assert "errors" not in body or body["data"]["requestAssessment"] is not None, body
    result: dict[str, Any] = body["data"]["requestAssessment"]
    return result


GRANT = """
mutation Grant($partner: ID!, $scopes: [Scope!]!, $purpose: Purpose!, $access: Access!) {
  grantConsent(partnerId: $partner, scopes: $scopes, purpose: $purpose, access: $access) {
    __typename ... on ConsentGranted { consent { id } } ... on ConsentRefused { code }
  }
}"""
SUBJECT_IDS = "{ partner { grants { id subjectId } } }"


async def granted(
    partner: PartnerActor,
    person: PersonActor,
    scopes: list[str],
    purpose: str = "CREDIT_APPLICATION",
    access: str = "ONGOING",
) -> str:
    """The person grants the partner `scopes`; return the subject id the partner knows them by."""
    body = await person.graphql(
        GRANT, partner=str(partner.partner.id), scopes=scopes, purpose=purpose, access=access
    )
    assert body["data"]["grantConsent"]["__typename"] == "ConsentGranted", body
    grant_id = body["data"]["grantConsent"]["consent"]["id"]
    grants = (await partner.graphql(SUBJECT_IDS))["data"]["partner"]["grants"]
    return str(next(g["subjectId"] for g in grants if g["id"] == grant_id))
