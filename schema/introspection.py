"""Who may introspect the schema: everyone in the sandbox; in production nobody, or partners."""

from __future__ import annotations

import enum

from graphql import ASTValidationRule
from graphql.validation import NoSchemaIntrospectionCustomRule

from domain.principal import PartnerPrincipal


class IntrospectionAccess(enum.Enum):
    EVERYONE = "everyone"
    PARTNERS = "partners"
    NOBODY = "nobody"


def introspection_rules(
    access: IntrospectionAccess, principal: object
) -> tuple[type[ASTValidationRule], ...]:
    """graphql-core's no-introspection rule for a caller the policy does not admit, else none.

    `__typename` stays available to everyone: clients need it to tell union members apart.
    """
    if access is IntrospectionAccess.EVERYONE:
        return ()
    if access is IntrospectionAccess.PARTNERS and isinstance(principal, PartnerPrincipal):
        return ()
    return (NoSchemaIntrospectionCustomRule,)
