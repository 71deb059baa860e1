"""A cost budget per request, and page sizes checked before anything runs.

Every field costs 1 each time it resolves; a field that takes `first` makes everything below it
resolve up to `first` times, so its selection costs `first` times as much. The cost is an upper
bound computed from the document and its variables alone: a query over budget is refused whole,
before any resolver or database call, with an error naming its cost and the budget.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLField,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
    get_named_type,
    is_composite_type,
)
from graphql import ExecutionResult as GraphQLExecutionResult
from strawberry.extensions import SchemaExtension

from domain.partner_reads import MAX_PAGE_SIZE

PAGE_SIZE_ARGUMENT = "first"


@dataclass
class QueryCost:
    """The cost of one operation and the page sizes it asked for out of range."""

    total: int = 0
    bad_page_sizes: list[tuple[str, int]] = field(default_factory=list)


class _Walker:
    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: Mapping[str, FragmentDefinitionNode],
        variables: Mapping[str, Any],
        variable_defaults: Mapping[str, Any],
    ) -> None:
        self.schema = schema
        self.fragments = fragments
        self.variables = variables
        self.variable_defaults = variable_defaults
        self.cost = QueryCost()

    def walk(
        self,
        selection_set: SelectionSetNode,
        parent: Any,
        multiplier: int,
        path: str,
        seen_fragments: frozenset[str] = frozenset(),
    ) -> None:
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                self._field(selection, parent, multiplier, path, seen_fragments)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                target = self.schema.get_type(condition.name.value) if condition else parent
                self.walk(selection.selection_set, target, multiplier, path, seen_fragments)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self.fragments.get(name)
                if fragment is None or name in seen_fragments:
                    continue  # validation reports unknown and cyclic fragments
                target = self.schema.get_type(fragment.type_condition.name.value)
                self.walk(fragment.selection_set, target, multiplier, path, seen_fragments | {name})

    def _field(
        self,
        node: FieldNode,
        parent: Any,
        multiplier: int,
        path: str,
        seen_fragments: frozenset[str],
    ) -> None:
        name = node.name.value
        self.cost.total += multiplier
        fields = getattr(parent, "fields", None)
        if name.startswith("__") or not fields or name not in fields:
            return  # meta fields resolve from memory; unknown fields fail validation
        definition: GraphQLField = fields[name]
        here = f"{path}.{name}" if path else name
        page = self._page_size(node, definition)
        if page is not None and not 1 <= page <= MAX_PAGE_SIZE:
            self.cost.bad_page_sizes.append((here, page))
        below = multiplier * page if page is not None and page > 0 else multiplier
        named = get_named_type(definition.type)
        if node.selection_set is not None and is_composite_type(named):
            self.walk(node.selection_set, named, below, here, seen_fragments)

    def _page_size(self, node: FieldNode, definition: GraphQLField) -> int | None:
        argument = definition.args.get(PAGE_SIZE_ARGUMENT)
        if argument is None:
            return None
        for given in node.arguments or ():
            if given.name.value != PAGE_SIZE_ARGUMENT:
                continue
            if isinstance(given.value, IntValueNode):
                return int(given.value.value)
            if isinstance(given.value, VariableNode):
                variable = given.value.name.value
                value = self.variables.get(variable, self.variable_defaults.get(variable))
                return value if isinstance(value, int) and not isinstance(value, bool) else None
            return None  # validation rejects anything else
        default = argument.default_value
        return default if isinstance(default, int) else None


def query_cost(
    schema: GraphQLSchema,
    operation: OperationDefinitionNode,
    fragments: Mapping[str, FragmentDefinitionNode],
    variables: Mapping[str, Any] | None,
) -> QueryCost:
    """The upper bound of fields one operation can resolve, with its variables."""
    defaults = {
        definition.variable.name.value: int(definition.default_value.value)
        for definition in operation.variable_definitions or ()
        if isinstance(definition.default_value, IntValueNode)
    }
    walker = _Walker(schema, fragments, variables or {}, defaults)
    root: GraphQLObjectType | None = schema.get_root_type(operation.operation)
    walker.walk(operation.selection_set, root, 1, "")
    return walker.cost


def _selected_operation(
    document: DocumentNode, operation_name: str | None
) -> OperationDefinitionNode | None:
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name is None:
        return operations[0] if len(operations) == 1 else None
    named = [d for d in operations if d.name is not None and d.name.value == operation_name]
    return named[0] if named else None


class QueryCostLimiter(SchemaExtension):
    """Refuses an operation over the cost budget, or asking for a page size out of range."""

    def __init__(self, budget: int) -> None:
        super().__init__()
        self.budget = budget

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        operation = _selected_operation(document, context.operation_name) if document else None
        if document is not None and operation is not None:
            fragments = {
                d.name.value: d
                for d in document.definitions
                if isinstance(d, FragmentDefinitionNode)
            }
            cost = query_cost(context.schema._schema, operation, fragments, context.variables)
            if errors := self._refusals(cost):
                context.result = GraphQLExecutionResult(data=None, errors=errors)
        yield

    def _refusals(self, cost: QueryCost) -> list[GraphQLError]:
        refusals = [
            GraphQLError(
                f"{PAGE_SIZE_ARGUMENT} must be 1 to {MAX_PAGE_SIZE} (got {size} at {where})",
                extensions={"code": "BAD_USER_INPUT", "argument": PAGE_SIZE_ARGUMENT},
            )
            for where, size in cost.bad_page_sizes
        ]
        if not refusals and cost.total > self.budget:
            refusals.append(
                GraphQLError(
                    f"Query cost {cost.total} exceeds the budget of {self.budget} per request. "
                    f"Each field costs 1, and a field taking `{PAGE_SIZE_ARGUMENT}` multiplies "
                    "the cost of its selection by it: ask for smaller pages or fewer fields.",
                    extensions={
                        "code": "QUERY_TOO_EXPENSIVE",
                        "cost": cost.total,
                        "budget": self.budget,
                    },
                )
            )
        return refusals
