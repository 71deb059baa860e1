"""The browser origins a partner registered, from which its frontend may call the API (CORS).

An origin is a scheme, a host and a port, exactly as a browser sends it in the `Origin` header;
anything else (a path, a wildcard, credentials in the URL) is refused, so a registration can
never open the API wider than one site.
"""

from __future__ import annotations

import uuid
from urllib.parse import urlsplit

from domain.errors import InvalidInput
from domain.models import Partner, PartnerOrigin, PartnerStatus
from domain.partners import find_partner

MAX_ORIGINS_PER_PARTNER = 20
_DEFAULT_PORTS = {"http": 80, "https": 443}


class InvalidOrigin(InvalidInput):
    code = "invalid_origin"


def parse_origin(raw: str) -> str:
    """`https://App.Example.com:443/` -> `https://app.example.com`, or `InvalidOrigin`."""
    text = raw.strip()
    refused = InvalidOrigin(
        f"an origin is scheme://host[:port], like https://app.example.com (got {raw!r})"
    )
    if "*" in text:
        raise InvalidOrigin("a wildcard origin is never allowed: register each origin")
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        raise refused from None
    if (
        parts.scheme.lower() not in _DEFAULT_PORTS
        or not parts.hostname
        or parts.username is not None
        or parts.path not in ("", "/")
        or parts.query
        or parts.fragment
    ):
        raise refused
    scheme = parts.scheme.lower()
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    if port is None or port == _DEFAULT_PORTS[scheme]:
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{port}"


async def partner_origins(partner_id: uuid.UUID) -> list[str]:
    return sorted(
        await PartnerOrigin.filter(partner_id=partner_id).values_list("origin", flat=True)  # type: ignore[arg-type]
    )


async def allow_origin(partner_id: uuid.UUID, raw: str) -> list[str]:
    origin = parse_origin(raw)
    registered = await PartnerOrigin.filter(partner_id=partner_id).count()
    new = not await PartnerOrigin.exists(partner_id=partner_id, origin=origin)
    if new and registered >= MAX_ORIGINS_PER_PARTNER:
        raise InvalidOrigin(f"a partner registers at most {MAX_ORIGINS_PER_PARTNER} origins")
    await PartnerOrigin.get_or_create(partner_id=partner_id, origin=origin)
    return await partner_origins(partner_id)


async def remove_origin(partner_id: uuid.UUID, raw: str) -> list[str]:
    await PartnerOrigin.filter(partner_id=partner_id, origin=parse_origin(raw)).delete()
    return await partner_origins(partner_id)


async def allow_origin_for(reference: str, raw: str, *, remove: bool = False) -> Partner:
    """Operator use case: by partner id or client id, as `scorelink partners allow-origin`."""
    partner = await find_partner(reference)
    await (remove_origin if remove else allow_origin)(partner.id, raw)
    return partner


async def partner_allows(partner_id: uuid.UUID, origin: str) -> bool:
    return await PartnerOrigin.exists(
        partner_id=partner_id, origin=origin, partner__status=PartnerStatus.ACTIVE
    )


async def any_partner_allows(origin: str) -> bool:
    """A preflight carries no token: it passes if some active partner registered the origin."""
    return await PartnerOrigin.exists(origin=origin, partner__status=PartnerStatus.ACTIVE)
