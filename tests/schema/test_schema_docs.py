"""Every type, field, argument and enum value of the API says what it means."""

from __future__ import annotations

from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
)

from schema import build_schema


def undescribed(schema: GraphQLSchema) -> list[str]:
    """Names of every schema element without a description, as `Type.field(argument)`."""
    missing: list[str] = []

    def check(name: str, description: str | None) -> None:
        if not (description and description.strip()):
            missing.append(name)

    for type_name, graphql_type in sorted(schema.type_map.items()):
        if type_name.startswith("__"):
            continue
        check(type_name, graphql_type.description)
        if isinstance(graphql_type, GraphQLObjectType | GraphQLInterfaceType):
            for field_name, field in graphql_type.fields.items():
                check(f"{type_name}.{field_name}", field.description)
                for argument_name, argument in field.args.items():
                    check(f"{type_name}.{field_name}({argument_name})", argument.description)
        elif isinstance(graphql_type, GraphQLInputObjectType):
            for field_name, input_field in graphql_type.fields.items():
                check(f"{type_name}.{field_name}", input_field.description)
        elif isinstance(graphql_type, GraphQLEnumType):
            for value_name, value in graphql_type.values.items():
                check(f"{type_name}.{value_name}", value.description)
    return missing


def test_every_type_field_argument_and_enum_value_has_a_description() -> None:
    missing = undescribed(build_schema()._schema)
    assert not missing, "add a description= to: " + ", ".join(missing)


def test_the_check_finds_a_missing_description() -> None:
    schema = build_schema()._schema
    field = schema.query_type.fields["apiVersion"]  # type: ignore[union-attr]
    saved, field.description = field.description, None
    try:
        assert undescribed(schema) == ["Query.apiVersion"]
    finally:
        field.description = saved
