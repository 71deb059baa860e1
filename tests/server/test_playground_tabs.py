"""Every example tab the playground ships is a valid operation of the schema as it is now.

The browser test (test_graphiql_browser.py) then runs each tab unchanged against a live sandbox.
"""

from __future__ import annotations

import json

import pytest
from graphql import OperationDefinitionNode, parse, validate

from schema.schema import build_schema
from server.playground import STATIC_DIRECTORY

TABS = json.loads((STATIC_DIRECTORY / "playground-tabs.json").read_text())


def test_there_are_tabs_for_partners_and_people() -> None:
    identities = {tab["identity"].split(":")[0] for tab in TABS}
    assert identities == {"partner", "persona"}


@pytest.mark.parametrize("tab", TABS, ids=[tab["title"] for tab in TABS])
def test_each_tab_is_one_valid_operation_with_its_variables(tab: dict[str, str]) -> None:
    document = parse(tab["query"])
    errors = validate(build_schema()._schema, document)
    assert errors == [], [error.message for error in errors]
    [operation] = document.definitions
    assert isinstance(operation, OperationDefinitionNode)
    needed = {v.variable.name.value for v in operation.variable_definitions or ()}
    given = json.loads(tab.get("variables") or "{}")
    assert set(given) == needed
