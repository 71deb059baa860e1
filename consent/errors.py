"""Typed refusals of consent operations; each has a stable code a client can switch on."""

from __future__ import annotations


class ConsentError(Exception):
    code = "CONSENT_ERROR"


class InvalidScopes(ConsentError):
    code = "INVALID_SCOPES"


class ScopeAboveCeiling(ConsentError):
    code = "SCOPE_NOT_PERMITTED_FOR_PARTNER_TYPE"


class PurposeNotAllowed(ConsentError):
    code = "PURPOSE_NOT_ALLOWED"


class InvalidDuration(ConsentError):
    code = "INVALID_DURATION"


class RequestNotFound(ConsentError):
    code = "REQUEST_NOT_FOUND"


class RequestExpired(ConsentError):
    code = "REQUEST_EXPIRED"


class RequestAlreadyDecided(ConsentError):
    code = "REQUEST_ALREADY_DECIDED"


class GrantNotFound(ConsentError):
    code = "GRANT_NOT_FOUND"


class GrantNotActive(ConsentError):
    code = "GRANT_NOT_ACTIVE"
