"""The built-in sandbox provider: an OAuth2 server with test personas and a data API."""
