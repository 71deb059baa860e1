"""Property: whatever the grant history and however the query is shaped, no value reaches a
partner outside its grant, and no subject of another partner is ever returned.

Hypothesis draws a partner type, a history of grants, revocations, expiries and reads, and a
query document mixing aliases, fragments, inline fragments, variables with @include/@skip,
repeated fields and list paths. An independent model of DESIGN.md says which scopes each read
may return; the response is checked against it.
"""

from __future__ import annotations

import asyncio
import itertools
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, cast

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tortoise.context import TortoiseContext

from consent.catalog import Access, PartnerType, Scope
from consent.field_catalog import FIELD_SCOPES
from consent.lifecycle import Terms, grant_consent, revoke_consent
from consent.models import ConsentGrant, PartnerSubject
from consent.policy import policy_for
from consent_support import person_with_full_file
from domain.clock import utc_now
from domain.partners import register_partner
from domain.principal import PartnerPrincipal
from domain.services import Services
from resolvers.context import RequestContext
from schema import build_schema
from server.database import tortoise_config

SCHEMA = build_schema()
SUBJECT_FIELDS = {key.split(".")[1]: scope for key, scope in FIELD_SCOPES.items()}
SUBSELECTIONS = {
    "reasonCodes": "{ code text }",
    "scoreHistory": "{ grade score }",
    "identity": "{ displayName realNameVerified }",
    "contact": "{ phone }",
    "dataSources": "{ kind provider }",
    "spendingProfile": "{ spendBand }",
    "socialProfile": "{ audienceBand activityLevel }",
}
_names = itertools.count()
VARIABLE_TYPES = {"own": "ID!", "foreign": "ID!", "yes": "Boolean!", "no": "Boolean!"}


@dataclass
class GrantModel:
    scopes: frozenset[Scope]
    access: Access
    revoked: bool = False
    expired: bool = False
    used: bool = False

    def live(self) -> bool:
        return not (self.revoked or self.expired or self.used)


@dataclass
class History:
    grants: list[GrantModel] = field(default_factory=list)


# --- strategies -----------------------------------------------------------------------------

partner_types = st.sampled_from(list(PartnerType))


@st.composite
def histories(draw: st.DrawFn, partner_type: PartnerType) -> list[tuple[str, Any]]:
    ceiling = sorted(policy_for(partner_type).ceiling)
    steps: list[tuple[str, Any]] = []
    granted = 0
    for _ in range(draw(st.integers(1, 5))):
        kind = draw(st.sampled_from(["grant", "grant", "revoke", "expire", "read"]))
        if kind == "grant" or granted == 0:
            scopes = draw(st.frozensets(st.sampled_from(ceiling), min_size=1))
            access = draw(st.sampled_from(list(Access)))
            steps.append(("grant", (scopes, access)))
            granted += 1
        elif kind in ("revoke", "expire"):
            steps.append((kind, draw(st.integers(0, granted - 1))))
        else:
            steps.append(("read", None))
    return steps


@dataclass(frozen=True)
class FieldPick:
    name: str
    alias: str | None
    directive: str  # "", "@include(if: $yes)", "@skip(if: $no)", or an excluding one
    shown: bool  # false when a directive drops it


@st.composite
def field_picks(draw: st.DrawFn) -> list[FieldPick]:
    """At most 4 fields, so 3 reads stay under the API's limit of 15 aliases."""
    picks = []
    for name in draw(st.lists(st.sampled_from(sorted(SUBJECT_FIELDS)), min_size=1, max_size=4)):
        alias = draw(st.sampled_from([None, f"a{next(_names)}_{name}"]))
        directive, shown = draw(
            st.sampled_from(
                [
                    ("", True),
                    ("@include(if: $yes)", True),
                    ("@skip(if: $no)", True),
                    ("@include(if: $no)", False),
                    ("@skip(if: $yes)", False),
                ]
            )
        )
        picks.append(FieldPick(name, alias, directive, shown))
    return picks


def _render(picks: list[FieldPick]) -> str:
    parts = []
    for pick in picks:
        head = f"{pick.alias}: {pick.name}" if pick.alias else pick.name
        parts.append(f"{head} {pick.directive} {SUBSELECTIONS.get(pick.name, '')}")
    return " ".join(parts)


