"""Strawberry types and the `Schema` object: the GraphQL contract partners and people use."""

from schema.schema import build_schema

__all__ = ["build_schema"]
