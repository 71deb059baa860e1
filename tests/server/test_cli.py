"""The operator's command line, run in-process against each backend."""

from __future__ import annotations

import argparse
import asyncio
import importlib
import re
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest
from tortoise.context import TortoiseContext
from tortoise.models import Model

from domain.credentials import verify_client_secret
from domain.models import Partner, PartnerStatus, Person, SigningKey
from domain.sandbox import SANDBOX_TABLES
from domain.sandbox_personas import TEST_PERSONAS
from server.cli import build_parser, main
from server.database import MODEL_MODULES, tortoise_config

STRONG_KEY = "q" * 40
REPOSITORY = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _environment(monkeypatch: pytest.MonkeyPatch, database_url: str) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.delenv("SCORELINK_ENV", raising=False)
    monkeypatch.delenv("SCORELINK_SECRET_KEY", raising=False)


def _partners(database_url: str) -> list[Partner]:
    async def load() -> list[Partner]:
        async with TortoiseContext() as orm:
            await orm.init(config=tortoise_config(database_url))
            return await Partner.all().order_by("client_id")

    return asyncio.run(load())


def _count_people(database_url: str) -> int:
    async def count() -> int:
        async with TortoiseContext() as orm:
            await orm.init(config=tortoise_config(database_url))
            return await Person.all().count()

    return asyncio.run(count())


