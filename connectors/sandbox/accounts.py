"""What the sandbox data API serves: a persona's account of one kind, as a provider document.

The records come from the scoring engine's synthetic personas, dated relative to the day of
the fetch so a persona keeps its grade as time passes. A persona without an account of the
asked kind has an empty one: opened today, no activity, which moves no grade.
"""

from __future__ import annotations

from datetime import date

from connectors.provider import SourceKind
from scoring_engine.synthetic import PERSONAS, persona_sources

SANDBOX_PERSONAS: tuple[str, ...] = PERSONAS


def account_document(kind: SourceKind, persona: str, as_of: date) -> dict[str, object]:
    sources = persona_sources(persona, as_of)
    account = sources.get(kind.value) or {"account_created": as_of.isoformat()}
    return {
        "provider": "scorelink-sandbox",
        "kind": kind.value,
        "persona": persona,
        "as_of": as_of.isoformat(),
        "account": account,
    }
