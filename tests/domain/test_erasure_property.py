"""Property: after any sequence of links (each with its consent to collect), grants, consent
requests, reads and disputes, erasing a person leaves no row anywhere holding their phone, their
id, their records, their tokens or their dispute texts (the access log alone keeps their id,
resolving to nobody); every partner gets NOT_FOUND for every id it knew them by; another person
is untouched; and the access log's chain still verifies.

Examples per database: SCORELINK_ERASURE_EXAMPLES (25 by default).
"""

from __future__ import annotations

import asyncio
import itertools
import os
import secrets
import uuid
from datetime import date

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tortoise.context import TortoiseContext

from connectors.provider import SourceKind
from consent.catalog import Access, PartnerType, Purpose, Scope
from consent.lifecycle import Terms, grant_consent, request_consent
from consent.models import AccessLogEntry, PartnerSubject
from consent_support import sealed_log_verifies
from domain.clock import utc_now
from domain.collection_consents import collection_notice, record_collection_consent
from domain.disputes import dispute_data_point
from domain.erasure import erase_person
from domain.models import AccountKind, LinkedAccount, LinkStatus, Person
from domain.partner_reads import SubjectNotFound, read_subject
from domain.partners import register_partner
from domain.principal import PartnerPrincipal, PersonPrincipal
from domain.retention import DEFAULT_RECORD_RETENTION
from domain.rights_models import CollectionConsent, Dispute, DisputeKind
from scoring_engine.synthetic import persona_sources
from server.database import tortoise_config

EXAMPLES = int(os.environ.get("SCORELINK_ERASURE_EXAMPLES", "25"))
PARTNER_TYPES = (PartnerType.BANK, PartnerType.P2P_LENDER)
SCOPES = (Scope.GRADE, Scope.IDENTITY, Scope.CONTACT, Scope.DATA_SOURCES)
_phones = itertools.count(1)

people = st.integers(min_value=0, max_value=1)  # 0 is erased, 1 is the bystander
partners = st.integers(min_value=0, max_value=len(PARTNER_TYPES) - 1)
operations = st.lists(
    st.one_of(
        st.tuples(st.just("link"), people, st.sampled_from(["social", "ecommerce"])),
        st.tuples(st.just("grant"), people, partners, st.sets(st.sampled_from(SCOPES), min_size=1)),
        st.tuples(st.just("request"), people, partners),
        st.tuples(st.just("read"), people, partners),
        st.tuples(st.just("dispute"), people),
    ),
    max_size=12,
)


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=operations)
def test_erasure_leaves_nothing_but_unresolvable_log_entries(
    database_url: str, steps: list[tuple[object, ...]]
) -> None:
    async def example() -> None:
        async with TortoiseContext() as orm:
            await orm.init(config=tortoise_config(database_url))
            await _one_example(orm, steps)

    asyncio.run(example())


