"""Every field a partner can reach either declares its scope or is public by DESIGN.md.

The scopes come from the fields' own declarations (`schema.consent_fields.scoped`); the
expectations from `consent_spec`, DESIGN.md written out by hand. A new field that carries
personal data and declares no scope fails here, before it can ever be served unchecked, and so
does a field declared with a scope the design does not give it.
"""

from __future__ import annotations

from collections.abc import Collection

from graphql import (
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLUnionType,
    get_named_type,
)

import consent_spec
from resolvers.field_scopes import field_scopes
from schema import build_schema

# Where a partner's token can enter the schema. Person-only roots (`me`, consent decisions,
# sign-in) refuse partner principals in the domain and are not listed.
PARTNER_ROOTS = (
    "Query.partner",
    "Query.partners",
    "Mutation.requestConsent",
    "Mutation.requestAssessment",
    "Mutation.setRiskAppetite",
)


def _graphql_schema() -> GraphQLSchema:
    return build_schema()._schema


def _possible_objects(schema: GraphQLSchema, named: GraphQLNamedType) -> list[GraphQLObjectType]:
    if isinstance(named, GraphQLObjectType):
        return [named]
    if isinstance(named, GraphQLUnionType):
        return list(named.types)
    if isinstance(named, GraphQLInterfaceType):
        return list(schema.get_implementations(named).objects)
    return []


def _walk_from_partner_roots(
    schema: GraphQLSchema,
    scoped: Collection[str] | None = None,
    public: Collection[str] = consent_spec.PUBLIC_FIELDS,
) -> tuple[set[str], set[str]]:
    """Return (fields reached, fields reached that are neither scoped nor public)."""
    if scoped is None:
        scoped = frozenset(field_scopes(schema))
    reached: set[str] = set()
    unaccounted: set[str] = set()
    queue: list[str] = list(PARTNER_ROOTS)
    while queue:
        key = queue.pop()
        if key in reached:
            continue
        reached.add(key)
        type_name, field_name = key.split(".")
        parent = schema.get_type(type_name)
        assert isinstance(parent, GraphQLObjectType | GraphQLInterfaceType), key
        field = parent.fields[field_name]
        if key in scoped:
            continue  # everything below is covered by the field's scope
        if key not in public:
            unaccounted.add(key)
            continue
        for child_type in _possible_objects(schema, get_named_type(field.type)):
            queue.extend(f"{child_type.name}.{name}" for name in child_type.fields)
    return reached, unaccounted


def test_every_partner_reachable_field_is_scoped_or_public() -> None:
    _, unaccounted = _walk_from_partner_roots(_graphql_schema())
    assert unaccounted == set(), (
        "partner-reachable fields without a scope: declare each with schema.consent_fields.scoped"
    )


def test_each_field_declares_the_scope_the_design_gives_it() -> None:
    declared = {
        key: {scope.value for scope in scopes}
        for key, scopes in field_scopes(_graphql_schema()).items()
    }
    assert declared == consent_spec.ALL_FIELD_SCOPES


def test_every_scoped_field_exists_and_is_reachable() -> None:
    reached, _ = _walk_from_partner_roots(_graphql_schema())
    partner_fields = set(consent_spec.ALL_FIELD_SCOPES) - set(consent_spec.ANALYST_FIELD_SCOPES)
    assert partner_fields <= reached
    # An analyst's fields are reached from the staff viewer, never by a partner.
    assert not set(consent_spec.ANALYST_FIELD_SCOPES) & reached
    staff_viewer = _graphql_schema().get_type("StaffViewer")
    assert isinstance(staff_viewer, GraphQLObjectType)
    assert "reviewQueue" in staff_viewer.fields


def test_the_walk_would_catch_an_unscoped_field() -> None:
    # Guards against a walk that cannot fail: a field whose declaration is dropped is reported.
    narrowed = frozenset(consent_spec.ALL_FIELD_SCOPES) - {"Subject.contact"}
    _, unaccounted = _walk_from_partner_roots(_graphql_schema(), scoped=narrowed)
    assert unaccounted == {"Subject.contact"}


def test_the_sdl_shows_each_fields_scope() -> None:
    sdl = build_schema().as_str()
    assert "grade: Grade @requiresScope(scope: GRADE)" in sdl
    assert "contact: SubjectContact @requiresScope(scope: CONTACT)" in sdl
    assert (
        "defaultProbability: Float @requiresScope(scope: CREDIT_ASSESSMENT) "
        "@requiresScope(scope: DEFAULT_PROBABILITY)"
    ) in sdl
