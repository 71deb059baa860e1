"""Who may introspect the schema: everyone in the sandbox; in production nobody, or partners."""

from __future__ import annotations

import enum
from collections.abc import Iterator

from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.extensions import SchemaExtension

from domain.principal import PartnerPrincipal


class IntrospectionAccess(enum.Enum):
    EVERYONE = "everyone"
    PARTNERS = "partners"
    NOBODY = "nobody"


class IntrospectionPolicy(SchemaExtension):
    """Adds graphql-core's no-introspection rule for callers the policy does not admit.

    `__typename` stays available to everyone: clients need it to tell union members apart.
    """

    def __init__(self, access: IntrospectionAccess) -> None:
        super().__init__()
        self.access = access

    def on_operation(self) -> Iterator[None]:
        if not self._admits(getattr(self.execution_context.context, "principal", None)):
            context = self.execution_context
            context.validation_rules = (
                *context.validation_rules,
                NoSchemaIntrospectionCustomRule,
            )
        yield

    def _admits(self, principal: object) -> bool:
        if self.access is IntrospectionAccess.EVERYONE:
            return True
        return self.access is IntrospectionAccess.PARTNERS and isinstance(
            principal, PartnerPrincipal
        )