async def _one_example(orm: TortoiseContext, steps: list[tuple[object, ...]]) -> None:
    now = utc_now()
    persons = [await Person.create(phone=f"+86136{next(_phones):08d}") for _ in range(2)]
    readers = []
    for partner_type in PARTNER_TYPES:
        registered = await register_partner(f"{partner_type.value} erasure", partner_type)
        readers.append(
            PartnerPrincipal(registered.partner.id, partner_type, registered.partner.client_id)
        )
    # Unique markers planted in each person's records and tokens, searched for afterwards.
    secrets_of: dict[int, list[str]] = {0: [], 1: []}
    for step in steps:
        match step:
            case ("link", int(who), str(kind)):
                marker = f"tok_{secrets.token_hex(8)}"
                record = dict(persona_sources("grade_b")[kind])
                record["account_id"] = f"acct_{secrets.token_hex(8)}"
                await LinkedAccount.update_or_create(
                    person=persons[who],
                    provider=f"sandbox-{kind}",
                    defaults={
                        "kind": AccountKind(kind.upper()),
                        "status": LinkStatus.LINKED,
                        "normalised_record": record,
                        "tokens_encrypted": marker,
                        "account_created": date(2024, 1, 2),
                        "linked_at": now,
                    },
                )
                notice = collection_notice(
                    f"sandbox-{kind}", kind, SourceKind(kind), DEFAULT_RECORD_RETENTION
                )
                await record_collection_consent(persons[who].id, notice, now)
                secrets_of[who] += [marker, str(record["account_id"])]
            case ("grant", int(who), int(p), set() as scopes):
                await grant_consent(
                    persons[who].id,
                    readers[p].partner_id,
                    readers[p].partner_type,
                    Terms(scopes, Purpose.CREDIT_APPLICATION, 30, Access.ONGOING),
                    now,
                    None,
                )
            case ("request", int(who), int(p)):
                await request_consent(
                    readers[p].partner_id,
                    readers[p].partner_type,
                    persons[who].phone,
                    Terms([Scope.GRADE], Purpose.CREDIT_APPLICATION, 30, Access.ONGOING),
                    None,
                    now,
                    None,
                )
            case ("read", int(who), int(p)):
                subject = await PartnerSubject.get_or_none(
                    partner_id=readers[p].partner_id, person_id=persons[who].id
                )
                if subject is not None:
                    await read_subject(readers[p], subject.subject_id, frozenset(SCOPES), None)
            case ("dispute", int(who)):
                account = await LinkedAccount.filter(person_id=persons[who].id).first()
                if account is not None and not await Dispute.exists(reference=str(account.id)):
                    text = f"not mine: disp_{secrets.token_hex(8)}"
                    principal = PersonPrincipal(persons[who].id, uuid.uuid4())
                    await dispute_data_point(
                        principal, DisputeKind.LINKED_RECORD, str(account.id), text
                    )
                    secrets_of[who].append(text.removeprefix("not mine: "))
    known_ids = {
        (row.partner_id, row.subject_id)
        for row in await PartnerSubject.filter(person_id=persons[0].id)
    }
    bystander_ids = {
        row.partner_id: row.subject_id
        for row in await PartnerSubject.filter(person_id=persons[1].id)
    }

    await erase_person(persons[0].id, "req-erase")

    erased = persons[0]
    forbidden = [erased.phone, str(erased.id), erased.phone.removeprefix("+"), *secrets_of[0]]
    assert orm.apps is not None
    for model in orm.apps.get_models_iterable():
        for row in await model.all().values():
            text = orjson.dumps(row, default=str).decode()
            if model is AccessLogEntry:
                # The log keeps the id, which now resolves to nobody, and never held the phone.
                assert erased.phone not in text
                continue
            for value in forbidden:
                assert value not in text, (model.__name__, value)
    for partner_id, subject_id in known_ids:
        reader = next(r for r in readers if r.partner_id == partner_id)
        with pytest.raises(SubjectNotFound):
            await read_subject(reader, subject_id, frozenset(SCOPES), None)
    assert not await PartnerSubject.exists(subject_id__in=[s for _, s in known_ids] or ["-"])
    for reader in readers:
        if reader.partner_id in bystander_ids:
            view = await read_subject(reader, bystander_ids[reader.partner_id], frozenset(), None)
            assert view.subject_id == bystander_ids[reader.partner_id]
    linked_by_bystander = {s[2] for s in steps if s[0] == "link" and s[1] == 1}
    assert await LinkedAccount.filter(person_id=persons[1].id).count() == len(linked_by_bystander)
    collecting = await CollectionConsent.filter(person_id=persons[1].id).count()
    assert collecting == len(linked_by_bystander)
    disputed = [d.explanation for d in await Dispute.filter(person_id=persons[1].id)]
    assert sorted(t.removeprefix("not mine: ") for t in disputed) == sorted(
        m for m in secrets_of[1] if m.startswith("disp_")
    )
    checked, findings = await sealed_log_verifies()
    assert findings == [], findings
    assert checked == await AccessLogEntry.all().count()
