"""The refusals a partner or person reads: the stable code and the whole message, word for word.

A refusal's message is what a person or an integration engineer reads to fix their call, so it
is pinned exactly, not by a fragment: a message that loses the partner type, the scopes it may
not hold, the purposes it may use or the range of days has stopped helping. The names and
numbers in each message come from DESIGN.md's tables (`consent_spec`), never from the policy
under test. Every refusal leaves nothing written.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from tortoise.context import TortoiseContext

import consent_spec as spec
from consent.catalog import Access, PartnerType, Purpose, Scope
from consent.errors import (
    ConsentError,
    GrantNotActive,
    GrantNotFound,
    InvalidDuration,
    InvalidScopes,
    PurposeNotAllowed,
    RequestAlreadyDecided,
    RequestExpired,
    RequestNotFound,
    ScopeAboveCeiling,
)
from consent.lifecycle import (
    Terms,
    approve_request,
    deny_request,
    grant_consent,
    renew_consent,
    request_consent,
    revoke_consent,
)
from consent.models import AccessLogEntry, ConsentGrant, ConsentRequest, GrantStatus
from consent_support import new_phone
from domain.clock import utc_now
from domain.models import Person
from domain.partners import register_partner

# The codes of the published schema's consent error enum (schema.graphql), one per refusal.
CODES: dict[type[ConsentError], str] = {
    InvalidScopes: "INVALID_SCOPES",
    ScopeAboveCeiling: "SCOPE_NOT_PERMITTED_FOR_PARTNER_TYPE",
    PurposeNotAllowed: "PURPOSE_NOT_ALLOWED",
    InvalidDuration: "INVALID_DURATION",
    RequestNotFound: "REQUEST_NOT_FOUND",
    RequestExpired: "REQUEST_EXPIRED",
    RequestAlreadyDecided: "REQUEST_ALREADY_DECIDED",
    GrantNotFound: "GRANT_NOT_FOUND",
    GrantNotActive: "GRANT_NOT_ACTIVE",
}


def _refused(
    error: pytest.ExceptionInfo[ConsentError], kind: type[ConsentError], text: str
) -> None:
    assert type(error.value) is kind
    assert error.value.code == CODES[kind]
    assert str(error.value) == text


def _terms(
    scopes: list[str], purpose: str, days: int | None, access: Access = Access.ONGOING
) -> Terms:
    return Terms([Scope(s) for s in scopes], Purpose(purpose), days, access)


def _allowed_purpose(partner_type: str) -> str:
    return sorted(spec.PURPOSES[partner_type])[0]


@pytest.mark.parametrize("partner_type", spec.PARTNER_TYPES)
def test_asking_for_no_scope_is_refused(partner_type: str) -> None:
    terms = _terms([], _allowed_purpose(partner_type), None)
    with pytest.raises(ConsentError) as error:
        terms.checked(PartnerType(partner_type))
    _refused(error, InvalidScopes, "at least one scope is needed")


@pytest.mark.parametrize("partner_type", spec.PARTNER_TYPES)
def test_scopes_above_the_ceiling_are_named_in_the_refusal(partner_type: str) -> None:
    above = sorted(set(spec.SCOPES) - spec.CEILING[partner_type])
    everything = _terms(list(spec.SCOPES), _allowed_purpose(partner_type), None)
    if not above:
        # A type whose ceiling is every scope may ask for all of them, in scope order.
        checked = everything.checked(PartnerType(partner_type))
        assert checked.scope_values == sorted(spec.SCOPES)
        return
    with pytest.raises(ConsentError) as error:
        everything.checked(PartnerType(partner_type))
    _refused(
        error,
        ScopeAboveCeiling,
        f"a {partner_type} partner may never hold: {', '.join(above)}",
    )
    within = _terms(sorted(spec.CEILING[partner_type]), _allowed_purpose(partner_type), None)
    assert within.checked(PartnerType(partner_type)).scope_values == sorted(
        spec.CEILING[partner_type]
    )


@pytest.mark.parametrize("partner_type", spec.PARTNER_TYPES)
def test_a_purpose_of_another_type_is_refused_with_the_allowed_ones(partner_type: str) -> None:
    allowed = spec.PURPOSES[partner_type]
    foreign = sorted(set().union(*spec.PURPOSES.values()) - allowed)
    for purpose in foreign:
        with pytest.raises(ConsentError) as error:
            _terms(["GRADE"], purpose, None).checked(PartnerType(partner_type))
        _refused(
            error,
            PurposeNotAllowed,
            f"a {partner_type} partner may ask only for: {', '.join(sorted(allowed))}",
        )
    for purpose in allowed:
        assert _terms(["GRADE"], purpose, None).checked(PartnerType(partner_type)).purpose == (
            Purpose(purpose)
        )


@pytest.mark.parametrize("partner_type", spec.PARTNER_TYPES)
def test_durations_run_from_one_day_to_the_types_longest(partner_type: str) -> None:
    longest, purpose = spec.LONGEST_DAYS[partner_type], _allowed_purpose(partner_type)
    for days in (-1, 0, longest + 1):
        with pytest.raises(ConsentError) as error:
            _terms(["GRADE"], purpose, days).checked(PartnerType(partner_type))
        _refused(
            error,
            InvalidDuration,
            f"duration must be 1 to {longest} days for a {partner_type} partner (got {days})",
        )
    accepted: list[tuple[int | None, int]] = [
        (1, 1),
        (longest, longest),
        (None, spec.DEFAULT_DAYS[partner_type]),
    ]
    for asked, kept in accepted:
        checked = _terms(["GRADE"], purpose, asked).checked(PartnerType(partner_type))
        assert checked.duration_days == kept


BANK_TERMS = _terms(["GRADE", "SCORE"], "CREDIT_APPLICATION", 30)


async def test_what_a_person_reads_when_a_request_cannot_be_answered(
    orm: TortoiseContext,
) -> None:
    bank = (await register_partner("Refusal Bank", PartnerType.BANK)).partner
    person, stranger = (
        await Person.create(phone=new_phone()),
        await Person.create(phone=new_phone()),
    )
    now = utc_now()
    ask = await request_consent(
        bank.id, PartnerType.BANK, person.phone, BANK_TERMS, None, now, None
    )
    logged = await AccessLogEntry.all().count()

    with pytest.raises(ConsentError) as error:
        await approve_request(
            ask.id, stranger.id, stranger.phone, PartnerType.BANK, None, now, None
        )
    _refused(error, RequestNotFound, "no such consent request")
    with pytest.raises(ConsentError) as error:
        await approve_request(
            ask.id,
            person.id,
            person.phone,
            PartnerType.BANK,
            [Scope.SCORE, Scope.CONTACT, Scope.IDENTITY],
            now,
            None,
        )
    _refused(
        error,
        InvalidScopes,
        "you can approve only scopes the partner asked for (not CONTACT, IDENTITY)",
    )
    with pytest.raises(ConsentError) as error:
        await deny_request(ask.id, person.id, person.phone, now + timedelta(days=7), None)
    _refused(error, RequestExpired, "this request has expired; the partner must ask again")
    assert (await ConsentRequest.get(id=ask.id)).status == "PENDING"
    assert await AccessLogEntry.all().count() == logged

    await approve_request(ask.id, person.id, person.phone, PartnerType.BANK, None, now, None)
    with pytest.raises(ConsentError) as error:
        await deny_request(ask.id, person.id, person.phone, now, None)
    _refused(error, RequestAlreadyDecided, "this request was already approved")

    other = await request_consent(
        bank.id, PartnerType.BANK, person.phone, BANK_TERMS, None, now, None
    )
    await deny_request(other.id, person.id, person.phone, now, None)
    with pytest.raises(ConsentError) as error:
        await approve_request(other.id, person.id, person.phone, PartnerType.BANK, None, now, None)
    _refused(error, RequestAlreadyDecided, "this request was already denied")
    assert await ConsentGrant.filter(partner_id=bank.id).count() == 1


async def test_what_a_person_reads_when_a_consent_cannot_be_renewed(orm: TortoiseContext) -> None:
    bank = (await register_partner("Renewal Bank", PartnerType.BANK)).partner
    person, stranger = (
        await Person.create(phone=new_phone()),
        await Person.create(phone=new_phone()),
    )
    now = utc_now()
    grant = await grant_consent(person.id, bank.id, PartnerType.BANK, BANK_TERMS, now, None)
    expiry = (await ConsentGrant.get(id=grant.id)).expires_at

    with pytest.raises(ConsentError) as error:
        await renew_consent(grant.id, stranger.id, PartnerType.BANK, 30, now, None)
    _refused(error, GrantNotFound, "no such consent")
    with pytest.raises(ConsentError) as error:
        await revoke_consent(grant.id, stranger.id, now, None)
    _refused(error, GrantNotFound, "no such consent")
    with pytest.raises(ConsentError) as error:
        await renew_consent(grant.id, person.id, PartnerType.BANK, 30, expiry, None)
    _refused(error, GrantNotActive, "only an active consent can be renewed; grant a new one")
    stored = await ConsentGrant.get(id=grant.id)
    assert (stored.status, stored.expires_at) == (GrantStatus.ACTIVE, expiry)

    await revoke_consent(grant.id, person.id, now, None)
    with pytest.raises(ConsentError) as error:
        await renew_consent(grant.id, person.id, PartnerType.BANK, 30, now, None)
    _refused(error, GrantNotActive, "only an active consent can be renewed; grant a new one")
