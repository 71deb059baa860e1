"""README's Python client snippet, run as README shows it, against a live seeded sandbox."""

from __future__ import annotations

import os
import subprocess
import sys

import httpx
from graphql import parse, validate

from live_server import REPOSITORY
from sandbox_support import Sandbox
from schema.schema import build_schema

README = (REPOSITORY / "README.md").read_text()


def _python_snippet() -> str:
    start = README.index("```python\n") + len("```python\n")
    return README[start : README.index("```", start)]


def test_the_gql_snippet_keeps_partial_data_and_errors(live_sandbox: Sandbox) -> None:
    secret = live_sandbox.scorelink("sandbox", "credentials", "demo-bank").strip()
    token = httpx.post(
        f"{live_sandbox.base_url}/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=("demo-bank", secret),
    ).json()["access_token"]
    done = subprocess.run(  # noqa: S603
        [sys.executable, "-c", _python_snippet()],
        env={**os.environ, "API": live_sandbox.base_url, "PARTNER_TOKEN": token},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    subjects = [line.split() for line in lines if line.startswith("subject ")]
    refused = [line.split() for line in lines if line.startswith("refused ")]
    # demo-bank's consents in force (README's sandbox table): grade_a with every scope,
    # grade_b narrowed to GRADE, and empty's unread one-time consent (no report to show).
    grades = sorted(grade for _, _, grade, _ in subjects)
    assert grades == ["A", "B", "None"], lines
    assert [
        "refused",
        f"partner/subjects/edges/{_index(subjects, 'B')}/node/score",
        "CONSENT_REQUIRED",
    ] in refused, lines
    assert all(code.startswith("CONSENT_") for _, _, code in refused), lines


def _index(subjects: list[list[str]], grade: str) -> int:
    return next(i for i, (_, _, g, _) in enumerate(subjects) if g == grade)


def test_the_javascript_snippets_query_is_valid_against_the_schema() -> None:
    """The suite installs nothing from npm, so the JavaScript snippet does not run here; its
    query, at least, is checked against the schema as it is now."""
    block = README[README.index("```js\n") : README.index("```", README.index("```js\n") + 5)]
    query = block[block.index("gql`") + 4 : block.index("`", block.index("gql`") + 4)]
    assert validate(build_schema()._schema, parse(query)) == []
    assert 'errorPolicy: "all"' in block
