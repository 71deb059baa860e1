"""The person's app without a browser: what it may send, what it says, how it is served.

The app is a client of the public person API and nothing more: every operation it can send
must validate against the committed `schema.graphql` (the contract any other client sees).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from graphql import (
    FieldNode,
    GraphQLUnionType,
    InlineFragmentNode,
    Node,
    OperationDefinitionNode,
    build_schema,
    get_named_type,
    parse,
    print_ast,
    validate,
)
from graphql.validation import NoDeprecatedCustomRule
from starlette.applications import Starlette

from connectors.provider import SourceKind
from domain.collection_consents import collection_notice
from domain.retention import DEFAULT_RECORD_RETENTION
from server.app import create_app
from server.person_app import APP_DIRECTORY
from server.settings import Settings

REPOSITORY = Path(__file__).resolve().parents[2]
SCRIPTS = sorted((APP_DIRECTORY / "js").glob("*.js"))
LANGUAGES = ("en", "zh-Hans")
# The refusal codes the API can give a person, by enum in schema.graphql, plus the codes of
# errors and HTTP refusals the app meets on the way (DESIGN.md and the README's error model).
REFUSAL_ENUMS = (
    "LoginErrorCode",
    "SessionErrorCode",
    "ConsentErrorCode",
    "LinkErrorCode",
    "DataRightsErrorCode",
    "DisputeErrorCode",
)
OTHER_REFUSALS = ("UNEXPECTED_ERROR", "SERVICE_UNAVAILABLE", "RATE_LIMITED", "MODEL_UNAVAILABLE")


def _operations() -> dict[str, str]:
    """The operations in js/operations.js, with the shared selections they interpolate."""
    source = (APP_DIRECTORY / "js" / "operations.js").read_text(encoding="utf-8")
    flags = re.MULTILINE | re.DOTALL
    selections: dict[str, str] = {}

    def expand(text: str) -> str:
        return re.sub(r"\$\{(\w+)\}", lambda m: selections[m.group(1)], text)

    for name, text in re.findall(r"^const (\w+) = [`'](.*?)[`'];$", source, flags):
        selections[name] = expand(text)
    body = source[source.index("export const OPERATIONS") :]
    return {name: expand(text) for name, text in re.findall(r"^  (\w+): `(.*?)`,$", body, flags)}


def _catalogue(language: str) -> dict[str, str]:
    loaded: dict[str, str] = json.loads(
        (APP_DIRECTORY / "i18n" / f"{language}.json").read_text(encoding="utf-8")
    )
    return loaded


def test_every_operation_the_app_sends_validates_against_the_committed_schema() -> None:
    schema = build_schema((REPOSITORY / "schema.graphql").read_text(encoding="utf-8"))
    operations = _operations()
    assert len(operations) >= 15, operations.keys()
    for name, text in operations.items():
        document = parse(text)
        assert [d.name.value for d in document.definitions] == [name]  # type: ignore[attr-defined]
        assert validate(schema, document) == [], (name, text)
        # A deprecated field is on its way out (LinkedAccount.summary: English only).
        assert validate(schema, document, [NoDeprecatedCustomRule]) == [], name


def test_the_app_calls_no_operation_it_does_not_declare() -> None:
    declared = set(_operations())
    called = {
        name
        for script in SCRIPTS
        for name in re.findall(
            r"\.(?:call|anonymous|send)\('(\w+)'", script.read_text(encoding="utf-8")
        )
    }
    assert called, "no calls found: the pattern no longer matches the code"
    assert called <= declared, called - declared


def test_both_catalogues_hold_the_same_messages_with_the_same_placeholders() -> None:
    english, chinese = (_catalogue(language) for language in LANGUAGES)
    assert english.keys() == chinese.keys()
    for key, text in english.items():
        assert set(re.findall(r"\{\w+\}", text)) == set(re.findall(r"\{\w+\}", chinese[key])), key
        assert text.strip(), key
        assert chinese[key].strip(), key


def test_every_message_the_code_names_is_in_the_catalogue() -> None:
    catalogue = _catalogue("en")
    named = {
        key
        for script in SCRIPTS
        for key in re.findall(r"\b(?:t|count)\('([\w.]+)'", script.read_text(encoding="utf-8"))
    }
    assert len(named) > 50
    assert named <= catalogue.keys(), named - catalogue.keys()


def test_every_state_of_the_live_connection_has_words_in_both_languages() -> None:
    # Activity names its message by the state (`activity.live.<state>`), which the test of
    # literal keys above cannot see.
    source = (APP_DIRECTORY / "js" / "live.js").read_text(encoding="utf-8")
    states = re.findall(r"^export const [A-Z]+ = '(\w+)';$", source, re.MULTILINE)
    assert len(states) == 3, states
    for language in LANGUAGES:
        catalogue = _catalogue(language)
        assert {f"activity.live.{state}" for state in states} <= catalogue.keys(), language


def test_every_refusal_the_api_can_give_has_words_in_both_languages() -> None:
    schema = (REPOSITORY / "schema.graphql").read_text(encoding="utf-8")
    codes = set(OTHER_REFUSALS)
    for enum in REFUSAL_ENUMS:
        block = re.search(rf"enum {enum} {{(.*?)\n}}", schema, re.DOTALL)
        assert block, enum
        codes |= set(re.findall(r"^  ([A-Z_]+)$", block.group(1), re.MULTILINE))
    for language in LANGUAGES:
        catalogue = _catalogue(language)
        missing = {code for code in codes if f"refusal.{code}" not in catalogue}
        assert not missing, (language, missing)


def test_every_value_the_app_shows_has_words_in_both_languages() -> None:
    schema = build_schema((REPOSITORY / "schema.graphql").read_text(encoding="utf-8"))
    for language in LANGUAGES:
        catalogue = _catalogue(language)
        for enum, keys in (
            ("Scope", ("scope.{}.name", "scope.{}.explain")),
            ("Purpose", ("purpose.{}.name", "purpose.{}.explain", "purpose.{}.for")),
            ("PartnerType", ("partnerType.{}",)),
            ("ConsentStatus", ("consentStatus.{}",)),
            ("ConsentRequestStatus", ("requestStatus.{}",)),
            ("LinkStatus", ("linkStatus.{}",)),
            ("Access", ("access.{}",)),
            ("AccessEvent", ("event.{}",)),
            ("Product", ("product.{}",)),
            ("AssessmentStatus", ("assessmentStatus.{}",)),
            ("AccountKind", ("assessmentTask.{}",)),
            ("Outcome", ("outcome.{}",)),
            ("DisputeStatus", ("disputeStatus.{}",)),
            ("DisputeKind", ("disputeKind.{}",)),
        ):
            for value in schema.type_map[enum].values:  # type: ignore[attr-defined]
                for key in keys:
                    assert key.format(value) in catalogue, (language, key.format(value))


def test_the_page_holds_no_words_and_no_inline_script() -> None:
    page = (APP_DIRECTORY / "index.html").read_text(encoding="utf-8")
    body = page[page.index("<body>") : page.index("</body>")]
    assert re.sub(r"<[^>]+>", "", body).strip() == ""
    assert re.findall(r"<script[^>]*>", page) == [
        '<script type="module" src="/app/assets/js/main.js">'
    ]
    assert "style=" not in page


def test_vendored_modules_match_their_recorded_checksums() -> None:
    readme = (APP_DIRECTORY / "vendor" / "README.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| `([^`]+)` \|.*\| `([0-9a-f]{64})` \|$", readme, re.MULTILINE)
    assert {path for path, _ in rows} == {
        "preact/preact.mjs",
        "htm/htm.module.js",
        "axe-core/axe.min.js",
    }
    for path, digest in rows:
        file = APP_DIRECTORY / "vendor" / path
        assert hashlib.sha256(file.read_bytes()).hexdigest() == digest, path
        assert (file.parent / "LICENSE").exists(), path


EXPECTED_CSP = {
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
}


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
@pytest.mark.parametrize("environment", ["sandbox", "production"])
async def test_the_app_is_served_in_both_environments_under_a_strict_policy(
    database_url: str, make_settings: Callable[..., Settings], environment: str
) -> None:
    app: Starlette = create_app(
        make_settings(database_url, SCORELINK_ENV=environment, SCORELINK_SECRET_KEY="p" * 40)
    )
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            bare = await client.get("/app")
            page = await client.get("/app/")
            module = await client.get("/app/assets/js/main.js")
            catalogue = await client.get("/app/assets/i18n/zh-Hans.json")
            outside = await client.get("/app/assets/../../settings.py")
    assert bare.status_code in {307, 308}
    assert bare.headers["location"].endswith("/app/")
    assert page.status_code == 200
    assert "/app/assets/js/main.js" in page.text
    for response in (page, module, catalogue):
        policy = {part.strip() for part in response.headers["content-security-policy"].split(";")}
        assert policy >= EXPECTED_CSP
        assert not any("unsafe" in part for part in policy)
        assert response.headers["x-content-type-options"] == "nosniff"
    assert module.headers["content-type"].startswith("text/javascript")
    assert catalogue.json()["nav.home"] == "首页"
    assert outside.status_code == 404


def test_every_outcome_of_each_mutation_the_app_sends_is_selected() -> None:
    """A payload type the app does not select arrives as a bare __typename: no code to put in
    words. Each union the app's mutations return must be covered member by member."""
    schema = build_schema((REPOSITORY / "schema.graphql").read_text(encoding="utf-8"))
    mutation = schema.mutation_type
    assert mutation is not None
    for name, text in _operations().items():
        [operation] = parse(text).definitions
        if not isinstance(operation, OperationDefinitionNode) or operation.operation.value != (
            "mutation"
        ):
            continue
        [root] = operation.selection_set.selections
        assert isinstance(root, FieldNode)
        payload = get_named_type(mutation.fields[root.name.value].type)
        if not isinstance(payload, GraphQLUnionType):
            continue
        assert root.selection_set is not None
        selected = {
            s.type_condition.name.value
            for s in root.selection_set.selections
            if isinstance(s, InlineFragmentNode) and s.type_condition is not None
        }
        members = {member.name for member in payload.types}
        # Logout's refusal needs no words: the page signs out whatever the answer.
        if name != "Logout":
            assert selected == members, (name, members - selected)


