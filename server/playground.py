"""The sandbox's GraphiQL page: ScoreLink's own HTML over GraphiQL assets served from /static.

Nothing is loaded from outside the service, so the playground works in air-gapped networks;
the content security policy makes that a rule the browser enforces, not a habit.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

STATIC_DIRECTORY = Path(__file__).parent / "static"
STATIC_PATH = "/static"

PLAYGROUND_HEADERS = {
    "Content-Security-Policy": "; ".join(
        (
            "default-src 'none'",
            "script-src 'self'",
            # GraphiQL sets inline styles on its panes; its fonts are data: URLs in its CSS.
            "style-src 'self' 'unsafe-inline'",
            "font-src 'self' data:",
            "img-src 'self' data:",
            "connect-src 'self'",
            "base-uri 'none'",
            "form-action 'none'",
            "frame-ancestors 'none'",
        )
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


@cache
def playground_html() -> str:
    return (STATIC_DIRECTORY / "playground.html").read_text(encoding="utf-8")