@st.composite
def subject_bodies(draw: st.DrawFn) -> tuple[str, list[str], list[FieldPick]]:
    """A selection on Subject, wrapped as plain fields, an inline fragment or a named fragment."""
    picks = draw(field_picks())
    inner = "id " + _render(picks)
    shape = draw(st.sampled_from(["plain", "inline", "typeless_inline", "fragment"]))
    if shape == "plain":
        return inner, [], picks
    if shape == "inline":
        return f"... on Subject {{ {inner} }}", [], picks
    if shape == "typeless_inline":
        return f"... {{ {inner} }}", [], picks
    name = f"F{next(_names)}"
    return f"...{name}", [f"fragment {name} on Subject {{ {inner} }}"], picks


@dataclass(frozen=True)
class Read:
    key: str
    target: str  # "own", "foreign" or "list"
    picks: list[FieldPick]


@st.composite
def documents(draw: st.DrawFn) -> tuple[str, list[Read]]:
    reads: list[Read] = []
    selections: list[str] = []
    fragments: list[str] = []
    for n in range(draw(st.integers(1, 3))):
        target = draw(st.sampled_from(["own", "own", "foreign", "list"]))
        body, extra, picks = draw(subject_bodies())
        fragments.extend(extra)
        key = f"r{n}"
        if target == "list":
            selections.append(f"{key}: subjects(first: 5) {{ edges {{ node {{ {body} }} }} }}")
        else:
            argument = (
                draw(st.sampled_from(["$own", "$foreign"])) if target == "own" else "$foreign"
            )
            reads_target = "own" if argument == "$own" else "foreign"
            selections.append(f"{key}: subject(id: {argument}) {{ {body} }}")
            target = reads_target
        reads.append(Read(key, target, picks))
    body = f"{{ partner {{ {' '.join(selections)} }} }} " + " ".join(fragments)
    # GraphQL refuses declared variables that go unused, so declare only those the body uses.
    declared = ", ".join(
        f"${name}: {kind}" for name, kind in VARIABLE_TYPES.items() if f"${name}" in body
    )
    return (f"query Q({declared}) {body}" if declared else f"query Q {body}"), reads


# --- the model and the check ----------------------------------------------------------------


def _allowed(partner_type: PartnerType, history: History) -> frozenset[Scope]:
    ceiling = policy_for(partner_type).ceiling
    live = [g for g in history.grants if g.live()]
    return frozenset().union(*(g.scopes for g in live)) & ceiling


def _response_field(key: str, picks: list[FieldPick]) -> str | None:
    for pick in picks:
        if (pick.alias or pick.name) == key:
            return pick.name
    return None


def _check_subject(
    subject: dict[str, Any] | None, read: Read, allowed: frozenset[Scope], own_id: str
) -> set[Scope]:
    """Assert the subject shows nothing outside `allowed`; return the scopes it showed."""
    shown: set[Scope] = set()
    if subject is None:
        return shown
    assert subject["id"] == own_id, "only the partner's own subject may ever be returned"
    for key, value in subject.items():
        if key == "id" or value is None:
            continue
        name = _response_field(key, read.picks)
        assert name is not None, f"unexpected key {key}"
        assert any(p.shown for p in read.picks if (p.alias or p.name) == key), (
            f"{key} was excluded by a directive but came back"
        )
        scope = SUBJECT_FIELDS[name]
        assert scope in allowed, f"{name} ({scope}) returned outside the grant"
        shown.add(scope)
    return shown


async def _apply(
    steps: list[tuple[str, Any]],
    partner: PartnerPrincipal,
    person_id: uuid.UUID,
    subject_id: str,
    history: History,
    ids: list[uuid.UUID],
) -> None:
    now = utc_now()
    for kind, arg in steps:
        if kind == "grant":
            scopes, access = arg
            purpose = sorted(policy_for(partner.partner_type).purposes)[0]
            grant = await grant_consent(
                person_id,
                partner.partner_id,
                partner.partner_type,
                Terms(scopes, purpose, None, access),
                now,
                None,
            )
            ids.append(grant.id)
            history.grants.append(GrantModel(frozenset(scopes), access))
        elif kind == "revoke":
            await revoke_consent(ids[arg], person_id, now, None)
            history.grants[arg].revoked = True
        elif kind == "expire":
            await ConsentGrant.filter(id=ids[arg]).update(expires_at=now - timedelta(seconds=1))
            history.grants[arg].expired = True
        else:
            await _execute(
                "query($id: ID!) { partner { subject(id: $id) { identity { displayName } "
                "grade score contact { phone } } } }",
                {"id": subject_id},
                partner,
            )
            _spend_one_time(
                history,
                frozenset({Scope.IDENTITY, Scope.GRADE, Scope.SCORE, Scope.CONTACT}),
                partner.partner_type,
            )