def test_partners_create_prints_a_secret_once_and_stores_only_its_hash(
    database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["partners", "create", "--type", "insurer", "--name", "Ping An Demo"]) == 0
    out = capsys.readouterr().out
    client_id = re.search(r"client id:\s+(\S+)", out)
    secret = re.search(r"client secret:\s+(\S+)", out)
    assert client_id
    assert secret
    [partner] = _partners(database_url)
    assert partner.client_id == client_id.group(1)
    assert partner.type.value == "INSURER"
    assert secret.group(1) not in partner.client_secret_hash
    assert verify_client_secret(secret.group(1), partner.client_secret_hash)
    assert not verify_client_secret(secret.group(1) + "x", partner.client_secret_hash)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["partners", "create", "--type", "PAWNSHOP", "--name", "X"],
            "partner type must be one of",
        ),
        (["partners", "create", "--type", "BANK", "--name", "   "], "name must not be empty"),
        (["partners", "create", "--type", "BANK", "--name", "n" * 201], "at most 200 characters"),
        (["partners", "suspend", "no-such-partner"], "no partner with id or client id"),
    ],
)
def test_bad_partner_commands_fail_cleanly_and_write_nothing(
    argv: list[str], message: str, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("scorelink: ")
    assert message in err
    assert _partners(database_url) == []


def test_partners_list_and_suspend(database_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    main(["partners", "create", "--type", "BANK", "--name", "First Bank"])
    main(["partners", "create", "--type", "DATING", "--name", "Date Site"])
    capsys.readouterr()
    bank = next(p for p in _partners(database_url) if p.name == "First Bank")

    assert main(["partners", "suspend", str(bank.id)]) == 0
    assert "SUSPENDED" in capsys.readouterr().out
    assert main(["partners", "list"]) == 0
    listing = capsys.readouterr().out.splitlines()
    assert len(listing) == 3
    assert any("First Bank" in line and "SUSPENDED" in line for line in listing)
    assert any("Date Site" in line and "ACTIVE" in line for line in listing)
    statuses = {p.name: p.status for p in _partners(database_url)}
    assert statuses == {"First Bank": PartnerStatus.SUSPENDED, "Date Site": PartnerStatus.ACTIVE}


def test_sandbox_seed_covers_every_partner_type_and_is_idempotent(
    database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["sandbox", "seed"]) == 0
    first_output = capsys.readouterr().out
    first = [(p.client_id, p.type, p.client_secret_hash) for p in _partners(database_url)]
    people = _count_people(database_url)

    assert main(["sandbox", "seed"]) == 0
    second_output = capsys.readouterr().out
    second = [(p.client_id, p.type, p.client_secret_hash) for p in _partners(database_url)]

    assert {t.value for _, t, _ in first} == {
        "BANK",
        "P2P_LENDER",
        "INSURER",
        "RENTAL",
        "JOB_SITE",
        "DATING",
    }
    assert first == second
    assert people == _count_people(database_url) == len(TEST_PERSONAS) == 9
    assert first_output == second_output, "the printed demo credentials stay valid"
    secret = re.search(r"demo-bank\s+(\S+)", first_output)
    assert secret
    bank = next(p for p in _partners(database_url) if p.client_id == "demo-bank")
    assert verify_client_secret(secret.group(1), bank.client_secret_hash)


def test_sandbox_seed_is_refused_in_production(
    database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SCORELINK_ENV", "production")
    monkeypatch.setenv("SCORELINK_SECRET_KEY", STRONG_KEY)
    assert main(["sandbox", "seed"]) == 2
    assert "only with SCORELINK_ENV=sandbox" in capsys.readouterr().err
    assert _partners(database_url) == []


def test_production_refuses_to_serve_a_database_with_sandbox_data(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["sandbox", "seed"]) == 0
    monkeypatch.setenv("SCORELINK_ENV", "production")
    monkeypatch.setenv("SCORELINK_SECRET_KEY", STRONG_KEY)
    assert main(["serve", "--port", "1"]) == 2
    assert "holds sandbox partners or personas" in capsys.readouterr().err


def test_keys_rotate_adds_a_signing_key_and_schedules_the_old_ones_to_retire(
    database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["keys", "rotate"]) == 0
    first_kid = re.search(r"new signing key: (\S+)", capsys.readouterr().out)
    assert main(["keys", "rotate"]) == 0
    second_kid = re.search(r"new signing key: (\S+)", capsys.readouterr().out)
    assert first_kid
    assert second_kid

    async def keys() -> list[SigningKey]:
        async with TortoiseContext() as orm:
            await orm.init(config=tortoise_config(database_url))
            return await SigningKey.all().order_by("created_at")

    rows = asyncio.run(keys())
    active = [row.kid for row in rows if row.retires_at is None]
    assert active == [second_kid.group(1)], "exactly one key signs: the newest"
    retiring = [row for row in rows if row.retires_at is not None]
    assert len(retiring) == len(rows) - 1 >= 2
    assert all(row.retires_at and row.retires_at > row.created_at for row in retiring)


def test_partners_limit_sets_and_clears_a_partners_own_rate_limit(
    database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["partners", "create", "--type", "BANK", "--name", "Busy Bank"])
    capsys.readouterr()
    [bank] = _partners(database_url)

    assert main(["partners", "limit", bank.client_id, "--per-minute", "42"]) == 0
    assert "42 requests per minute" in capsys.readouterr().out
    assert _partners(database_url)[0].rate_limit_per_minute == 42

    assert main(["partners", "limit", bank.client_id, "--per-minute", "0"]) == 2
    assert "at least 1 request per minute" in capsys.readouterr().err
    assert main(["partners", "limit", bank.client_id]) == 2
    assert main(["partners", "limit", bank.client_id, "--default"]) == 0
    assert _partners(database_url)[0].rate_limit_per_minute is None


def test_sandbox_credentials_prints_the_seeds_partners_again(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["sandbox", "credentials"]) == 2
    assert "run `scorelink sandbox seed` first" in capsys.readouterr().err
    assert main(["sandbox", "seed"]) == 0
    seeded = capsys.readouterr().out
    assert main(["sandbox", "credentials"]) == 0
    again = capsys.readouterr().out
    assert again.splitlines() == seeded.splitlines()[: len(again.splitlines())]
    assert len(again.splitlines()) == 7, "a heading and the six demo partners"

    assert main(["sandbox", "credentials", "demo-bank"]) == 0
    bank_secret = capsys.readouterr().out.strip()
    assert re.search(rf"^\s*BANK\s+demo-bank\s+{bank_secret}\s+Demo Bank$", again, re.MULTILINE)
    assert main(["sandbox", "credentials", "demo-nobody"]) == 2
    assert "no demo partner 'demo-nobody'" in capsys.readouterr().err


def test_sandbox_reset_starts_over(database_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sandbox", "seed"]) == 0
    assert main(["partners", "create", "--type", "BANK", "--name", "Operator Bank"]) == 0
    first = capsys.readouterr().out
    bank_before = next(p for p in _partners(database_url) if p.client_id == "demo-bank")

    assert main(["sandbox", "reset"]) == 2
    assert "add --yes" in capsys.readouterr().err
    assert "Operator Bank" in {p.name for p in _partners(database_url)}, "nothing deleted"

    assert main(["sandbox", "reset", "--yes"]) == 0
    output = capsys.readouterr().out
    assert output.startswith("Sandbox reset:")
    partners = _partners(database_url)
    assert "Operator Bank" not in {p.name for p in partners}
    bank_after = next(p for p in partners if p.client_id == "demo-bank")
    assert bank_after.id != bank_before.id, "a new partner, not the old one kept"
    assert _count_people(database_url) == len(TEST_PERSONAS)
    secret = re.search(r"demo-bank\s+(\S+)", first)
    assert secret
    assert f"demo-bank           {secret.group(1)}" in output, "the same credentials"


def test_sandbox_commands_are_refused_in_production(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SCORELINK_ENV", "production")
    monkeypatch.setenv("SCORELINK_SECRET_KEY", STRONG_KEY)
    for command in (["credentials"], ["reset", "--yes"]):
        assert main(["sandbox", *command]) == 2
        assert "only with SCORELINK_ENV=sandbox" in capsys.readouterr().err


def test_version_is_the_packages(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    project = tomllib.loads((REPOSITORY / "pyproject.toml").read_text())["project"]
    assert capsys.readouterr().out == f"scorelink {project['version']}\n"


def _commands(
    parser: argparse.ArgumentParser, path: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], argparse.ArgumentParser, str | None]]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {choice.dest: choice.help for choice in action._choices_actions}
            for name, sub in action.choices.items():
                yield (*path, name), sub, helps.get(name)
                yield from _commands(sub, (*path, name))


def test_every_command_has_help_text() -> None:
    missing = [" ".join(path) for path, _, text in _commands(build_parser()) if not text]
    assert missing == []


def test_partners_create_help_lists_every_partner_type(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit):
        main(["partners", "create", "--help"])
    shown = " ".join(capsys.readouterr().out.split())
    for partner_type in ("BANK", "P2P_LENDER", "INSURER", "RENTAL", "JOB_SITE", "DATING"):
        assert partner_type in shown


def test_partners_allow_origin_adds_and_removes(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["partners", "create", "--type", "BANK", "--name", "Web Bank"]) == 0
    client_id = re.search(r"client id:\s+(\S+)", capsys.readouterr().out)
    assert client_id
    assert main(["partners", "allow-origin", client_id.group(1), "https://web.bank.example/"]) == 0
    assert capsys.readouterr().out.endswith("browser origins: https://web.bank.example\n")
    assert main(["partners", "allow-origin", client_id.group(1), "*"]) == 2
    assert "wildcard origin is never allowed" in capsys.readouterr().err
    command = ["partners", "allow-origin", client_id.group(1), "https://web.bank.example"]
    assert main([*command, "--remove"]) == 0
    assert capsys.readouterr().out.endswith("browser origins: none\n")


def test_sandbox_reset_covers_every_table_but_the_signing_keys() -> None:
    models = {
        model
        for module in map(importlib.import_module, MODEL_MODULES)
        for model in vars(module).values()
        if isinstance(model, type)
        and issubclass(model, Model)
        and model.__module__ == module.__name__
    }
    assert models - set(SANDBOX_TABLES) == {SigningKey}
