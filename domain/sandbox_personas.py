"""The sandbox's test personas: who they are and the numbers they sign in with."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TestPersona:
    key: str
    display_name: str
    phone: str


# Keys name the scoring engine's synthetic personas; numbers sit in a mobile range (+86 138)
# and are reserved for the sandbox.
TEST_PERSONAS: tuple[TestPersona, ...] = (
    TestPersona("grade_a", "Test persona A (excellent file)", "+8613800000001"),
    TestPersona("grade_b", "Test persona B (good file)", "+8613800000002"),
    TestPersona("grade_c", "Test persona C (fair file)", "+8613800000003"),
    TestPersona("grade_d", "Test persona D (poor file)", "+8613800000004"),
    TestPersona("thin_file", "Test persona (thin file)", "+8613800000005"),
    TestPersona("empty", "Test persona (no linked accounts)", "+8613800000006"),
)
