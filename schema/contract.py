"""The schema contract: `schema.graphql` at the repository root is the SDL partners build on.

It is generated from the code, never edited by hand:

    python -m schema.contract write       # or: make schema

`write` refuses a breaking change (a removed field, a narrowed type, a new required argument, ...)
unless given `--allow-breaking`, and the tests fail while the file and the code differ, so a
breaking change is always a deliberate, reviewed step.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from graphql import build_schema as build_sdl_schema
from graphql import find_breaking_changes

from schema.schema import build_schema

SDL_PATH = Path(__file__).resolve().parent.parent / "schema.graphql"
REGENERATE = "python -m schema.contract write  (or: make schema)"


def current_sdl() -> str:
    return build_schema().as_str() + "\n"


def committed_sdl() -> str:
    return SDL_PATH.read_text(encoding="utf-8")


def breaking_changes(old_sdl: str, new_sdl: str) -> list[str]:
    """Each change from `old_sdl` to `new_sdl` that can break an existing client, one a line."""
    changes = find_breaking_changes(build_sdl_schema(old_sdl), build_sdl_schema(new_sdl))
    return [f"{change.type.name}: {change.description}" for change in changes]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m schema.contract", description=__doc__)
    parser.add_argument("action", choices=["check", "write"])
    parser.add_argument("--allow-breaking", action="store_true")
    args = parser.parse_args(argv)
    new = current_sdl()
    old = committed_sdl() if SDL_PATH.exists() else None
    breaking = breaking_changes(old, new) if old is not None else []
    for line in breaking:
        print(f"breaking: {line}", file=sys.stderr)
    if args.action == "check":
        if old != new:
            print(f"{SDL_PATH.name} differs from the code; run {REGENERATE}", file=sys.stderr)
        return 1 if old != new or breaking else 0
    if breaking and not args.allow_breaking:
        print("refusing to write breaking changes; pass --allow-breaking", file=sys.stderr)
        return 1
    SDL_PATH.write_text(new, encoding="utf-8")
    print(f"wrote {SDL_PATH}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
