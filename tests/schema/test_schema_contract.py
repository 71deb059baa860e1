"""The committed SDL is the code's schema, and no change to it breaks existing clients."""

from __future__ import annotations

from schema.contract import REGENERATE, SDL_PATH, breaking_changes, committed_sdl, current_sdl

OLD = """
type Query {
  apiVersion: String!
  grade(id: ID!): String
  partners(type: String): [String!]!
}
"""


def test_the_committed_sdl_matches_the_code() -> None:
    assert SDL_PATH.exists(), f"{SDL_PATH.name} is missing; run {REGENERATE}"
    assert committed_sdl() == current_sdl(), (
        f"{SDL_PATH.name} differs from the schema in the code; run {REGENERATE} and commit it"
    )


def test_the_code_makes_no_breaking_change_to_the_committed_sdl() -> None:
    changes = breaking_changes(committed_sdl(), current_sdl())
    assert not changes, (
        "breaking changes to the published schema:\n  "
        + "\n  ".join(changes)
        + f"\nKeep the old fields (deprecate them instead), or, if the break is agreed with "
        f"partners, run {REGENERATE.replace('write', 'write --allow-breaking')}"
    )


def test_the_check_lists_each_breaking_change() -> None:
    new = """
type Query {
  grade(id: ID!, purpose: String!): String
  partners(type: Int): [String!]!
}
"""
    assert breaking_changes(OLD, new) == [
        "FIELD_REMOVED: Field Query.apiVersion was removed.",
        "REQUIRED_ARG_ADDED: A required argument Query.grade(purpose:) was added.",
        "ARG_CHANGED_KIND: Argument Query.partners(type:) has changed type from String to Int.",
    ]


def test_additions_are_not_breaking() -> None:
    added = OLD.replace("apiVersion: String!", "apiVersion: String!\n  health: String")
    assert breaking_changes(OLD, added) == []
