"""README's client snippets, run as README shows them: Python `gql` and JavaScript
`graphql-request` against a live seeded sandbox, and GraphQL Code Generator on schema.graphql."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from live_server import REPOSITORY
from sandbox_support import Sandbox

README = (REPOSITORY / "README.md").read_text()


def _snippet(language: str) -> str:
    start = README.index(f"```{language}\n") + len(f"```{language}\n")
    return README[start : README.index("```", start)]


NODE_MODULES = REPOSITORY / "clients" / "js" / "node_modules"


@pytest.fixture
def node_modules() -> Path:
    """clients/js's locked packages (scripts/ensure-node-clients installs them, `make test`
    runs it); CI fails without them."""
    if not (NODE_MODULES / ".installed-lock.json").exists() or shutil.which("node") is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("CI requires node and clients/js/node_modules: scripts/ensure-node-clients")
        pytest.skip("snippet test skipped: run scripts/ensure-node-clients")
    return NODE_MODULES


def _partner_token(sandbox: Sandbox) -> str:
    secret = sandbox.scorelink("sandbox", "credentials", "demo-bank").strip()
    token: str = httpx.post(
        f"{sandbox.base_url}/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=("demo-bank", secret),
    ).json()["access_token"]
    return token


def _assert_demo_banks_subjects(lines: list[str], no_grade: str, fields: list[str]) -> None:
    """What README says the snippets print for demo-bank: its consents in force (README's
    sandbox table) are grade_a, social_only (A) and poor_payer (D) with every scope, grade_b
    narrowed to GRADE, and empty's unread one-time consent (no report to show); the narrowed
    subject's other `fields` are refused."""
    subjects = [line.split() for line in lines if line.startswith("subject ")]
    refused = [line.split() for line in lines if line.startswith("refused ")]
    grades = sorted(grade for _, _, grade, _ in subjects)
    assert grades == sorted(["A", "A", "B", "D", no_grade]), lines
    narrowed = _index(subjects, "B")
    assert refused == [
        ["refused", f"partner/subjects/edges/{narrowed}/node/{field}", "CONSENT_REQUIRED"]
        for field in fields
    ], lines
    assert len(subjects) + len(refused) == len(lines), lines


def test_the_gql_snippet_keeps_partial_data_and_errors(live_sandbox: Sandbox) -> None:
    done = subprocess.run(  # noqa: S603
        [sys.executable, "-c", _snippet("python")],
        env={
            **os.environ,
            "API": live_sandbox.base_url,
            "PARTNER_TOKEN": _partner_token(live_sandbox),
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    # It also asks for contact { phone }, outside the narrowed consent.
    _assert_demo_banks_subjects(done.stdout.splitlines(), "None", ["score", "contact"])


def test_the_graphql_request_snippet_keeps_partial_data_and_errors(
    live_sandbox: Sandbox, node_modules: Path, tmp_path: Path
) -> None:
    (tmp_path / "node_modules").symlink_to(node_modules)
    (tmp_path / "subjects.mjs").write_text(_snippet("js"))
    done = subprocess.run(  # noqa: S603
        [_node(), "subjects.mjs"],
        cwd=tmp_path,
        env={
            **os.environ,
            "API": live_sandbox.base_url,
            "PARTNER_TOKEN": _partner_token(live_sandbox),
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    _assert_demo_banks_subjects(done.stdout.splitlines(), "null", ["score"])


def test_codegen_types_the_snippets_query_from_the_committed_schema(
    node_modules: Path, tmp_path: Path
) -> None:
    (tmp_path / "node_modules").symlink_to(node_modules)
    (tmp_path / "package.json").write_text('{"type": "module"}')
    shutil.copy(REPOSITORY / "schema.graphql", tmp_path / "schema.graphql")
    (tmp_path / "codegen.ts").write_text(_snippet("ts"))
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "subjects.ts").write_text(_snippet("js"))
    done = subprocess.run(  # noqa: S603
        [_node(), str(node_modules / ".bin" / "graphql-codegen"), "--config", "codegen.ts"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "✔ Generate outputs" in done.stdout
    types = (tmp_path / "src" / "gql" / "graphql.ts").read_text()
    # README: grade is a union of its values, and the snippet's query is typed with it.
    assert "export type Grade =" in types, "Grade is not a union type"
    grade = types[
        types.index("export type Grade =") : types.index(";", types.index("export type Grade ="))
    ]
    assert re.findall(r"\| '(\w+)'", grade) == ["A", "B", "C", "D"]
    assert "export enum" not in types
    query = types[types.index("export type SubjectsQuery =") :].splitlines()[0]
    assert (
        "node: { __typename?: 'Subject', id: string, grade?: Grade | null, score?: number | null }"
        in query
    )


def _node() -> str:
    node = shutil.which("node")
    assert node is not None
    return node


def _index(subjects: list[list[str]], grade: str) -> int:
    return next(i for i, (_, _, g, _) in enumerate(subjects) if g == grade)
