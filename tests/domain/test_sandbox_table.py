"""README's sandbox tables say what `sandbox seed` creates: every row is checked against a
seeded database, so the page integration engineers plan their tests with stays true.
"""

from __future__ import annotations

from pathlib import Path

from tortoise.context import TortoiseContext

from consent.catalog import Access, PartnerType
from consent.models import ConsentGrant, ConsentRequest, GrantStatus
from consent.policy import policy_for
from domain.clock import utc_now
from domain.models import LinkedAccount, Partner, Person, ScoreReport
from domain.sandbox import demo_credentials, seed_sandbox
from domain.sandbox_personas import TEST_PERSONAS
from domain.secret_keys import SecretKeys
from server.settings import SANDBOX_SECRET_KEY

SANDBOX_KEYS = SecretKeys(SANDBOX_SECRET_KEY)
README = Path(__file__).resolve().parents[2] / "README.md"
ACCOUNTS = {"sandbox-social": "social", "sandbox-ecommerce": "e-commerce"}


def _table(first_header: str) -> list[list[str]]:
    """The rows of README's markdown table whose header row starts with `first_header`."""
    lines = README.read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"| {first_header} |"))
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip().strip("`") for cell in line.strip("|").split("|")])
    return rows


async def test_the_partner_table_is_what_the_seed_creates(orm: TortoiseContext) -> None:
    await seed_sandbox(SANDBOX_KEYS)
    shown = [
        [p.partner_type.value, p.client_id, p.client_secret, p.name]
        for p in await demo_credentials(SANDBOX_KEYS)
    ]
    assert _table("type") == shown
    assert {row[0] for row in shown} == set(PartnerType)


async def _grant_state(partner: Partner, person: Person) -> str:
    grants = await ConsentGrant.filter(partner_id=partner.id, person_id=person.id)
    if not grants:
        return "none"
    [grant] = grants
    ceiling = set(policy_for(PartnerType(partner.type)).ceiling)
    if grant.status is GrantStatus.REVOKED:
        return "revoked"
    if grant.status is GrantStatus.USED_UP:
        return "one-time, used up"
    if grant.expires_at <= utc_now():
        return "expired"
    if Access(grant.access) is Access.ONE_TIME:
        return "one-time, not yet read"
    if set(grant.scopes) == {s.value for s in ceiling}:
        return "in force: every scope"
    return f"in force, narrowed to {', '.join(sorted(grant.scopes))}"


async def _request_state(partner: Partner, person: Person) -> str:
    requests = await ConsentRequest.filter(partner_id=partner.id, phone=person.phone)
    if not requests:
        return "none"
    [request] = requests
    ceiling = {s.value for s in policy_for(PartnerType(partner.type)).ceiling}
    status = request.status.value.lower()
    if request.status.value == "PENDING" and request.expires_at <= utc_now():
        return "expired unanswered"
    assert set(request.scopes) == ceiling
    return f"{status}: every scope" if status == "pending" else status


async def test_the_persona_table_is_what_the_seed_creates(
    orm: TortoiseContext, trained_model_dir: Path
) -> None:
    await seed_sandbox(SANDBOX_KEYS, trained_model_dir)
    rows = _table("phone")
    assert [(row[0], row[1]) for row in rows] == [(p.phone, p.key) for p in TEST_PERSONAS]
    partners = await Partner.filter(is_sandbox=True)
    for phone, key, grade, accounts, consent, request in rows:
        person = await Person.get(phone=phone)
        report = await ScoreReport.get(person_id=person.id, is_current=True)
        shown_grade = (
            f"{report.grade.value} ({report.score})"
            if report.grade
            else "none (too little history)"
        )
        assert grade == shown_grade, key
        linked = [
            ACCOUNTS[a.provider]
            for a in await LinkedAccount.filter(person_id=person.id).order_by("-provider")
        ]
        assert accounts == (", ".join(linked) or "none"), key
        for partner in partners:
            assert consent == await _grant_state(partner, person), (key, partner.client_id)
            assert request == await _request_state(partner, person), (key, partner.client_id)
