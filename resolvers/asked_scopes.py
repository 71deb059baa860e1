"""Which consent scopes a partner's query asks of a subject field, read from the document.

The walk follows aliases, fragments, inline fragments (on objects and interfaces), nested
objects and @skip/@include with their variables. It only ever narrows what is loaded: data of
a scope it misses is never loaded, so a field of that scope fails closed instead of leaking.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from graphql import (
    BooleanValueNode,
    DirectiveNode,
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
    SelectionNode,
    SelectionSetNode,
    VariableNode,
    get_named_type,
)

from domain.consent_terms import Scope
from resolvers.context import Info
from resolvers.field_scopes import declared_scopes


def _condition(node: DirectiveNode, info: GraphQLResolveInfo[Any]) -> bool:
    """The `if:` argument of @skip/@include, literal or variable (validation typed it)."""
    for argument in node.arguments or ():
        if argument.name.value != "if":
            continue
        value = argument.value
        if isinstance(value, BooleanValueNode):
            return value.value
        if isinstance(value, VariableNode):
            # Resolvers see the operation's coerced variables as a plain mapping.
            variables = cast(Mapping[str, Any], info.variable_values)
            return bool(variables.get(value.name.value))
    return False


def _included(node: SelectionNode, info: GraphQLResolveInfo[Any]) -> bool:
    for directive in node.directives or ():
        name = directive.name.value
        if name == GraphQLSkipDirective.name and _condition(directive, info):
            return False
        if name == GraphQLIncludeDirective.name and not _condition(directive, info):
            return False
    return True


def _walk(
    selection_set: SelectionSetNode,
    parent: GraphQLNamedType,
    info: GraphQLResolveInfo[Any],
    scopes: set[Scope],
) -> None:
    for selection in selection_set.selections:
        if not _included(selection, info):
            continue
        if isinstance(selection, FieldNode):
            if not isinstance(parent, GraphQLObjectType | GraphQLInterfaceType):
                continue
            field = parent.fields.get(selection.name.value)
            if field is None:
                continue  # __typename; validation refused any other unknown field
            declared = declared_scopes(field)
            if declared:
                scopes.update(declared)
            elif selection.selection_set:
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
