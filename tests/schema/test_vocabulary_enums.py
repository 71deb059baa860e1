"""The consent vocabulary reaches clients as enums, so generated client types keep it: every
grade is a `Grade`, every access-log event an `AccessEvent`, every list of scopes `[Scope!]`."""

from __future__ import annotations

import re

from graphql import GraphQLObjectType, get_named_type, is_list_type

from consent.access_log import LogEvent
from domain.consent_terms import Purpose as PurposeValue
from domain.consent_terms import Scope as ScopeValue
from schema.access_log import AccessEvent
from schema.consent_enums import Purpose, Scope
from schema.schema import build_schema

EXPECTED = {
    re.compile(r"grade"): "Grade",
    re.compile(r"event"): "AccessEvent",
    re.compile(r"(scopes|allowedScopes|scopes[A-Z]\w*)"): "Scope",
    re.compile(r"purpose"): "Purpose",
}


def test_vocabulary_fields_are_enums() -> None:
    schema = build_schema()._schema
    checked = []
    for type_ in schema.type_map.values():
        if not isinstance(type_, GraphQLObjectType) or type_.name.startswith("__"):
            continue
        for name, field in type_.fields.items():
            for pattern, enum_name in EXPECTED.items():
                if pattern.fullmatch(name):
                    assert get_named_type(field.type).name == enum_name, f"{type_.name}.{name}"
                    checked.append(f"{type_.name}.{name}")
    assert "Subject.grade" in checked
    assert "HistoricalReport.grade" in checked
    assert "AccessLogEntry.event" in checked
    assert "AccessLogEntry.scopesDenied" in checked


def test_scope_fields_are_lists() -> None:
    schema = build_schema()._schema
    for type_name in ("AccessLogEntry", "Consent", "PartnerGrant", "PartnerConsentRequest"):
        type_ = schema.type_map[type_name]
        assert isinstance(type_, GraphQLObjectType)
        for name, field in type_.fields.items():
            if name.lower().startswith("scopes"):
                inner = field.type.of_type if hasattr(field.type, "of_type") else field.type
                assert is_list_type(inner), f"{type_name}.{name}"


def test_every_logged_event_has_its_enum_value() -> None:
    """A new kind of log entry without its enum value would fail every access-log read."""
    assert {e.name for e in AccessEvent} == {e.value for e in LogEvent}


def test_every_purpose_and_scope_a_log_entry_can_hold_has_its_enum_value() -> None:
    assert {p.name for p in Purpose} == {p.value for p in PurposeValue}
    assert {s.name for s in Scope} == {s.value for s in ScopeValue}
