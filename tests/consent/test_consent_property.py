"""Property, both ways: whatever the grant history and however the query is shaped, a partner
gets every value its grants cover and no value outside them, never another partner's subject,
and exactly one access-log entry per subject read (READ_DENIED included).

Hypothesis draws a partner type, a history of grants, revocations, expiries and reads, and a
query document mixing aliases, fragments, inline fragments, variables with @include/@skip,
repeated fields and list paths. An independent model of DESIGN.md (`consent_spec` for the
tables, the lifecycle rules below) says which scopes each read returns; the response and the
log are checked against it.

Examples per database: SCORELINK_CONSENT_EXAMPLES (200 in `make test`, 10,000 in `make fuzz`).
"""

from __future__ import annotations

import asyncio
import itertools
import os
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, cast

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tortoise.context import TortoiseContext

import consent_spec
from consent.catalog import Access, PartnerType, Purpose, Scope
from consent.lifecycle import Terms, grant_consent, revoke_consent
from consent.models import AccessLogEntry, ConsentGrant, PartnerSubject
from consent_support import person_with_full_file
from domain.clock import utc_now
from domain.partners import register_partner
from domain.principal import PartnerPrincipal
from domain.services import Services
from resolvers.context import RequestContext
from schema import build_schema
from server.database import tortoise_config

