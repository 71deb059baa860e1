"""README's table of sandbox assessments is true: a sandbox migrated, seeded and served as
`make run` leaves it, demo-bank finding each persona with README's subjects query and asking
each row with README's curl command, answers every row as the table says.
"""

from __future__ import annotations

import json
import os
import subprocess
from typing import Any

import httpx

from live_server import REPOSITORY
from sandbox_support import BASH, Sandbox

README = (REPOSITORY / "README.md").read_text()
README_HOST = "http://127.0.0.1:8000"


def _indented_block(first_line: str) -> str:
    """README's indented block that starts with `first_line`, without its indent."""
    lines = README.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"    {first_line}"))
    end = next(i for i in range(start, len(lines)) if not lines[i].startswith("    "))
    return "\n".join(line[4:] for line in lines[start:end])


def _table(first_header: str) -> list[dict[str, str]]:
    """README's markdown table whose header row starts with `first_header`, as dicts."""
    lines = README.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"| {first_header} |"))

    def cells(line: str) -> list[str]:
        return [cell.strip() for cell in line.strip().strip("|").split("|")]

    header = cells(lines[start])
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        rows.append(dict(zip(header, cells(line), strict=True)))
    return rows


SUBJECTS = _indented_block("{ partner { subjects(")
ASK = _indented_block("QUERY='mutation($i: AssessmentInput!) { requestAssessment(")
ROWS = _table("persona | phone | tier")


def _expected(row: dict[str, str]) -> dict[str, Any]:
    """What the row says the partner reads, in the API's terms."""

    def nullable(cell: str) -> str | None:
        return None if cell == "null" else cell

    codes = row["reasonCodes"]
    limit = nullable(row["recommendedLimit"])
    return {
        "tier": row["tier"],
        "status": row["status"],
        "outcome": nullable(row["outcome"]),
        "reasonCodes": [] if codes == "none" else codes.split(", "),
        "recommendedLimit": None if limit is None else {"value": limit, "currency": "CNY"},
    }


def _ask(sandbox: Sandbox, token: str, subject: str, row: dict[str, str], reference: str) -> Any:
    """README's curl command, run by bash with the row's values in its variables."""
    done = subprocess.run(  # noqa: S603
        [BASH, "-c", ASK.replace(README_HOST, sandbox.base_url)],
        env={
            "PATH": os.environ["PATH"],
            "PARTNER_TOKEN": token,
            "SUBJECT": subject,
            "AMOUNT": row["amount"],
            "MONTHS": row["termMonths"],
            "REFERENCE": reference,
        },
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_readme_shows_every_outcome_in_both_tiers() -> None:
    """The table covers what the issue asks of the sandbox: APPROVE, REFER and DECLINE in each
    tier, and a persona an EXTENDED assessment waits for."""
    shown = {(row["tier"], row["status"], row["outcome"]) for row in ROWS}
    for tier in ("STANDARD", "EXTENDED"):
        outcomes = {outcome for shown_tier, _, outcome in shown if shown_tier == tier}
        assert {"APPROVE", "REFER", "DECLINE"} <= outcomes, tier
    assert ("EXTENDED", "WAITING_FOR_PERSON", "null") in shown


def test_each_persona_answers_as_readme_says(live_sandbox: Sandbox) -> None:
    secret = live_sandbox.scorelink("sandbox", "credentials", "demo-bank").strip()
    token = httpx.post(
        f"{live_sandbox.base_url}/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=("demo-bank", secret),
        timeout=30,
    ).json()["access_token"]
    listed = live_sandbox.as_partner("demo-bank", SUBJECTS)
    subjects = {
        edge["node"]["contact"]["phone"]: edge["node"]["id"]
        for edge in listed["data"]["partner"]["subjects"]["edges"]
        if edge["node"]["contact"]
    }

    answers = []
    for number, row in enumerate(ROWS):
        answer = _ask(live_sandbox, token, subjects[row["phone"]], row, f"readme-{number}")
        assert "data" in answer, answer
        assert answer["data"]["requestAssessment"]["__typename"] == "AssessmentRequested", answer
        answers.append(answer["data"]["requestAssessment"]["assessment"])

    shown = [
        {key: answer[key] for key in _expected(row)}
        for answer, row in zip(answers, ROWS, strict=True)
    ]
    for answer in shown:
        answer["reasonCodes"] = [reason["code"] for reason in answer["reasonCodes"]]
    assert shown == [_expected(row) for row in ROWS]
