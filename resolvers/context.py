"""The per-request GraphQL context: built by the server for each request, read by resolvers."""

from __future__ import annotations

from dataclasses import dataclass

import strawberry


@dataclass
class RequestContext:
    request_id: str


Info = strawberry.Info[RequestContext, None]
