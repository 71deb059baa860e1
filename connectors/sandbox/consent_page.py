"""The sandbox consent page: plain HTML with inline styles, no scripts or external assets."""

from __future__ import annotations

from html import escape

from connectors.sandbox.authorization import ConsentScreen

PERSONA_LABELS: dict[str, str] = {
    "grade_a": "Grade A: long-standing, active, always repays on time",
    "grade_b": "Grade B: a year of steady use",
    "grade_c": "Grade C: patchy activity, some returns",
    "grade_d": "Grade D: late instalments, frequent address changes",
    "thin_file": "Thin file: a six-week-old account",
    "empty": "Empty: an account with no activity",
    "poor_payer": "Poor payer: patchy shopping, a late instalment, address changes",
}

_STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:34rem;margin:2rem auto;padding:0 1rem;"
    "color:#1f2933}fieldset{border:1px solid #cbd2d9;border-radius:6px;padding:1rem}"
    "label{display:block;margin:.4rem 0}button{margin:1rem .5rem 0 0;padding:.5rem 1rem}"
    ".note{color:#52606d;font-size:.9rem}"
)


def consent_page(screen: ConsentScreen, action: str, csrf_field: str, csrf_token: str) -> str:
    """The persona picker for one authorisation request; the form posts back to `action`
    with the request's parameters, the anti-forgery token, the persona and approve or deny."""
    hidden = "".join(
        f'<input type="hidden" name="{escape(key)}" value="{escape(value)}">'
        for key, value in {**screen.parameters, csrf_field: csrf_token}.items()
    )
    choices = "".join(
        f'<label><input type="radio" name="persona" value="{escape(name)}"'
        f"{' checked' if index == 0 else ''}> {escape(PERSONA_LABELS.get(name, name))}</label>"
        for index, name in enumerate(screen.personas)
    )
    scopes = ", ".join(escape(scope) for scope in screen.scopes) or "none"
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>Sandbox: link {escape(screen.client_name)}</title><style>{_STYLE}</style>"
        "</head><body>"
        f"<h1>{escape(screen.client_name)}</h1>"
        f"<p>ScoreLink asks to read your {escape(screen.kind.value)} account ({scopes}).</p>"
        '<p class="note">This is the ScoreLink sandbox. Pick the test persona whose account '
        "data the provider should share.</p>"
        f'<form method="post" action="{escape(action)}">{hidden}'
        f"<fieldset><legend>Test persona</legend>{choices}</fieldset>"
        '<button type="submit" name="decision" value="approve">Allow</button>'
        '<button type="submit" name="decision" value="deny">Deny</button>'
        "</form></body></html>"
    )
