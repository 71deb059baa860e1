"""Which consent scope a partner-visible field needs, declared once where the field is declared.

A field declared with `schema.consent_fields.scoped(scope, ...)` carries a `ConsentChecked`
extension. That one declaration is read back for everything that needs it:
- before the field resolves, `ConsentChecked` asks the read's decision (made in `consent`, held
  by the domain's view) whether the scope was granted, and turns a denial into the documented
  field error (null, `extensions.code` and `extensions.scope`);
- `declared_scopes` gives the asked-scope walk (`resolvers.asked_scopes`) the scopes of a field
  in a query document, so the read loads exactly the data of the scopes asked and granted;
- `field_scopes` derives the whole field-to-scope catalogue from a schema, for the tests that
  hold it against DESIGN.md and for integration engineers.
"""

from __future__ import annotations

from typing import Any, Protocol

from graphql import GraphQLField, GraphQLInterfaceType, GraphQLObjectType, GraphQLSchema
from strawberry.extensions import FieldExtension
from strawberry.extensions.field_extension import (
    AsyncExtensionResolver,
    SyncExtensionResolver,
)
from strawberry.types import Info

from domain.consent_terms import Scope
from domain.partner_reads import ScopeDenied
from resolvers.errors import field_error

# Where Strawberry keeps its own field definition on the graphql-core field it builds.
_STRAWBERRY_DEFINITION = "strawberry-definition"


class ConsentedView(Protocol):
    """What a read lets its fields see; `require` raises `ScopeDenied` for a scope not granted."""

    def require(self, scope: Scope) -> None: ...


class ConsentedObject(Protocol):
    """A schema type whose fields are scoped carries the read's view as `view`."""

    @property
    def view(self) -> ConsentedView: ...


class ConsentChecked(FieldExtension):
    """Refuses the field, before its resolver runs, unless the read granted each of its scopes."""

    def __init__(self, *scopes: Scope) -> None:
        self.scopes = scopes

    def resolve(self, next_: SyncExtensionResolver, source: Any, info: Info, **kwargs: Any) -> Any:
        self._require(source)
        return next_(source, info, **kwargs)

    async def resolve_async(
        self, next_: AsyncExtensionResolver, source: Any, info: Info, **kwargs: Any
    ) -> Any:
        self._require(source)
        return await next_(source, info, **kwargs)

    def _require(self, source: ConsentedObject) -> None:
        try:
            for scope in self.scopes:
                source.view.require(scope)
        except ScopeDenied as denied:
            raise field_error(denied) from None


def declared_scopes(field: GraphQLField) -> frozenset[Scope]:
    """The scopes a schema field was declared with; empty for a field that needs none."""
    definition = (field.extensions or {}).get(_STRAWBERRY_DEFINITION)
    for extension in getattr(definition, "extensions", None) or ():
        if isinstance(extension, ConsentChecked):
            return frozenset(extension.scopes)
    return frozenset()


def field_scopes(schema: GraphQLSchema) -> dict[str, frozenset[Scope]]:
    """Every scoped field of the schema as `Type.field` -> the scopes it needs."""
    catalogue: dict[str, frozenset[Scope]] = {}
    for type_name, named in schema.type_map.items():
        if not isinstance(named, GraphQLObjectType | GraphQLInterfaceType):
            continue
        for field_name, field in named.fields.items():
            scopes = declared_scopes(field)
            if scopes:
                catalogue[f"{type_name}.{field_name}"] = scopes
    return catalogue
