"""Standard Webhooks signatures: `webhook-id`, `webhook-timestamp`, `webhook-signature` (v1).

Signed with the `standardwebhooks` package itself, so a receiver using it (or any conforming
library) verifies what we send. During a secret rotation both secrets sign, space-separated as
the specification allows, so a receiver still holding the old secret keeps verifying.
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Iterable
from datetime import datetime

from standardwebhooks.webhooks import Webhook

from domain.encryption import SecretBox
from domain.secret_keys import KeyUse, SecretKeys

SECRET_PREFIX = "whsec_"  # noqa: S105 - the format's prefix, not a secret
# 32 random bytes, as the specification recommends (24 to 64).
_SECRET_BYTES = 32


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(_SECRET_BYTES)).decode()


def secret_box(keys: SecretKeys) -> SecretBox:
    """Endpoint secrets are kept encrypted under their own derived key."""
    return SecretBox(keys, KeyUse.WEBHOOK_SECRETS)


def signed_headers(
    event_id: str, timestamp: datetime, body: str, signing_secrets: Iterable[str]
) -> dict[str, str]:
    signatures = " ".join(Webhook(s).sign(event_id, timestamp, body) for s in signing_secrets)
    return {
        "webhook-id": event_id,
        "webhook-timestamp": str(int(timestamp.timestamp())),
        "webhook-signature": signatures,
        "content-type": "application/json",
    }
