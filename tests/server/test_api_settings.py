"""The API limits are read from the environment and validated like every other variable."""

from __future__ import annotations

import pytest

from server.settings import ApiLimits, ConfigError, Introspection, load_settings


def test_defaults_are_the_documented_limits() -> None:
    assert load_settings({}).api == ApiLimits(
        max_depth=10,
        max_aliases=15,
        max_tokens=2000,
        max_body_bytes=65536,
        max_query_cost=5000,
        partner_requests_per_minute=600,
        person_requests_per_minute=120,
        production_introspection=Introspection.OFF,
    )


def test_each_limit_is_configurable() -> None:
    api = load_settings(
        {
            "SCORELINK_MAX_QUERY_DEPTH": "6",
            "SCORELINK_MAX_ALIASES": "4",
            "SCORELINK_MAX_TOKENS": "500",
            "SCORELINK_MAX_BODY_BYTES": "4096",
            "SCORELINK_MAX_QUERY_COST": "900",
            "SCORELINK_PARTNER_RATE_LIMIT": "60",
            "SCORELINK_PERSON_RATE_LIMIT": "30",
            "SCORELINK_INTROSPECTION": "Partners",
            "SCORELINK_GRAPHQL_CACHES": "OFF",
        }
    ).api
    assert api == ApiLimits(6, 4, 500, 4096, 900, 60, 30, Introspection.PARTNERS, caches=False)


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("SCORELINK_MAX_QUERY_DEPTH", "0"),
        ("SCORELINK_MAX_ALIASES", "-1"),
        ("SCORELINK_MAX_TOKENS", "lots"),
        ("SCORELINK_MAX_BODY_BYTES", "100"),
        ("SCORELINK_MAX_QUERY_COST", "0"),
        ("SCORELINK_PARTNER_RATE_LIMIT", "0"),
        ("SCORELINK_PERSON_RATE_LIMIT", ""),
        ("SCORELINK_INTROSPECTION", "everyone"),
        ("SCORELINK_GRAPHQL_CACHES", "maybe"),
    ],
)
def test_a_bad_value_names_its_variable(variable: str, value: str) -> None:
    with pytest.raises(ConfigError) as refused:
        load_settings({variable: value})
    assert refused.value.variable == variable
