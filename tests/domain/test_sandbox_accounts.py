"""Sandbox seed: each persona gets its sandbox accounts and a current report, once."""

from __future__ import annotations

from pathlib import Path

from tortoise.context import TortoiseContext

from domain.models import LinkedAccount, LinkStatus, Person, ScoreReport
from domain.sandbox import seed_sandbox
from domain.sandbox_personas import TEST_PERSONAS
from domain.secret_keys import SecretKeys

SECRET = "sandbox-accounts-test-secret-key-0123456789"
EXPECTED = {
    "grade_a": ("A", {"sandbox-social", "sandbox-ecommerce"}),
    "grade_b": ("B", {"sandbox-social", "sandbox-ecommerce"}),
    "grade_c": ("C", {"sandbox-social", "sandbox-ecommerce"}),
    "grade_d": ("D", {"sandbox-ecommerce"}),
    "thin_file": (None, {"sandbox-social"}),
    "empty": (None, set()),
    "newcomer": ("A", {"sandbox-social", "sandbox-ecommerce"}),
    "social_only": ("A", {"sandbox-social"}),
    "poor_payer": ("D", {"sandbox-social", "sandbox-ecommerce"}),
}


async def _state() -> dict[str, tuple[str | None, set[str], int]]:
    state = {}
    for persona in TEST_PERSONAS:
        person = await Person.get(phone=persona.phone)
        accounts = await LinkedAccount.filter(person_id=person.id)
        assert all(a.status is LinkStatus.LINKED and a.tokens_encrypted for a in accounts)
        report = await ScoreReport.get(person_id=person.id, is_current=True)
        reports = await ScoreReport.filter(person_id=person.id).count()
        grade = report.grade.value if report.grade else None
        state[persona.key] = (grade, {a.provider for a in accounts}, reports)
    return state


async def test_personas_get_their_accounts_and_grade_and_a_second_seed_changes_nothing(
    orm: TortoiseContext, trained_model_dir: Path
) -> None:
    await seed_sandbox(SecretKeys(SECRET), trained_model_dir)
    first = await _state()
    assert {key: (grade, providers) for key, (grade, providers, _) in first.items()} == EXPECTED
    assert all(count == 1 for _, _, count in first.values())

    await seed_sandbox(SecretKeys(SECRET), trained_model_dir)

    assert await _state() == first
