"""The person's app in a real browser: Debian's chromium, driven by Playwright, against
`scorelink serve` on loopback with the network cut to everything but the server.

The journey of issue 16 as test persona A, by keyboard only: sign in, link an e-commerce
account at the sandbox provider, see the grade and what would improve it, approve a request
with one scope switched off, see the partner's read (made over HTTP) in Activity, revoke, see
the next read refused. Then every screen in both languages at 360 px and 1280 px: axe-core
finds no serious or critical violation, nothing is wider than the window, and a screenshot
of each is kept under test-artifacts/app/. The faults test covers a refusal between loading
and clicking, a network failure mid-approval, double submission and an ended session.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from graphql import build_schema, parse, validate
from joserfc import jws
from joserfc.jwk import KeySet
from playwright.sync_api import (
    BrowserContext,
    Locator,
    Page,
    Route,
    WebSocketRoute,
    sync_playwright,
)

from live_server import REPOSITORY, LiveServer, run_cli

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = REPOSITORY / "test-artifacts" / "app"
SANDBOX_CODE = "246810"
PERSONA_A, PERSONA_B, PERSONA_C = "13800000001", "13800000002", "13800000003"
# The sandbox persona with a social account and no e-commerce one (README, sandbox personas).
SOCIAL_ONLY = "13800000008"
# A partner with a long name in Chinese, and a long reference, to try the layout at 360 px.
LONG_NAME = (
    "深圳市前海微众银行股份有限公司个人消费信贷与汽车融资租赁业务部" + "\uff08华南区域中心\uff09"
)
LONG_REFERENCE = "申请编号 2026-11-30/SZ-FT/" + "0123456789" * 8
SCREENS = {
    "home": ("Your credit grade", "您的信用等级"),
    "requests": ("Requests", "授权请求"),
    "consents": ("Consents", "我的授权"),
    "activity": ("Activity", "访问记录"),
    "accounts": ("Linked accounts", "关联账户"),
    "assessments": ("Credit assessments", "信用评估"),
    "privacy": ("Privacy and your data", "隐私与数据"),
}
JOURNEY_SCREENS = ("home", "requests", "consents", "activity", "accounts")
WIDTHS = (360, 1280)
# What the app says of each outcome (the partner decides; ScoreLink gives its answer).
OUTCOME_WORDS = {
    "APPROVE": "Within the partner's limits",
    "REFER": "Referred to the partner's staff to judge",
    "DECLINE": "Outside the partner's limits",
}
ASSESS = (
    "mutation ($i: AssessmentInput!) { requestAssessment(input: $i) { __typename "
    "... on AssessmentRequested { assessment { outcome } } "
    "... on AssessmentRefused { code message } } }"
)
READ = "query ($id: ID!) { partner { subject(id: $id) { grade score reasonCodes { code } } } }"


@pytest.fixture
def chromium() -> Path:
    if not CHROMIUM.exists():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("CI requires /usr/bin/chromium: run scripts/ensure-chromium")
        pytest.skip("browser test skipped: /usr/bin/chromium is missing (scripts/ensure-chromium)")
    return CHROMIUM


@dataclass
class Partner:
    base: str
    client_id: str
    secret: str
    name: str

    def token(self) -> str:
        response = httpx.post(
            f"{self.base}/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=(self.client_id, self.secret),
        )
        return str(response.json()["access_token"])

    def graphql(self, query: str, **variables: Any) -> dict[str, Any]:
        response = httpx.post(
            f"{self.base}/graphql",
            json={"query": query, "variables": variables},
            headers={"authorization": f"Bearer {self.token()}"},
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def ask(self, phone: str, scopes: str, purpose: str, reference: str | None = None) -> None:
        body = self.graphql(
            "mutation ($phone: String!, $reference: String) { requestConsent(phone: $phone, "
            f"scopes: [{scopes}], purpose: {purpose}, reference: $reference) {{ __typename }} }}",
            phone=f"+86{phone}",
            reference=reference,
        )
        assert body["data"]["requestConsent"]["__typename"] == "ConsentRequested", body

    def newest_subject(self) -> str:
        body = self.graphql("{ partner { grants(first: 1) { subjectId } } }")
        [grant] = body["data"]["partner"]["grants"]
        return str(grant["subjectId"])

    def read_newest_subject(self) -> dict[str, Any]:
        return self.graphql(READ, id=self.newest_subject())

    def assess(self, value: str, currency: str, product: str, months: int) -> str:
        body = self.graphql(
            ASSESS,
            i={
                "subjectId": self.newest_subject(),
                "amount": {"value": value, "currency": currency},
                "product": product,
                "termMonths": months,
                "reference": f"{value}-{currency}",
            },
        )
        answer = body["data"]["requestAssessment"]
        assert answer["__typename"] == "AssessmentRequested", answer
        return str(answer["assessment"]["outcome"])


@dataclass
class Sandbox:
    base: str
    bank: Partner
    rental: Partner


def _register(base: str, database_url: str, partner_type: str, name: str) -> Partner:
    done = run_cli(database_url, "partners", "create", "--type", partner_type, "--name", name)
    assert done.returncode == 0, done.stderr
    client_id = re.search(r"client id:\s+(\S+)", done.stdout)
    secret = re.search(r"client secret:\s+(\S+)", done.stdout)
    assert client_id, done.stdout
    assert secret, done.stdout
    return Partner(base, client_id.group(1), secret.group(1), name)


@pytest.fixture
def sandbox(
    database_url: str, trained_model_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Sandbox]:
    """A seeded sandbox served on loopback, with two partners that no seeded consent names."""
    monkeypatch.setenv("SCORELINK_MODEL_DIR", str(trained_model_dir))
    seeded = run_cli(database_url, "sandbox", "seed")
    assert seeded.returncode == 0, seeded.stderr
    server = LiveServer(database_url, trained_model_dir, tmp_path / "server.log")
    # The provider's pages and its redirects back are under the issuer's URL: this server's.
    server.environ["SCORELINK_ISSUER"] = server.base_url
    bank = _register(server.base_url, database_url, "BANK", "Journey Bank")
    rental = _register(server.base_url, database_url, "RENTAL", LONG_NAME)
    server.start()
    try:
        yield Sandbox(server.base_url, bank, rental)
    finally:
        server.kill()


@dataclass
class Browser:
    """One page of the app, with the network cut to the server and every operation recorded."""

    base: str
    context: BrowserContext
    page: Page
    shots: Path
    operations: list[dict[str, Any]] = field(default_factory=list)
    outside: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    session: dict[str, str] = field(default_factory=dict, repr=False)
    # The refresh token the app holds now (a refresh rotates it).
    latest_refresh: str = field(default="", repr=False)

    def watch(self) -> None:
        def only_the_server(route: Route) -> None:
            if route.request.url.startswith(self.base + "/"):
                route.continue_()
            else:
                self.outside.append(route.request.url)
                route.abort()

        self.context.route("**/*", only_the_server)
        self.context.on("request", self._record)
        # Routes do not see websockets: their addresses and subscriptions are recorded here.
        self.page.on("websocket", self._record_socket)
        self.page.on("response", self._remember_tokens)
        self.page.on("pageerror", lambda error: self.problems.append(str(error)))
        self.page.on(
            "console",
            lambda message: self.problems.append(message.text) if message.type == "error" else None,
        )

    def _record(self, request: Any) -> None:
        if request.url == f"{self.base}/graphql" and request.method == "POST":
            self.operations.append(orjson.loads(request.post_data))

    def _record_socket(self, socket: Any) -> None:
        if not socket.url.startswith(self.base.replace("http://", "ws://", 1) + "/"):
            self.outside.append(socket.url)

        def sent(payload: str | bytes) -> None:
            message = orjson.loads(payload)
            if message.get("type") == "subscribe":
                self.operations.append(message["payload"])

        socket.on("framesent", sent)

    def _remember_tokens(self, response: Any) -> None:
        # The test plays the person's other devices with the tokens the app was given.
        request = response.request
        if request.url != f"{self.base}/graphql" or request.method != "POST":
            return
        name = orjson.loads(request.post_data).get("operationName")
        if name == "VerifyLoginCode":
            answer = response.json()["data"]["verifyLoginCode"]
            if answer["__typename"] == "SignedIn":
                self.session = {"access": answer["accessToken"], "refresh": answer["refreshToken"]}
                self.latest_refresh = answer["refreshToken"]
        if name == "RefreshSession":
            answer = response.json()["data"]["refreshSession"]
            if answer["__typename"] == "SessionRefreshed":
                self.latest_refresh = answer["refreshToken"]

    def sent(self, operation: str) -> int:
        return sum(1 for o in self.operations if o.get("operationName") == operation)

    def focus_by_tab(self, target: Locator) -> None:
        """Move the keyboard focus to `target` with Tab alone, as a keyboard user would."""
        target.wait_for()
        for _ in range(120):
            if target.evaluate("element => element === document.activeElement"):
                return
            self.page.keyboard.press("Tab")
        pytest.fail(f"Tab never reaches {target}")

    def press(self, target: Locator, key: str = "Enter") -> None:
        self.focus_by_tab(target)
        self.page.keyboard.press(key)

    def wait_until(self, condition: Callable[[], bool], seconds: float = 30) -> None:
        for _ in range(int(seconds * 10)):
            if condition():
                return
            self.page.wait_for_timeout(100)
        pytest.fail("the condition never held")

    def button(self, name: str) -> Locator:
        return self.page.get_by_role("button", name=name, exact=True)

    def go(self, screen: str, language: str = "en") -> None:
        """Open a screen from the menu, by keyboard."""
        titles = SCREENS[screen]
        link = self.page.get_by_role("navigation").get_by_role(
            "link", name=self._nav_name(screen, language), exact=True
        )
        if link.get_attribute("aria-current") == "page":
            self.page.evaluate("() => { window.location.hash = '#/'; }")
        self.press(link)
        self.loaded(titles[0 if language == "en" else 1])

    @staticmethod
    def _nav_name(screen: str, language: str) -> str:
        en = {
            "home": "Home",
            "requests": "Requests",
            "consents": "Consents",
            "activity": "Activity",
            "accounts": "Linked accounts",
            "assessments": "Assessments",
            "privacy": "Privacy",
        }
        zh = {
            "home": "首页",
            "requests": "授权请求",
            "consents": "我的授权",
            "activity": "访问记录",
            "accounts": "关联账户",
            "assessments": "信用评估",
            "privacy": "隐私与数据",
        }
        return (en if language == "en" else zh)[screen]

    def loaded(self, title: str) -> None:
        self.page.locator("h1#screen-title", has_text=title).wait_for()
        self.page.locator("section[aria-busy]").wait_for(state="detached")

    def sign_in(self, phone: str, *, open_app: bool = True) -> None:
        if open_app:
            self.page.goto(f"{self.base}/app/")
        self.loaded("Sign in")
        self.focus_by_tab(self.page.get_by_label("Mobile number"))
        self.page.keyboard.type(phone)
        self.page.keyboard.press("Enter")
        code = self.page.get_by_label(re.compile("Code sent to"))
        code.wait_for()
        assert re.search(r"Send a new code in \d+ s", self.page.inner_text("main"))
        code.focus()
        self.page.keyboard.type(SANDBOX_CODE)
        self.page.keyboard.press("Enter")
        self.page.get_by_role("navigation").wait_for()

    def check(self, name: str) -> None:
        """axe-core on the screen as it is, the layout within the window, and a screenshot."""
        if not self.page.evaluate("() => typeof window.axe !== 'undefined'"):
            self.page.add_script_tag(url=f"{self.base}/app/assets/vendor/axe-core/axe.min.js")
        violations = self.page.evaluate(
            """async () => (await axe.run(document)).violations.map(v => ({
                id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.target.join(' '))}))"""
        )
        serious = [v for v in violations if v["impact"] in {"serious", "critical"}]
        assert serious == [], (name, serious)
        overflow = self.page.evaluate(
            "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{name}: {overflow} px wider than the window"
        self.shots.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(self.shots / f"{name}.png"), full_page=True)

    def alert(self) -> str:
        alert = self.page.get_by_role("alert")
        alert.wait_for()
        return alert.inner_text()

    def status_text(self) -> str:
        notice = self.page.locator(".alert-info")
        notice.wait_for()
        return notice.inner_text()


@pytest.fixture
def browser(chromium: Path, sandbox: Sandbox, backend: str) -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
        try:
            context = launched.new_context(viewport={"width": 360, "height": 760}, locale="en-GB")
            page = context.new_page()
            page.set_default_timeout(30_000)
            session = Browser(sandbox.base, context, page, ARTIFACTS / backend)
            session.watch()
            yield session
        finally:
            launched.close()
    # Whatever the test did, the app sent nothing outside the committed schema, and nothing
    # left the server.
    schema = build_schema((REPOSITORY / "schema.graphql").read_text(encoding="utf-8"))
    assert session.operations
    for operation in session.operations:
        assert validate(schema, parse(operation["query"])) == [], operation
    assert session.outside == [], f"the app tried to leave the server: {session.outside}"


def test_the_journey_of_persona_a_by_keyboard_in_both_languages(
    browser: Browser, sandbox: Sandbox
) -> None:
    page = browser.page
    browser.page.goto(f"{sandbox.base}/app/")
    browser.loaded("Sign in")
    browser.check("signin-360-en")
    browser.sign_in(PERSONA_A)
    browser.loaded("Your credit grade")

    # Link an e-commerce account at the sandbox provider: the seeded one goes first.
    browser.go("accounts")
    shop = page.get_by_role("article").filter(has_text="Sandbox Shop")
    browser.press(shop.get_by_role("button", name="Unlink", exact=True))
    browser.press(shop.get_by_role("button", name="Yes, unlink", exact=True))
    assert "Sandbox Shop is unlinked" in browser.status_text()
    browser.press(shop.get_by_role("button", name="Link", exact=True))
    # Linking is consent to collect: the provider's notice first, as the API states it.
    providers = _person(
        browser,
        "{ linkProviders { displayName collectionNotice { statedPurpose retentionDays } } }",
    )["linkProviders"]
    [notice] = [p["collectionNotice"] for p in providers if p["displayName"] == "Sandbox Shop"]
    notice_text = shop.get_by_role("group").inner_text()
    assert notice["statedPurpose"] in notice_text
    assert f"At most {notice['retentionDays']} days after the last sync" in notice_text
    agree = shop.get_by_role("button", name="Agree and link", exact=True)
    assert agree.evaluate("element => element === document.activeElement")
    page.keyboard.press("Enter")
    continue_link = page.get_by_role("link", name=re.compile("Continue at Sandbox Shop"))
    with page.expect_popup() as opened:
        browser.press(continue_link)
    provider = opened.value
    provider.get_by_label(re.compile("Grade C")).check()
    provider.get_by_role("button", name="Allow").click()
    provider.get_by_role("heading", name="Account linked").wait_for()
    provider.close()
    [started] = [o for o in browser.operations if o.get("operationName") == "StartLink"]
    assert started["variables"]["consentToCollect"] is True
    # The app sees the link complete by itself and shows the new grade.
    page.locator(".alert-info", has_text="Sandbox Shop is linked. Your grade is now").wait_for()
    assert shop.get_by_text("Linked", exact=True).is_visible()
    browser.press(shop.get_by_role("button", name="Sync now", exact=True))
    assert "Sandbox Shop is synced." in browser.status_text()
    # What the account's data says, worded by the app from the API's figures.
    shop_facts = _shop_facts(browser)
    assert _facts_in_english(shop_facts) in shop.inner_text()

    # The grade and what would improve it, as the API reports them.
    browser.go("home")
    report = _person(browser, "{ me { report { grade score improvements { text pointsGain } } } }")
    report = report["me"]["report"]
    assert report["improvements"], "grade C from the sandbox shop leaves room to improve"
    shown = page.locator(".improvements li").all_inner_texts()
    assert shown == [f"+{i['pointsGain']} points {i['text']}" for i in report["improvements"]]
    assert page.locator(".grade [aria-hidden]").inner_text() == report["grade"]
    assert f"{report['score']} (from 300 to 850)" in page.inner_text("main")

    # A request, approved with one scope switched off.
    sandbox.bank.ask(PERSONA_A, "GRADE, SCORE, REASON_CODES", "CREDIT_APPLICATION")
    sandbox.rental.ask(PERSONA_A, "GRADE, IDENTITY", "RENTAL_APPLICATION", LONG_REFERENCE)
    browser.go("requests")
    request = page.get_by_role("article").filter(has_text="Journey Bank")
    toggles = request.get_by_role("checkbox")
    assert toggles.count() == 3  # exactly the scopes asked: a bank asked within its ceiling
    browser.press(request.get_by_role("checkbox", name="Reasons"), "Space")
    browser.press(request.get_by_role("button", name="Approve 2 of 3", exact=True))
    assert "You approved Journey Bank's request." in browser.status_text()

    # Activity follows the person's live events: the partner's read over HTTP appears by
    # itself, with no reload of the page and no press of Refresh.
    browser.go("activity")
    page.get_by_role("status").filter(has_text="Live:").wait_for()
    assert browser.sent("MyEvents") == 1
    page.evaluate("() => { window.sameDocument = true; }")
    loads = browser.sent("Activity")
    read = sandbox.bank.read_newest_subject()
    subject = read["data"]["partner"]["subject"]
    assert subject["grade"] == report["grade"]
    assert subject["score"] == report["score"]
    assert subject["reasonCodes"] is None
    assert [e["extensions"]["code"] for e in read["errors"]] == ["CONSENT_REQUIRED"]
    log = page.locator("ol.log li").first
    log.filter(
        has_text="Journey Bank read your grade and score for a credit application."
    ).wait_for()
    assert page.evaluate("() => window.sameDocument") is True
    assert browser.sent("Activity") > loads  # the thin event made the app read the log again
    # The page may open a websocket to its own origin only.
    _assert_csp_refuses_a_socket_elsewhere(browser)
    browser.focus_by_tab(page.get_by_label("Show"))
    page.get_by_label("Show").select_option(label="Journey Bank")
    assert all("Journey Bank" in line for line in page.locator("ol.log li").all_inner_texts())
    summary = page.get_by_role("row").filter(has_text="Journey Bank").inner_text()
    assert re.match(r"Journey Bank\s+1\s+0\s+", summary), summary

    # Revoke, after confirming; the partner's next read is refused.
    browser.go("consents")
    consent = page.get_by_role("article").filter(has_text="Journey Bank")
    browser.press(consent.get_by_role("button", name="Revoke", exact=True))
    browser.press(consent.get_by_role("button", name="Yes, revoke", exact=True))
    assert "Journey Bank can no longer read your data." in browser.status_text()
    refused = sandbox.bank.read_newest_subject()
    assert refused["data"]["partner"]["subject"]["grade"] is None
    codes = {e["path"][-1]: e["extensions"]["code"] for e in refused["errors"]}
    assert codes == {
        "grade": "CONSENT_REVOKED",
        "score": "CONSENT_REVOKED",
        "reasonCodes": "CONSENT_REQUIRED",  # switched off at approval: never granted
    }
    browser.go("activity")
    browser.press(browser.button("Refresh"))
    page.locator("ol.log li").first.filter(
        has_text="Journey Bank tried to read your grade, score and reasons and was refused."
    ).wait_for()

    # Every screen, both languages, both widths.
    for language in ("en", "zh-Hans"):
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 900})
            for screen in JOURNEY_SCREENS:
                browser.go(screen, language)
                browser.check(f"{screen}-{width}-{language}")
        if language == "en":
            browser.press(browser.button("中文"))
            browser.loaded(SCREENS["accounts"][1])
    browser.go("requests", "zh-Hans")
    assert LONG_NAME in page.inner_text("main")  # checked above at 360 px: within the window
    # The agreed collection notice in the reader's language, not the server's English.
    browser.go("consents", "zh-Hans")
    collected = page.inner_text("main")
    assert "过去 12 个月每月订单数和消费额" in collected
    assert "orders and spend per month" not in collected
    # The linked accounts' figures in the reader's language too: the server's summary line is
    # English only. Persona A's seeded social account: 900 followers, 9 posts a month, verified.
    browser.go("accounts", "zh-Hans")
    accounts = page.inner_text("main")
    assert _facts_in_chinese(shop_facts) in accounts
    assert "900 位粉丝 · 每月 9 条动态 · 已认证" in accounts
    assert not re.search("followers|posts a month|orders a month|spent a month", accounts)
    # The choice of language is remembered; the session (in memory only) is not.
    page.reload()
    browser.loaded("登录")
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        browser.check(f"signin-{width}-zh-Hans")
    assert browser.problems == []


def _assert_csp_refuses_a_socket_elsewhere(browser: Browser) -> None:
    """The same server under another host name is another origin: CSP refuses the socket."""
    elsewhere = browser.base.replace("http://127.0.0.1", "ws://localhost", 1) + "/graphql"
    blocked = browser.page.evaluate(
        """(url) => new Promise((resolve) => {
            document.addEventListener('securitypolicyviolation',
                (e) => resolve(`${e.effectiveDirective} ${e.blockedURI}`), { once: true });
            try { new WebSocket(url, 'graphql-transport-ws'); } catch (e) { resolve(e.name); }
        })""",
        elsewhere,
    )
    assert blocked in {f"connect-src {elsewhere}", "SecurityError"}, blocked
    refused = [p for p in browser.problems if "Content Security Policy" in p]
    assert len(refused) == 1, browser.problems
    assert elsewhere in refused[0], refused
    browser.problems.remove(refused[0])


FACTS = """{ me { linkedAccounts { provider facts { ... on EcommerceAccountFacts {
    openedOn ordersPerMonth spendPerMonth { value currency } instalmentsOnTime instalmentsLate
} } } } }"""


def _shop_facts(browser: Browser) -> dict[str, Any]:
    accounts = _person(browser, FACTS)["me"]["linkedAccounts"]
    [facts] = [a["facts"] for a in accounts if a["provider"] == "sandbox-ecommerce"]
    return facts  # type: ignore[no-any-return]


def _figures(facts: dict[str, Any]) -> tuple[date, str, str, int, int]:
    """The month opened, orders a month (one decimal at most), the amount with its currency and
    the whole part grouped in thousands, instalments on time and in all."""
    orders = f"{facts['ordersPerMonth']:.1f}".removesuffix(".0")
    whole, _, cents = facts["spendPerMonth"]["value"].partition(".")
    amount = f"{facts['spendPerMonth']['currency']} {int(whole):,}.{cents}"
    on_time = facts["instalmentsOnTime"]
    total = on_time + facts["instalmentsLate"]
    return date.fromisoformat(facts["openedOn"]), orders, amount, on_time, total


def _facts_in_english(facts: dict[str, Any]) -> str:
    opened, orders, amount, on_time, total = _figures(facts)
    order_words = "order a month" if orders == "1" else "orders a month"
    instalment_words = "instalment" if total == 1 else "instalments"
    return (
        f"Opened {opened:%B %Y} · {orders} {order_words} · {amount} spent a month"
        f" · {on_time} of {total} {instalment_words} paid on time"
    )


def _facts_in_chinese(facts: dict[str, Any]) -> str:
    opened, orders, amount, on_time, total = _figures(facts)
    return (
        f"{opened.year}年{opened.month}月开通 · 每月 {orders} 笔订单 · 每月消费 {amount}"
        f" · {total} 期分期中 {on_time} 期按时还款"
    )


def _person(browser: Browser, query: str, **variables: Any) -> dict[str, Any]:
    """The API as the person, with the token the app was given (what another client sees)."""
    response = httpx.post(
        f"{browser.base}/graphql",
        json={"query": query, "variables": variables},
        headers={"authorization": f"Bearer {browser.session['access']}"},
    )
    body: dict[str, Any] = response.json()
    assert "errors" not in body, body
    return body["data"]  # type: ignore[no-any-return]


def test_faults_are_told_in_words_and_nothing_is_sent_twice(
    browser: Browser, sandbox: Sandbox
) -> None:
    page = browser.page
    # Live events pass through the test, which can drop them and refuse new sockets.
    sockets: dict[str, Any] = {"cut": False, "open": []}

    def through(socket: WebSocketRoute) -> None:
        if sockets["cut"]:
            socket.close(code=1011)
        else:
            sockets["open"].append((socket, socket.connect_to_server()))

    page.route_web_socket(re.compile(r"/graphql$"), through)
    # A wrong code: the refusal in words, with the tries the API says are left.
    page.goto(f"{sandbox.base}/app/")
    browser.loaded("Sign in")
    # The country picker builds the international number; a bad one is refused in words.
    page.get_by_label("Country or region").select_option(label="Hong Kong (+852)")
    page.get_by_label("Mobile number").fill("123")
    browser.press(browser.button("Text me a code"))
    assert "That is not a valid mobile number." in browser.alert()
    assert browser.operations[-1]["variables"] == {"phone": "+852123"}
    page.get_by_label("Mobile number").fill("9123 4567")
    browser.press(browser.button("Text me a code"))
    page.get_by_label("Code sent to +85291234567").wait_for()
    browser.press(browser.button("Use another number"))
    page.get_by_label("Country or region").select_option(label="Mainland China (+86)")
    page.get_by_label("Mobile number").fill(PERSONA_B)
    browser.press(browser.button("Text me a code"))
    page.get_by_label(re.compile("Code sent to")).fill("000000")
    page.keyboard.press("Enter")
    assert "That code is not right. Tries left for this code: 4." in browser.alert()
    assert "Tries left for this code: 4" in page.inner_text("#signin-tries")
    browser.check("signin-wrong-code-360-en")
    page.get_by_label(re.compile("Code sent to")).fill(SANDBOX_CODE)
    page.keyboard.press("Enter")
    browser.loaded("Your credit grade")

    sandbox.bank.ask(PERSONA_B, "GRADE", "CREDIT_APPLICATION")
    sandbox.bank.ask(PERSONA_B, "GRADE, SCORE", "ACCOUNT_MANAGEMENT")
    browser.go("requests")
    older, newer = (
        page.get_by_role("article").filter(has_text="Journey Bank").filter(has_text=text)
        for text in ("decide on a loan", "manage a credit account")
    )

    # Answered elsewhere between loading and clicking: the API's refusal, in words.
    requests = _person(browser, "{ me { consentRequests { id purpose } } }")
    [first] = [r for r in requests["me"]["consentRequests"] if r["purpose"] == "CREDIT_APPLICATION"]
    denied = _person(
        browser,
        "mutation ($id: ID!) { denyConsentRequest(id: $id) { __typename } }",
        id=first["id"],
    )
    assert denied["denyConsentRequest"]["__typename"] == "ConsentRequestDenied"
    browser.press(older.get_by_role("button", name="Approve all", exact=True))
    assert "This request has already been answered." in browser.alert()
    older.wait_for(state="detached")  # the list was loaded again: it is no longer pending

    # The network fails mid-approval: a clear message and a retry; a double click sends once.
    cut = {"done": False}

    def fail_once(route: Route) -> None:
        body = orjson.loads(route.request.post_data or b"{}")
        if body.get("operationName") == "ApproveRequest" and not cut["done"]:
            cut["done"] = True
            route.abort("internetdisconnected")
        else:
            route.continue_()

    page.route(f"{sandbox.base}/graphql", fail_once)
    newer.get_by_role("button", name="Approve all", exact=True).dblclick()
    assert "could not be reached" in browser.alert()
    assert browser.sent("ApproveRequest") == 2  # the denied one above, and this one once
    browser.check("requests-network-failure-360-en")
    browser.press(browser.button("Try again"))
    assert "You approved Journey Bank's request." in browser.status_text()
    assert browser.sent("ApproveRequest") == 3
    consents = _person(browser, "{ me { consents { status partner { name } } } }")
    active = [
        c
        for c in consents["me"]["consents"]
        if c["partner"]["name"] == "Journey Bank" and c["status"] == "ACTIVE"
    ]
    assert len(active) == 1

    # The live socket drops: Activity says so and loads the log itself; Refresh still works
    # while the socket is down, and Activity comes back live by itself.
    browser.go("activity")
    page.get_by_role("status").filter(has_text="Live:").wait_for()
    sockets["cut"] = True
    loads = browser.sent("Activity")
    for app_side, server_side in sockets["open"]:
        server_side.close()
        app_side.close(code=1001)
    page.get_by_role("status").filter(has_text="Live updates are paused").wait_for()
    browser.wait_until(lambda: browser.sent("Activity") > loads)  # the fallback's own load
    page.locator("section[aria-busy]").wait_for(state="detached")
    sandbox.bank.read_newest_subject()
    reads = page.locator("ol.log li").filter(
        has_text="Journey Bank read your grade and score to manage your account."
    )
    page.wait_for_timeout(1500)
    assert reads.count() == 0  # nothing live while the socket is down
    browser.press(browser.button("Refresh"))
    reads.first.wait_for()
    sockets["cut"] = False
    page.get_by_role("status").filter(has_text="Live:").wait_for()
    sandbox.bank.read_newest_subject()
    browser.wait_until(lambda: reads.count() == 2)
    browser.check("activity-live-360-en")
    # The server ends a subscription whose token it no longer honours: the app refreshes the
    # session and subscribes again with the new token.
    refreshes, subscriptions = browser.sent("RefreshSession"), len(sockets["open"])
    sockets["open"][-1][0].send('{"id": "1", "type": "complete"}')
    browser.wait_until(lambda: len(sockets["open"]) == subscriptions + 1)
    page.get_by_role("status").filter(has_text="Live:").wait_for()
    assert browser.sent("RefreshSession") == refreshes + 1

    # Renewing the consent just given.
    browser.go("consents")
    consent = page.get_by_role("article").filter(has_text="Journey Bank")
    browser.press(consent.get_by_role("button", name="Renew", exact=True))
    assert "Journey Bank's access now ends on" in browser.status_text()

    # The session ends elsewhere: back to sign-in, and back to the same screen after it.
    ended = httpx.post(
        f"{sandbox.base}/graphql",
        json={
            "query": "mutation ($t: String!) { logout(refreshToken: $t) { __typename } }",
            "variables": {"t": browser.latest_refresh},
        },
    )
    assert ended.json()["data"]["logout"]["__typename"] == "LoggedOut"
    browser.go("activity")
    browser.loaded("Sign in")
    assert "Your session has ended." in page.inner_text("main")
    assert page.url.endswith("#/activity")
    browser.check("signin-session-ended-360-en")
    browser.sign_in(PERSONA_C, open_app=False)
    browser.loaded("Activity")
    assert page.url.endswith("#/activity")
    # The browser's own notes of the cut request and of the refused token, nothing else.
    assert set(browser.problems) == {
        "Failed to load resource: net::ERR_INTERNET_DISCONNECTED",
        "Failed to load resource: the server responded with a status of 401 (Unauthorized)",
    }


def test_the_app_refreshes_its_session_before_the_access_token_ends(
    browser: Browser, sandbox: Sandbox
) -> None:
    page = browser.page
    page.clock.install()  # the page's clock, moved on below; the server's runs as ever
    browser.sign_in("13800000004")
    browser.loaded("Your credit grade")
    assert browser.sent("RefreshSession") == 0
    page.clock.fast_forward("16:00")  # past the person's 15-minute access token
    browser.go("consents")
    browser.go("activity")
    assert browser.sent("RefreshSession") == 1  # once, then the new token serves both screens
    [refreshed] = [o for o in browser.operations if o["operationName"] == "RefreshSession"]
    assert refreshed["variables"] == {"refreshToken": browser.session["refresh"]}
    browser.press(browser.button("Sign out"))
    browser.loaded("Sign in")
    assert "You have signed out." in page.inner_text("main")
    logged_out = [o for o in browser.operations if o["operationName"] == "Logout"]
    assert len(logged_out) == 1
    rotated = logged_out[0]["variables"]["refreshToken"]
    assert rotated != browser.session["refresh"]
    # Signing out ended the session on the server, not only on this page.
    again = httpx.post(
        f"{sandbox.base}/graphql",
        json={
            "query": "mutation ($t: String!) { refreshSession(refreshToken: $t) { __typename } }",
            "variables": {"t": rotated},
        },
    )
    assert again.json()["data"]["refreshSession"]["__typename"] == "InvalidRefreshToken"
    assert browser.problems == []


def test_a_waiting_assessment_shows_its_task_and_leads_to_linked_accounts(
    browser: Browser, sandbox: Sandbox
) -> None:
    page = browser.page
    browser.sign_in(SOCIAL_ONLY)
    browser.loaded("Your credit grade")
    sandbox.bank.ask(SOCIAL_ONLY, "CREDIT_ASSESSMENT", "CREDIT_APPLICATION")
    [asked] = _person(browser, "{ me { consentRequests { id } } }")["me"]["consentRequests"]
    approved = _person(
        browser,
        "mutation ($id: ID!) { approveConsentRequest(id: $id) { __typename } }",
        id=asked["id"],
    )
    assert approved["approveConsentRequest"]["__typename"] == "ConsentGranted"
    # CNY 6,000 is EXTENDED (README: from CNY 5,000), which needs an e-commerce account too:
    # no outcome yet, the assessment waits for the person.
    assert sandbox.bank.assess("6000.00", "CNY", "LOAN", 12) == "None"

    browser.go("assessments")
    for language, task, go, switch, title in (
        ("en", "Link an online shopping account", "Go to Linked accounts", "中文", "信用评估"),
        ("zh-Hans", "关联一个网购账户", "前往关联账户", "English", "Credit assessments"),
    ):
        [card] = page.get_by_role("article").all()
        assert task in card.inner_text()
        assert browser.button(go).is_visible()
        browser.check(f"assessments-waiting-360-{language}")
        browser.press(browser.button(switch))
        browser.loaded(title)
    assert "Waiting for you to link an account" in page.get_by_role("article").inner_text()

    # The button, by keyboard, takes the person to the screen where they link it.
    link_it = browser.button("Go to Linked accounts")
    browser.focus_by_tab(link_it)
    page.keyboard.press("Enter")
    browser.loaded("Linked accounts")
    assert page.url.endswith("#/accounts")
    assert browser.problems == []


def test_assessments_and_privacy_by_keyboard_in_both_languages(
    browser: Browser, sandbox: Sandbox, tmp_path: Path
) -> None:
    page = browser.page
    browser.sign_in(PERSONA_A)
    browser.loaded("Your credit grade")
    # The bank is given a consent covering assessments, then asks about two amounts.
    sandbox.bank.ask(PERSONA_A, "GRADE, SCORE, CREDIT_ASSESSMENT", "CREDIT_APPLICATION")
    [asked] = _person(browser, "{ me { consentRequests { id } } }")["me"]["consentRequests"]
    approved = _person(
        browser,
        "mutation ($id: ID!) { approveConsentRequest(id: $id) { __typename } }",
        id=asked["id"],
    )
    assert approved["approveConsentRequest"]["__typename"] == "ConsentGranted"
    outcomes = {
        "CNY 2,500.00": sandbox.bank.assess("2500.00", "CNY", "LOAN", 12),
        "HKD 1,999.50": sandbox.bank.assess("1999.50", "HKD", "INSTALMENT_PURCHASE", 6),
    }

    # Who asked, which amount (the exact decimal, with its currency), product, term, status
    # and what ScoreLink told the partner.
    browser.go("assessments")
    cards = page.get_by_role("article")
    assert cards.count() == 2
    loan, purchase = (cards.filter(has_text=amount) for amount in outcomes)
    assert "Asked about CNY 2,500.00 for a loan over 12 months." in loan.inner_text()
    assert (
        "Asked about HKD 1,999.50 for a purchase paid in instalments over 6 months."
        in purchase.inner_text()
    )
    for card, outcome in zip((loan, purchase), outcomes.values(), strict=True):
        text = card.inner_text()
        assert "Journey Bank" in text
        assert "Answered" in text
        assert OUTCOME_WORDS[outcome] in text

    # A copy of the data: a one-time link, downloaded by keyboard.
    browser.go("privacy")
    browser.press(browser.button("Prepare my data"))
    link = page.get_by_role("link", name="Download my data (JSON)")
    link.wait_for()
    assert link.evaluate("element => element === document.activeElement")
    with page.expect_download() as exported:
        page.keyboard.press("Enter")
    document = orjson.loads(Path(exported.value.path()).read_bytes())
    assert document["profile"]["phone"] == f"+86{PERSONA_A}"
    assert [c["status"] for c in document["consentsToShare"] if c["status"] == "ACTIVE"]

    # The consent receipt, verified with the published keys: the claims the API gives (each
    # receipt is signed afresh, so the signatures differ).
    receipt_button = browser.button("Download the receipt for Journey Bank")
    browser.focus_by_tab(receipt_button)
    with page.expect_download() as saved:
        page.keyboard.press("Enter")
    assert saved.value.suggested_filename.endswith(".jws")
    receipt = Path(saved.value.path()).read_text(encoding="utf-8")
    [consent] = [
        c
        for c in _person(browser, "{ me { consents { receipt partner { name } } } }")["me"][
            "consents"
        ]
        if c["partner"]["name"] == "Journey Bank"
    ]
    keys = KeySet.import_key_set(httpx.get(f"{sandbox.base}/.well-known/jwks.json").json())
    claims, expected = (
        orjson.loads(jws.deserialize_compact(text, keys, algorithms=["ES256"]).payload)
        for text in (receipt, consent["receipt"])
    )
    assert claims == expected
    assert claims["sub"] == sandbox.bank.newest_subject()  # the partner's id, not the number
    assert PERSONA_A not in orjson.dumps(claims).decode()

    # Disputing a data point behind the report: the first reason code, by keyboard.
    report = _person(browser, "{ me { report { reasonCodes { code } } } }")["me"]["report"]
    first_code = report["reasonCodes"][0]["code"]
    point = page.get_by_label("What is wrong", exact=True)
    assert point.input_value() == "0"
    assert point.locator("option").first.inner_text().startswith(first_code)
    browser.focus_by_tab(page.get_by_label(re.compile("What is wrong with it")))
    page.keyboard.type("I have never returned an order.")
    browser.press(browser.button("Send the dispute"))
    assert "Your dispute is recorded. ScoreLink will resolve it by" in browser.status_text()
    disputed = page.locator("li.dispute").filter(has_text="I have never returned an order.")
    assert f"{first_code} · Open" in disputed.inner_text()
    disputes = _person(browser, "{ me { disputes { kind reference status } } }")["me"]["disputes"]
    assert disputes == [{"kind": "REASON_CODE", "reference": first_code, "status": "OPEN"}]
    # The same point again while it is open: the API's refusal, in words.
    page.get_by_label(re.compile("What is wrong with it")).fill("Still wrong.")
    browser.press(browser.button("Send the dispute"))
    assert "You already have an open dispute of this data point." in browser.alert()

    # Both screens in both languages at both widths.
    for language in ("en", "zh-Hans"):
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 900})
            for screen in ("assessments", "privacy"):
                browser.go(screen, language)
                browser.check(f"{screen}-{width}-{language}")
        browser.press(browser.button("中文" if language == "en" else "English"))
        browser.loaded(SCREENS["privacy"][0 if language == "zh-Hans" else 1])
    page.set_viewport_size({"width": 360, "height": 900})
    browser.go("activity")
    log = page.locator("ol.log").inner_text()
    assert "You asked for a copy of your data." in log
    assert "You downloaded a copy of your data." in log
    assert "Journey Bank asked for a credit assessment of you for a credit application." in log

    # A wrong deletion code with no code pending has no tries to count: words without them.
    words = page.evaluate(
        """async () => {
            const { loadCatalogue } = await import('/app/assets/js/i18n.js');
            const tr = await loadCatalogue('en');
            return [null, 2].map(
                (n) => tr.refusal({ code: 'INVALID_CODE', details: { attemptsLeft: n } }));
        }"""
    )
    assert words == [
        "That code is not right, or it was already used. Ask for a new one.",
        "That code is not right. Tries left for this code: 2.",
    ]

    # Deleting the account: a clear warning, then a fresh code (a number gets one a minute,
    # so the button may count down first), a wrong code refused in words, then the right one.
    consents = _person(browser, "{ me { consents { status } } }")["me"]["consents"]
    active = sum(1 for c in consents if c["status"] == "ACTIVE")
    browser.go("privacy")
    main = page.locator("main")
    assert "Deleting your account cannot be undone." in main.inner_text()
    start = page.locator("#delete-start")
    browser.press(start)
    code = page.get_by_label(f"Code sent to +86{PERSONA_A}")
    code.or_(page.get_by_role("alert")).wait_for()
    if not code.is_visible():
        alert = browser.alert()
        assert re.search(r"You can ask for another in \d+ s", alert), alert
        assert re.match(r"Send a new code in \d+ s", start.inner_text())
        page.wait_for_function(
            "() => !document.getElementById('delete-start').disabled", timeout=75_000
        )
        browser.press(start)
    code.wait_for()
    assert code.evaluate("element => element === document.activeElement")
    browser.check("privacy-delete-code-360-en")
    page.keyboard.type("000000")
    page.keyboard.press("Enter")
    assert "That code is not right. Tries left for this code: 4." in browser.alert()
    code.fill(SANDBOX_CODE)
    browser.press(browser.button("Delete my account for good"))
    browser.loaded("Sign in")
    notice = page.inner_text("main")
    assert "Your account has been deleted and you have been signed out." in notice
    assert f"Consents revoked: {active}." in notice
    assert page.url.endswith("#/home")
    assert browser.sent("Logout") == 0  # the server ended every session itself
    # The server agrees: the session's token is refused and the partner's subject is gone.
    gone = httpx.post(
        f"{sandbox.base}/graphql",
        json={"query": "{ me { phone } }"},
        headers={"authorization": f"Bearer {browser.session['access']}"},
    )
    assert gone.status_code == 401 or gone.json()["errors"], gone.text
    assert browser.problems == []


COLLECTED = """{ me {
    linkedAccounts { id provider status }
    collecting: consents(kinds: [COLLECT]) { id status collection { provider } }
    report { dataSources }
} }"""


def test_withdrawing_a_consent_to_collect_deletes_the_account_and_its_data_by_keyboard(
    browser: Browser, sandbox: Sandbox
) -> None:
    page = browser.page
    browser.sign_in(PERSONA_B)
    browser.loaded("Your credit grade")
    # The seeded persona B: both sandbox accounts linked, with a consent to collect for each.
    before = _person(browser, COLLECTED)["me"]
    [shop_account] = [a for a in before["linkedAccounts"] if a["provider"] == "sandbox-ecommerce"]
    assert shop_account["status"] == "LINKED"
    [shop_consent] = [
        c for c in before["collecting"] if c["collection"]["provider"] == "sandbox-ecommerce"
    ]
    assert shop_consent["status"] == "ACTIVE"
    assert sorted(before["report"]["dataSources"]) == ["ECOMMERCE", "SOCIAL"]

    # Withdraw, then confirm, by keyboard.
    browser.go("consents")
    shop = page.get_by_role("article").filter(
        has=page.get_by_role("heading", name="Sandbox Shop", exact=True)
    )
    browser.press(shop.get_by_role("button", name="Withdraw", exact=True))
    confirm = shop.get_by_role("group").inner_text()
    assert (
        "Stop ScoreLink collecting from Sandbox Shop? The linked account and the data collected "
        "from it are deleted, and your grade is worked out again." in confirm
    )
    yes = shop.get_by_role("button", name="Yes, withdraw and delete the data", exact=True)
    assert yes.evaluate("element => element === document.activeElement")
    assert browser.sent("WithdrawCollectionConsent") == 0  # nothing happens before confirming
    browser.check("consents-withdraw-confirm-360-en")
    page.keyboard.press("Enter")
    assert "ScoreLink no longer collects from Sandbox Shop; its data is deleted." in (
        browser.status_text()
    )
    assert browser.sent("WithdrawCollectionConsent") == 1
    assert shop.count() == 0  # no longer listed as collecting
    assert page.get_by_role("heading", name="Sandbox Social", exact=True).is_visible()
    browser.check("consents-withdrawn-360-en")

    # The account is gone from Linked accounts; the social one stays.
    browser.go("accounts")
    shop_card = page.get_by_role("article").filter(has_text="Sandbox Shop")
    assert "Not linked yet" in shop_card.inner_text()
    assert not re.search("orders a month|spent a month", shop_card.inner_text())
    assert shop_card.get_by_role("button", name="Sync now", exact=True).count() == 0
    social_card = page.get_by_role("article").filter(has_text="Sandbox Social")
    assert "Linked" in social_card.inner_text()
    browser.check("accounts-withdrawn-360-en")

    # The API agrees: the consent is withdrawn, the account and its data are deleted, and the
    # grade is worked out from what is left.
    after = _person(browser, COLLECTED)["me"]
    assert [a["provider"] for a in after["linkedAccounts"]] == ["sandbox-social"]
    assert {c["id"]: c["status"] for c in after["collecting"]}[shop_consent["id"]] == "REVOKED"
    assert after["report"]["dataSources"] == ["SOCIAL"]
    # The person's copy of everything held about them has no trace of the account's data.
    ready = _person(
        browser,
        "mutation { requestDataExport { ... on DataExportReady { downloadUrl } } }",
    )["requestDataExport"]
    document = httpx.get(ready["downloadUrl"]).json()
    assert [a["provider"] for a in document["linkedAccounts"]] == ["sandbox-social"]
    assert shop_account["id"] not in {a["id"] for a in document["linkedAccounts"]}
    assert [r["dataSources"] for r in document["reports"] if r["current"]] == [["social"]]
    assert browser.problems == []
