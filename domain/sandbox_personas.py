"""The sandbox's test personas: who they are and the numbers they sign in with."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TestPersona:
    key: str
    display_name: str
    phone: str
    # The scoring engine's synthetic file the persona's linked accounts hold; its key if unset.
    synthetic_file: str = ""
    # The kinds of that file's accounts the seed links (a file may lack one of them anyway).
    sources: tuple[str, ...] = ("social", "ecommerce")

    @property
    def profile(self) -> str:
        return self.synthetic_file or self.key


# Keys name the scoring engine's synthetic personas; numbers sit in a mobile range (+86 138)
# and are reserved for the sandbox.
TEST_PERSONAS: tuple[TestPersona, ...] = (
    TestPersona("grade_a", "Test persona A (excellent file)", "+8613800000001"),
    TestPersona("grade_b", "Test persona B (good file)", "+8613800000002"),
    TestPersona("grade_c", "Test persona C (fair file)", "+8613800000003"),
    TestPersona("grade_d", "Test persona D (poor file)", "+8613800000004"),
    TestPersona("thin_file", "Test persona (thin file)", "+8613800000005"),
    TestPersona("empty", "Test persona (no linked accounts)", "+8613800000006"),
    # Grade A's file but no consent to anyone: the walkthrough asks it, so its denials are real.
    TestPersona("newcomer", "Test persona N (no consents yet)", "+8613800000007", "grade_a"),
    # Grade A's social account only: an EXTENDED assessment waits for this person to link an
    # e-commerce account (WAITING_FOR_PERSON), then goes on by itself.
    TestPersona(
        "social_only",
        "Test persona S (no e-commerce account)",
        "+8613800000008",
        "grade_a",
        sources=("social",),
    ),
    # Grade D with both kinds of account: declined in both tiers (grade_d's EXTENDED waits).
    TestPersona("poor_payer", "Test persona P (poor file, both accounts)", "+8613800000009"),
)
