"""Which consent scopes a partner's query asks of a subject field, read from the document.

The walk follows aliases, fragments, inline fragments (on objects and interfaces), nested
objects and @skip/@include with their variables. It only ever narrows what is loaded: data of
a scope it misses is never loaded, so a field of that scope fails closed instead of leaking.
"""

from __future__ import annotations

from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLIncludeDirective,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLResolveInfo,
    GraphQLSkipDirective,
    InlineFragmentNode,
    SelectionSetNode,
    get_named_type,
)
from graphql.execution.values import get_directive_values

from consent.catalog import Scope
from consent.field_catalog import FIELD_SCOPES
from resolvers.context import Info


def _included(
    node: FieldNode | FragmentSpreadNode | InlineFragmentNode, info: GraphQLResolveInfo[Any]
) -> bool:
    skip = get_directive_values(GraphQLSkipDirective, node, info.variable_values)
    if skip is not None and skip.get("if") is True:
        return False
    include = get_directive_values(GraphQLIncludeDirective, node, info.variable_values)
    return not (include is not None and include.get("if") is False)


def _walk(
    selection_set: SelectionSetNode,
    parent: GraphQLNamedType,
    info: GraphQLResolveInfo[Any],
    scopes: set[Scope],
) -> None:
    for selection in selection_set.selections:
        if not _included(selection, info):  # type: ignore[arg-type]
            continue
        if isinstance(selection, FieldNode):
            name = selection.name.value
            scope = FIELD_SCOPES.get(f"{parent.name}.{name}")
            if scope is not None:
                scopes.add(scope)
                continue
            if selection.selection_set and isinstance(
                parent, GraphQLObjectType | GraphQLInterfaceType
            ):
                field = parent.fields.get(name)
                if field is not None:
                    _walk(selection.selection_set, get_named_type(field.type), info, scopes)
        elif isinstance(selection, InlineFragmentNode):
            condition = selection.type_condition
            target = info.schema.get_type(condition.name.value) if condition else parent
            _walk(selection.selection_set, target or parent, info, scopes)
        elif isinstance(selection, FragmentSpreadNode):
            fragment: FragmentDefinitionNode | None = info.fragments.get(selection.name.value)
            if fragment is not None:
                target = info.schema.get_type(fragment.type_condition.name.value)
                _walk(fragment.selection_set, target or parent, info, scopes)


def asked_scopes(info: Info) -> frozenset[Scope]:
    """Scopes the current field's selection asks for, across every node that selects it."""
    raw: GraphQLResolveInfo[Any] = info._raw_info
    returned = get_named_type(raw.return_type)
    scopes: set[Scope] = set()
    for node in raw.field_nodes:
        if node.selection_set:
            _walk(node.selection_set, returned, raw, scopes)
    return frozenset(scopes)
