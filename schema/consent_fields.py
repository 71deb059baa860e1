"""Declaring a partner-visible field with its consent scope, saleor-style: at the field.

    @scoped(Scope.SCORE, description="Score 300-850; higher is better.")
    def score(self) -> int | None: ...

is the only place that says SCORE opens `score`. A field made of two scopes' data names both
(`@scoped(Scope.CREDIT_ASSESSMENT, Scope.DEFAULT_PROBABILITY, ...)`) and needs each. The
declaration adds the check that runs
before the field resolves (`resolvers.field_scopes.ConsentChecked`) and the `@requiresScope`
directive that shows the scope to integration engineers in the SDL; the asked-scope walk and
the field catalogue are derived from it.
"""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.schema_directive import Location

from domain.consent_terms import Scope
from resolvers.field_scopes import ConsentChecked
from schema.consent_enums import Scope as ScopeEnum


@strawberry.schema_directive(
    locations=[Location.FIELD_DEFINITION],
    description="A consent scope a partner must hold for this field to return a value; a field "
    "with several needs each.",
    repeatable=True,
)
class RequiresScope:
    scope: ScopeEnum


def scoped(scope: Scope, *also: Scope, description: str) -> Any:
    """A Strawberry field that only a read granted `scope` (and each of `also`) may resolve."""
    scopes = (scope, *also)
    return strawberry.field(
        description=f"{description} Scope: {' and '.join(s.value for s in scopes)}.",
        extensions=[ConsentChecked(*scopes)],
        directives=[RequiresScope(scope=ScopeEnum[s.name]) for s in scopes],
    )
