"""The consent vocabulary and records as the outer layers (schema, resolvers) may use them.

Schema and resolvers never import `consent` themselves (an import-linter contract says so): what
a partner may see is decided in `consent`, asked for by the domain, and only named above it.
"""

from __future__ import annotations

from consent.catalog import Access, PartnerType, Purpose, Scope
from consent.decision import DenialCode
from consent.errors import ConsentError
from consent.models import AccessLogEntry, ConsentGrant, ConsentRequest
from consent.policy import PartnerTypePolicy, policy_for

__all__ = [
    "Access",
    "AccessLogEntry",
    "ConsentError",
    "ConsentGrant",
    "ConsentRequest",
    "DenialCode",
    "PartnerType",
    "PartnerTypePolicy",
    "Purpose",
    "Scope",
    "policy_for",
]