def _spend_one_time(history: History, asked: frozenset[Scope], partner_type: PartnerType) -> None:
    """Mirror consent.decision: per scope, an ongoing grant first, else the newest one-time."""
    ceiling = policy_for(partner_type).ceiling
    for scope in asked & ceiling:
        live = [g for g in reversed(history.grants) if g.live() and scope in g.scopes]
        if live and not any(g.access is Access.ONGOING for g in live):
            live[0].used = True


async def _execute(query: str, variables: dict[str, Any], partner: PartnerPrincipal) -> Any:
    context = RequestContext(request_id="property", principal=partner, services=_services())
    return await SCHEMA.execute(query, variable_values=variables, context_value=context)


def _services() -> Services:
    # Partner reads never touch the long-lived services; the context type requires a value.
    return cast(Services, object())


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_no_value_outside_the_grant_and_no_foreign_subject(
    database_url: str, data: st.DataObject
) -> None:
    # Each example runs in its own event loop with its own ORM context: hypothesis drives
    # examples synchronously, and connections must not cross loops.
    async def example() -> None:
        async with TortoiseContext() as orm:
            await orm.init(config=tortoise_config(database_url))
            await _one_example(data)

    asyncio.run(example())


async def _one_example(data: st.DataObject) -> None:
    partner_type = data.draw(partner_types)
    registered = await register_partner(f"P{next(_names)}", partner_type)
    partner = PartnerPrincipal(registered.partner.id, partner_type, registered.partner.client_id)
    other = await register_partner(f"O{next(_names)}", partner_type)
    person = await person_with_full_file()
    purpose = sorted(policy_for(partner_type).purposes)[0]
    # Another partner's subject id for the same person: must never be readable here.
    await grant_consent(
        person.id,
        other.partner.id,
        partner_type,
        Terms(sorted(policy_for(partner_type).ceiling), purpose, None, Access.ONGOING),
        utc_now(),
        None,
    )
    foreign = await PartnerSubject.get(partner_id=other.partner.id, person_id=person.id)

    steps = data.draw(histories(partner_type))
    history, ids = History(), []
    first_grant_scopes, first_access = steps[0][1]
    first = await grant_consent(
        person.id,
        partner.partner_id,
        partner_type,
        Terms(first_grant_scopes, purpose, None, first_access),
        utc_now(),
        None,
    )
    ids.append(first.id)
    history.grants.append(GrantModel(frozenset(first_grant_scopes), first_access))
    own = await PartnerSubject.get(partner_id=partner.partner_id, person_id=person.id)
    await _apply(steps[1:], partner, person.id, own.subject_id, history, ids)

    query, reads = data.draw(documents())
    allowed = _allowed(partner_type, history)
    values = {"own": own.subject_id, "foreign": foreign.subject_id, "yes": True, "no": False}
    result = await _execute(query, {k: v for k, v in values.items() if f"${k}" in query}, partner)
    assert result.data is not None, result.errors
    one_time_only = frozenset(
        s
        for s in allowed
        if not any(
            g.live() and g.access is Access.ONGOING and s in g.scopes for g in history.grants
        )
    )
    one_time_reads = 0
    for read in reads:
        value = result.data["partner"][read.key]
        subjects = [edge["node"] for edge in value["edges"]] if read.target == "list" else [value]
        if read.target == "foreign":
            assert value is None, "another partner's subject was returned"
            continue
        for subject in subjects:
            shown = _check_subject(subject, read, allowed, own.subject_id)
            one_time_reads += bool(shown & one_time_only)
    assert one_time_reads <= sum(
        1 for g in history.grants if g.live() and g.access is Access.ONE_TIME
    ), "a one-time consent served more than one read"