def test_the_consents_screen_lists_consents_to_collect_and_can_withdraw_them() -> None:
    """Consents to collect are asked for by kind (the field's default lists SHARE only), and the
    screen that shows them sends the withdrawal."""
    [query] = parse(_operations()["Consents"]).definitions
    assert isinstance(query, OperationDefinitionNode)
    [*_, me] = query.selection_set.selections
    assert isinstance(me, FieldNode)
    assert me.selection_set is not None
    kinds = {
        print_ast(argument.value)
        for field in me.selection_set.selections
        if isinstance(field, FieldNode) and field.name.value == "consents"
        for argument in field.arguments or ()
        if argument.name.value == "kinds"
    }
    assert kinds == {"[COLLECT]"}
    screen = (APP_DIRECTORY / "js" / "consents.js").read_text(encoding="utf-8")
    assert "call('WithdrawCollectionConsent'" in screen
    assert "outcome(data.withdrawCollectionConsent, 'CollectionConsentWithdrawn')" in screen


def test_the_collection_notice_has_words_in_both_languages_english_being_the_servers() -> None:
    """The notice a person agrees to is shown in their language; the English words are the
    server's own notice of that version, word for word, so no translation drifts from it."""
    for kind in SourceKind:
        notice = collection_notice("provider", "Provider", kind, DEFAULT_RECORD_RETENTION)
        words = f"collectionNotice.{notice.version}"
        english = _catalogue("en")
        assert english[f"{words}.purpose"] == notice.purpose
        assert english[f"{words}.data.{kind.name}"] == english["list.separator"].join(
            notice.data_kinds
        )
        chinese = _catalogue("zh-Hans")
        assert re.search(r"[\u4e00-\u9fff]", chinese[f"{words}.purpose"])
        assert len(chinese[f"{words}.data.{kind.name}"].split(chinese["list.separator"])) == len(
            notice.data_kinds
        )


