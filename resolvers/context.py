"""The per-request GraphQL context: built by the server for each request, read by resolvers."""

from __future__ import annotations

from dataclasses import dataclass, field

import strawberry

from domain.principal import Principal
from domain.services import Services
from resolvers.loaders import Loaders


@dataclass
class RequestContext:
    request_id: str
    principal: Principal
    services: Services
    loaders: Loaders = field(default_factory=Loaders)
    # Subscriptions only: the token from `connection_init`, checked again while the feed runs,
    # and the payload itself (Strawberry stores it here).
    bearer_token: str | None = None
    connection_params: object = None


Info = strawberry.Info[RequestContext, None]
