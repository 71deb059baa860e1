"""Strict decoding of GraphQL request bodies: every malformed body is a 400, never a 500.

Strawberry decodes with `json.loads` and assumes an object: a body that is a string, a number or
null, invalid UTF-8, a lone surrogate, an integer past Python's digit limit, or nesting deep
enough to exhaust the recursion limit each raised an unexpected error. orjson rejects the bad
encodings and caps nesting at 1,024 levels; a body that is not an object (or a batch) is refused.
"""

from __future__ import annotations

import json

import orjson


def decode_request_body(data: str | bytes) -> object:
    """The body as a JSON object (or a batch); otherwise `json.JSONDecodeError`, a 400."""
    try:
        decoded = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise json.JSONDecodeError(exc.msg, exc.doc, exc.pos) from None
    # A list is a batch: Strawberry refuses it with its own message.
    if not isinstance(decoded, dict | list):
        raise json.JSONDecodeError("the body must be a JSON object", "", 0)
    return decoded