def test_the_accounts_screen_words_every_figure_of_a_linked_account_itself() -> None:
    """A linked account's figures come as facts the app words in the reader's language: the
    Accounts screen asks for every figure of every kind, and the words for each are in both
    catalogues, each with the figure in it."""
    schema = build_schema((REPOSITORY / "schema.graphql").read_text(encoding="utf-8"))
    union = schema.type_map["LinkedAccountFacts"]
    assert isinstance(union, GraphQLUnionType)
    asked: dict[str, set[str]] = {}

    def collect(node: Node) -> None:
        selections = getattr(node, "selection_set", None)
        for child in selections.selections if selections else ():
            if isinstance(child, InlineFragmentNode) and child.type_condition:
                asked.setdefault(child.type_condition.name.value, set()).update(
                    f.name.value for f in child.selection_set.selections if isinstance(f, FieldNode)
                )
            collect(child)

    for definition in parse(_operations()["Accounts"]).definitions:
        collect(definition)
    for member in union.types:
        assert set(member.fields) - asked.get(member.name, set()) == set(), member.name
    screen = (APP_DIRECTORY / "js" / "accounts.js").read_text(encoding="utf-8")
    worded = set(re.findall(r"\b(?:t|count)\('(accountFacts\.[\w.]+)'", screen))
    assert len(worded) == 7, (
        worded
    )  # opened, followers, posts, verified, orders, spend, instalments
    for language in LANGUAGES:
        catalogue = _catalogue(language)
        for key in worded:
            assert key in catalogue, (language, key)
            if key != "accountFacts.verified":
                assert re.search(r"\{(count|month|amount)\}", catalogue[key]), (language, key)
