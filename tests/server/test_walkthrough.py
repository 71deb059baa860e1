"""README's sandbox walkthrough is true: the script it shows, run twice in a row against a
freshly seeded sandbox, prints exactly the lines README says it prints, both times.
"""

from __future__ import annotations

import httpx

from live_server import REPOSITORY
from sandbox_support import WALKTHROUGH, Sandbox

README = REPOSITORY / "README.md"
PROMPT = "$ scripts/walkthrough.sh"


def _readme_block_after(marker: str) -> list[str]:
    """The lines of README's fenced block that starts with `marker`, up to the fence."""
    lines = README.read_text().splitlines()
    start = lines.index(marker)
    end = lines.index("```", start)
    return lines[start + 1 : end]


def test_readme_shows_the_script_verbatim() -> None:
    assert WALKTHROUGH.read_text() in README.read_text()


def test_the_walkthrough_prints_what_readme_says_twice_in_a_row(live_sandbox: Sandbox) -> None:
    expected = _readme_block_after(PROMPT)
    assert expected, "README shows the walkthrough's output"
    for run in (1, 2):
        done = live_sandbox.walkthrough()
        assert done.returncode == 0, f"run {run}: {done.stderr}"
        assert done.stdout.splitlines() == expected, f"run {run}"
        assert done.stderr == "", f"run {run}"


def test_the_issuer_follows_the_port_serve_was_given(live_sandbox: Sandbox) -> None:
    """`make run PORT=N` runs `serve --port N`: tokens and metadata name that port."""
    metadata = httpx.get(f"{live_sandbox.base_url}/.well-known/oauth-authorization-server")
    assert metadata.json()["issuer"] == live_sandbox.base_url
