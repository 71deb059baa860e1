"""The per-request GraphQL context: built by the server for each request, read by resolvers."""

from __future__ import annotations

from dataclasses import dataclass

import strawberry

from domain.principal import Principal
from domain.services import Services


@dataclass
class RequestContext:
    request_id: str
    principal: Principal
    services: Services


Info = strawberry.Info[RequestContext, None]