SCHEMA = build_schema()
EXAMPLES = int(os.environ.get("SCORELINK_CONSENT_EXAMPLES", "200"))
SUBJECT_FIELDS = {
    key.split(".")[1]: Scope(scope) for key, scope in consent_spec.FIELD_SCOPES.items()
}
SUBSELECTIONS = {
    "reasonCodes": "{ code text }",
    "scoreHistory": "{ grade score }",
    "identity": "{ displayName phoneVerified }",
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
    """Grants in the order they were given; each is one second newer than the one before."""

    grants: list[GrantModel] = field(default_factory=list)

    def ceiling(self, partner_type: PartnerType) -> frozenset[Scope]:
        return frozenset(Scope(s) for s in consent_spec.CEILING[partner_type.value])

    def allowed(self, partner_type: PartnerType) -> frozenset[Scope]:
        """Scopes some live grant covers, within the partner type's ceiling."""
        live = [g for g in self.grants if g.live()]
        return frozenset().union(*(g.scopes for g in live)) & self.ceiling(partner_type)

    def ongoing(self, partner_type: PartnerType) -> frozenset[Scope]:
        """Scopes a live ONGOING grant covers: served to every read, however many."""
        live = [g for g in self.grants if g.live() and g.access is Access.ONGOING]
        return frozenset().union(*(g.scopes for g in live)) & self.ceiling(partner_type)

    def read(self, asked: frozenset[Scope], partner_type: PartnerType) -> frozenset[Scope]:
        """One read alone, as DESIGN.md has it: return what it gets, spending one-time grants.

        A scope covered by a live ongoing grant is served by it (a one-time grant is not
        spent needlessly); otherwise by the newest live one-time grant covering it, which the
        read uses up. Several one-time grants may be used up by one read, one per scope.
        """
        returned = asked & self.allowed(partner_type)
        ongoing = self.ongoing(partner_type)
        spent: list[GrantModel] = []
        for scope in returned - ongoing:
            newest = next(g for g in reversed(self.grants) if g.live() and scope in g.scopes)
            spent.append(newest)
        for grant in spent:
            grant.used = True
        return returned


# --- strategies -----------------------------------------------------------------------------

partner_types = st.sampled_from(list(PartnerType))


@st.composite
def histories(draw: st.DrawFn, partner_type: PartnerType) -> list[tuple[str, Any]]:
    ceiling = sorted(Scope(s) for s in consent_spec.CEILING[partner_type.value])
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


# --- the check ------------------------------------------------------------------------------


def _purpose(partner_type: PartnerType) -> Purpose:
    return Purpose(sorted(consent_spec.PURPOSES[partner_type.value])[0])


def _asked(read: Read) -> frozenset[Scope]:
    """The scopes a read asks for: those of its fields that no directive dropped."""
    return frozenset(SUBJECT_FIELDS[p.name] for p in read.picks if p.shown)


def _shown_scopes(subject: dict[str, Any], read: Read, own_id: str) -> frozenset[Scope]:
    """The scopes whose values came back; only the partner's own subject may come back."""
    assert subject["id"] == own_id, "only the partner's own subject may ever be returned"
    shown: set[Scope] = set()
    for key, value in subject.items():
        # The person has a full file: a granted list (history, sources, reasons) is never empty,
        # so an empty one is data that should have been served and was not.
        if key == "id" or value is None or value == []:
            continue
        picks = [p for p in read.picks if (p.alias or p.name) == key]
        assert picks, f"unexpected key {key}"
        assert any(p.shown for p in picks), f"{key} was excluded by a directive but came back"
        shown.add(SUBJECT_FIELDS[picks[0].name])
    return frozenset(shown)


async def _apply(
    steps: list[tuple[str, Any]],
    partner: PartnerPrincipal,
    person_id: uuid.UUID,
    subject_id: str,
    history: History,
    ids: list[uuid.UUID],
    clock: itertools.count[int],
) -> None:
    base = utc_now() - timedelta(hours=1)
    for kind, arg in steps:
        if kind == "grant":
            scopes, access = arg
            grant = await grant_consent(
                person_id,
                partner.partner_id,
                partner.partner_type,
                Terms(scopes, _purpose(partner.partner_type), None, access),
                base + timedelta(seconds=next(clock)),
                None,
            )
            ids.append(grant.id)
            history.grants.append(GrantModel(frozenset(scopes), access))
        elif kind == "revoke":
            await revoke_consent(ids[arg], person_id, utc_now(), None)
            history.grants[arg].revoked = True
        elif kind == "expire":
            past = utc_now() - timedelta(seconds=1)
            await ConsentGrant.filter(id=ids[arg]).update(expires_at=past)
            history.grants[arg].expired = True
        else:
            await _execute(
                "query($id: ID!) { partner { subject(id: $id) { identity { displayName } "
                "grade score contact { phone } } } }",
                {"id": subject_id},
                partner,
            )
            history.read(
                frozenset({Scope.IDENTITY, Scope.GRADE, Scope.SCORE, Scope.CONTACT}),
                partner.partner_type,
            )


async def _execute(query: str, variables: dict[str, Any], partner: PartnerPrincipal) -> Any:
    context = RequestContext(request_id="property", principal=partner, services=_services())
    return await SCHEMA.execute(query, variable_values=variables, context_value=context)


def _services() -> Services:
    # Partner reads never touch the long-lived services; the context type requires a value.
    return cast(Services, object())


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_exactly_the_granted_values_and_one_log_entry_per_read(
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
    everything = sorted(Scope(s) for s in consent_spec.CEILING[partner_type.value])
    # Another partner's subject id for the same person: must never be readable here.
    await grant_consent(
        person.id,
        other.partner.id,
        partner_type,
        Terms(everything, _purpose(partner_type), None, Access.ONGOING),
        utc_now(),
        None,
    )
    foreign = await PartnerSubject.get(partner_id=other.partner.id, person_id=person.id)

    steps = data.draw(histories(partner_type))
    history, clock = History(), itertools.count()
    ids: list[uuid.UUID] = []
    await _apply(steps[:1], partner, person.id, "", history, ids, clock)
    own = await PartnerSubject.get(partner_id=partner.partner_id, person_id=person.id)
    await _apply(steps[1:], partner, person.id, own.subject_id, history, ids, clock)

    query, reads = data.draw(documents())
    logged_before = await AccessLogEntry.filter(partner_id=partner.partner_id).count()
    allowed = history.allowed(partner_type)
    ongoing = history.ongoing(partner_type)
    values = {"own": own.subject_id, "foreign": foreign.subject_id, "yes": True, "no": False}
    result = await _execute(query, {k: v for k, v in values.items() if f"${k}" in query}, partner)
    assert result.data is not None, result.errors

    live_one_time = sum(1 for g in history.grants if g.live() and g.access is Access.ONE_TIME)
    own_reads = [r for r in reads if r.target != "foreign"]
    # With one read the model is exact; several reads in one document run concurrently, so
    # which of them a one-time grant serves is a race: only the ongoing part is exact then.
    exact = len(own_reads) == 1
    one_time_serves = 0
    expected_entries: list[tuple[frozenset[Scope], frozenset[Scope]]] = []
    for read in reads:
        value = result.data["partner"][read.key]
        if read.target == "foreign":
            assert value is None, "another partner's subject was returned"
            continue
        subjects = [edge["node"] for edge in value["edges"]] if read.target == "list" else [value]
        assert len(subjects) == 1, "the partner has exactly one subject"
        asked = _asked(read)
        shown = _shown_scopes(subjects[0], read, own.subject_id)
        assert shown <= allowed, f"{sorted(shown - allowed)} returned outside the grant"
        expected = history.read(asked, partner_type) if exact else asked & ongoing
        assert expected <= shown, f"{sorted(expected - shown)} granted but not served"
        one_time_serves += bool(shown - ongoing)
        expected_entries.append((asked, shown))
    assert one_time_serves <= live_one_time, "a one-time consent served more than one read"
    await _check_log(partner, person.id, logged_before, expected_entries)


async def _check_log(
    partner: PartnerPrincipal,
    person_id: uuid.UUID,
    logged_before: int,
    expected: list[tuple[frozenset[Scope], frozenset[Scope]]],
) -> None:
    """One entry per subject read, naming what was asked and returned; READ_DENIED when a read
    asked for something and got nothing."""
    entries = (
        await AccessLogEntry.filter(partner_id=partner.partner_id)
        .order_by("id")
        .offset(logged_before)
    )
    assert len(entries) == len(expected), "exactly one access-log entry per subject read"
    got = sorted(
        (e.event, tuple(sorted(e.scopes_asked)), tuple(sorted(e.scopes_returned))) for e in entries
    )
    want = sorted(
        (
            "READ_DENIED" if asked and not shown else "READ",
            tuple(sorted(s.value for s in asked)),
            tuple(sorted(s.value for s in shown)),
        )
        for asked, shown in expected
    )
    assert got == want
    assert all(e.person_id == person_id for e in entries)
