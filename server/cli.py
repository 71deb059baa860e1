"""The `scorelink` command line: the operator's tool for the service and its data."""

from __future__ import annotations

import argparse
import asyncio
import errno
import os
import signal
import socket
import sys
from collections.abc import Callable, Sequence
from datetime import timedelta
from importlib.metadata import version
from pathlib import Path
from types import FrameType
from typing import Any

import orjson

from consent import access_log
from consent.access_log import TreeHead
from consent.catalog import PartnerType
from domain import transparency_log
from domain.assessment_deadlines import sla_report
from domain.clock import utc_now
from domain.erasure import erase_person_by_phone
from domain.errors import DomainError
from domain.login import SANDBOX_PERSONA_CODE, unlock_phone
from domain.monitoring_feed import recent_population
from domain.partner_origins import allow_origin_for, partner_origins
from domain.partners import (
    list_partners,
    parse_partner_type,
    register_partner,
    set_partner_rate_limit,
    suspend_partner,
)
from domain.receipts import InvalidReceipt, verify_receipt
from domain.retention import sweep
from domain.sandbox import (
    DemoPartner,
    SandboxSeed,
    demo_credentials,
    reset_sandbox,
    sandbox_data_present,
    seed_sandbox,
)
from domain.secret_rotation import reencrypt_all
from domain.signing_keys import Keyring
from domain.staff import create_staff, disable_staff
from domain.staff_models import StaffRole
from domain.tokens import ROTATED_KEY_GRACE
from scoring_engine.model import LoadedModel
from scoring_engine.tabular import RecentScores
from server import model_commands, rescore_command
from server.database import apply_migrations
from server.database import in_database as _in_database
from server.settings import ConfigError, Settings, load_settings
from server.webhook_receiver import add_webhook_receiver_command, receiver_hint
from server.worker import add_worker_command

Handler = Callable[[argparse.Namespace, Settings], int]


# How long an idle keep-alive connection stays open. Longer than clients keep theirs (httpx and
# uvicorn both default to 5 s, load balancers up to 60 s), nginx's 75 s: a server that closes an
# idle connection as a client reuses it makes that client's request fail with "server
# disconnected" (a POST it cannot safely retry).
KEEP_ALIVE_SECONDS = 75


def _fail(message: str) -> int:
    print(f"scorelink: {message}", file=sys.stderr)
    return 2


def _exit_after_graceful_shutdown(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(0)


def _migrate(args: argparse.Namespace, settings: Settings) -> int:
    asyncio.run(apply_migrations(settings.database_url))
    print("migrations applied")
    return 0


# How long a worker process may take to answer uvicorn's health ping, starting up included.
WORKER_HEALTHCHECK_SECONDS = 60


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    from server.logs import configure_logging
    from server.tcp_protocol import NoDelayH11Protocol
    from server.worker_processes import serve_in_workers

    chosen = {
        "SCORELINK_HOST": args.host,
        "SCORELINK_PORT": args.port,
        "SCORELINK_WORKERS": args.workers,
    }
    overrides = {name: str(value) for name, value in chosen.items() if value is not None}
    if overrides:
        # Each worker reads its settings from the environment: give it the same choices, and
        # validate them here (bind address rules, the issuer's port) before anything starts.
        os.environ.update(overrides)
        settings = load_settings()
    if not _port_is_free(settings.host, settings.port):
        return _fail(
            f"port {settings.port} on {settings.host} is already in use "
            "(stop the other server, or choose another port: --port N, make run PORT=N)"
        )
    asyncio.run(apply_migrations(settings.database_url))
    if not settings.is_sandbox and asyncio.run(_in_database(settings, sandbox_data_present)):
        return _fail("production refuses to start: the database holds sandbox partners or personas")
    configure_logging(settings.log_level, settings.log_format)
    # uvicorn drains in-flight requests on SIGTERM, then restores this handler and re-raises the
    # signal; a completed graceful shutdown is a success, so the process exits 0.
    signal.signal(signal.SIGTERM, _exit_after_graceful_shutdown)
    options: dict[str, Any] = {
        "factory": True,
        "host": settings.host,
        "port": settings.port,
        "workers": settings.workers,
        "log_config": None,
        "access_log": False,
        "timeout_graceful_shutdown": 30,
        "timeout_keep_alive": KEEP_ALIVE_SECONDS,
        # With several workers uvicorn kills a worker that does not answer its health ping
        # within this many seconds (5 by default), and a spawned worker answers only after
        # importing this module, which took about 6 s on a busy 2-core machine: the default
        # killed every new worker before it answered, forever (the server never became ready).
        "timeout_worker_healthcheck": WORKER_HEALTHCHECK_SECONDS,
        # Several workers would otherwise leave Nagle's algorithm on (server/tcp_protocol.py).
        "http": NoDelayH11Protocol,
    }
    if settings.workers > 1:
        # Each worker on its own socket, so connections spread over them
        # (server/worker_processes.py).
        serve_in_workers(uvicorn.Config("server.main:app_from_environment", **options))
    else:
        uvicorn.run("server.main:app_from_environment", **options)
    return 0


def _port_is_free(host: str, port: int) -> bool:
    """Bind as uvicorn will, so a busy port is one plain line instead of a traceback."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                return False
            raise
    return True


def _partners_create(args: argparse.Namespace, settings: Settings) -> int:
    partner_type = parse_partner_type(args.type)

    async def work() -> int:
        registered = await register_partner(args.name, partner_type)
        partner = registered.partner
        print(f"partner id:    {partner.id}")
        print(f"type:          {partner.type.value}")
        print(f"client id:     {partner.client_id}")
        print(f"client secret: {registered.client_secret}")
        print("The client secret is shown once; store it now.")
        return 0

    return asyncio.run(_in_database(settings, work))


def _partners_list(args: argparse.Namespace, settings: Settings) -> int:
    async def work() -> int:
        partners = await list_partners()
        print(f"{'ID':36}  {'TYPE':10}  {'STATUS':9}  {'CLIENT ID':28}  NAME")
        for p in partners:
            print(f"{p.id!s:36}  {p.type.value:10}  {p.status.value:9}  {p.client_id:28}  {p.name}")
        return 0

    return asyncio.run(_in_database(settings, work))


def _partners_suspend(args: argparse.Namespace, settings: Settings) -> int:
    async def work() -> int:
        partner = await suspend_partner(args.partner)
        print(f"partner {partner.id} ({partner.name}) is {partner.status.value}")
        return 0

    return asyncio.run(_in_database(settings, work))


def _partners_allow_origin(args: argparse.Namespace, settings: Settings) -> int:
    async def work() -> int:
        partner = await allow_origin_for(args.partner, args.origin, remove=args.remove)
        origins = await partner_origins(partner.id)
        print(
            f"partner {partner.id} ({partner.name}) browser origins: {', '.join(origins) or 'none'}"
        )
        return 0

    return asyncio.run(_in_database(settings, work))


def _partners_limit(args: argparse.Namespace, settings: Settings) -> int:
    async def work() -> int:
        per_minute = None if args.default else args.per_minute
        partner = await set_partner_rate_limit(args.partner, per_minute)
        shown = f"{per_minute} requests per minute" if per_minute else "the default limit"
        print(f"partner {partner.id} ({partner.name}) now has {shown}")
        return 0

    if args.per_minute is None and not args.default:
        return _fail("give --per-minute N or --default")
    return asyncio.run(_in_database(settings, work))


def _print_partners(partners: Sequence[DemoPartner]) -> None:
    print("Demo partners (OAuth2 client credentials):")
    for p in partners:
        print(f"  {p.partner_type.value:10}  {p.client_id:18}  {p.client_secret}  {p.name}")


def _print_seed(seed: SandboxSeed) -> None:
    _print_partners(seed.partners)
    print(f"Test personas (phone numbers; each signs in with the code {SANDBOX_PERSONA_CODE}):")
    for persona in seed.personas:
        print(f"  {persona.phone}  {persona.key:10}  {persona.display_name}")
    print(receiver_hint(_program()))


def _program() -> str:
    """How this command was started, when that is a `scorelink` a newcomer can paste."""
    return sys.argv[0] if Path(sys.argv[0]).name == "scorelink" else "scorelink"


def _sandbox_only(command: str, settings: Settings) -> int | None:
    if settings.is_sandbox:
        return None
    return _fail(f"sandbox {command} runs only with SCORELINK_ENV=sandbox")


def _sandbox_seed(args: argparse.Namespace, settings: Settings) -> int:
    if (refused := _sandbox_only("seed", settings)) is not None:
        return refused

    async def work() -> int:
        _print_seed(await seed_sandbox(settings.secret_keys, settings.model_dir))
        return 0

    return asyncio.run(_in_database(settings, work))


def _sandbox_reset(args: argparse.Namespace, settings: Settings) -> int:
    if (refused := _sandbox_only("reset", settings)) is not None:
        return refused
    if not args.yes:
        return _fail(
            "sandbox reset deletes every person, partner, consent and log entry: add --yes"
        )

    async def work() -> int:
        seed = await reset_sandbox(settings.secret_keys, settings.model_dir)
        print("Sandbox reset: every person, partner, consent and log entry deleted, then seeded.")
        _print_seed(seed)
        return 0

    return asyncio.run(_in_database(settings, work))


def _sandbox_credentials(args: argparse.Namespace, settings: Settings) -> int:
    if (refused := _sandbox_only("credentials", settings)) is not None:
        return refused

    async def work() -> int:
        partners = await demo_credentials(settings.secret_keys)
        if not partners:
            return _fail("no demo partners yet: run `scorelink sandbox seed` first")
        if args.client_id is None:
            _print_partners(partners)
            return 0
        chosen = [p for p in partners if p.client_id == args.client_id]
        if not chosen:
            known = ", ".join(p.client_id for p in partners)
            return _fail(f"no demo partner {args.client_id!r} (demo partners: {known})")
        # The bare secret, for scripts: SECRET=$(scorelink sandbox credentials demo-bank)
        print(chosen[0].client_secret)
        return 0

    return asyncio.run(_in_database(settings, work))


def _keys_rotate(args: argparse.Namespace, settings: Settings) -> int:
    async def work() -> int:
        keyring = Keyring(settings.secret_keys)
        await keyring.ensure_signing_key()
        kid = await keyring.rotate(ROTATED_KEY_GRACE)
        print(f"new signing key: {kid}")
        print(f"older keys verify for {ROTATED_KEY_GRACE} more, then retire")
        return 0

    return asyncio.run(_in_database(settings, work))


def _keys_reencrypt(args: argparse.Namespace, settings: Settings) -> int:
    async def work() -> int:
        done = await reencrypt_all(settings.secret_keys)
        print(
            f"re-encrypted under the current secret key: {done.signing_keys} signing keys, "
            f"{done.provider_tokens} linked-account token sets, {done.link_verifiers} link "
            f"verifiers, {done.webhook_secrets} webhook signing secrets; "
            "SCORELINK_PREVIOUS_SECRET_KEYS can now be removed"
        )
        return 0

    return asyncio.run(_in_database(settings, work))


def _audit_verify(args: argparse.Namespace, settings: Settings) -> int:
    outside: TreeHead | None = None
    if args.checkpoint is not None:
        try:
            saved = transparency_log.read_saved_checkpoint(Path(args.checkpoint).read_text())
        except (OSError, ValueError) as exc:
            return _fail(f"--checkpoint {args.checkpoint}: {exc}")

    async def work() -> int:
        nonlocal outside
        keyring = Keyring(settings.secret_keys)
        await keyring.load()
        if args.checkpoint is not None:
            kid, head, signed = saved
            problem = transparency_log.signature_problem(keyring, kid, signed, head)
            if problem is not None:
                print(f"the saved checkpoint is not valid: {problem}", file=sys.stderr)
                return 1
            outside = head
        result = await access_log.verify(transparency_log.signature_checker(keyring), outside)
        if not result.findings:
            against = (
                f"; agrees with the saved checkpoint of size {outside.tree_size}" if outside else ""
            )
            print(
                f"access log verified: {result.entries} entries, {result.checkpoints} signed "
                f"checkpoints, every leaf and root recomputed{against}"
            )
            return 0
        for finding in result.findings:
            where = (
                f"entry {finding.entry_id} (position {finding.position}): "
                if finding.entry_id is not None
                else ""
            )
            print(f"access log BROKEN: {where}{finding.problem}", file=sys.stderr)
        return 1

    return asyncio.run(_in_database(settings, work))


def _people_unlock(args: argparse.Namespace, settings: Settings) -> int:
    async def work() -> int:
        unlocked = await unlock_phone(args.phone)
        print("unlocked" if unlocked else "that number was not locked")
        return 0

    return asyncio.run(_in_database(settings, work))


def _people_delete(args: argparse.Namespace, settings: Settings) -> int:
    if not args.yes:
        return _fail("deleting a person cannot be undone; repeat with --yes")

    async def work() -> int:
        erased = await erase_person_by_phone(args.phone)
        print(
            f"deleted: {len(erased.revoked_grants)} consents revoked, "
            f"{erased.linked_accounts} linked accounts and {erased.reports} reports erased; "
            "the access log keeps its entries"
        )
        return 0

    return asyncio.run(_in_database(settings, work))


def _staff_create(args: argparse.Namespace, settings: Settings) -> int:
    async def work() -> int:
        member = await create_staff(
            args.phone, args.name, StaffRole(args.role), settings.allowed_countries
        )
        print(
            f"staff account created: {member.name} ({member.role.value}), {member.phone}; "
            "they sign in with requestLoginCode and verifyStaffLoginCode"
        )
        return 0

    return asyncio.run(_in_database(settings, work))


def _staff_disable(args: argparse.Namespace, settings: Settings) -> int:
    async def work() -> int:
        disabled = await disable_staff(args.phone)
        print("disabled; its sessions end now" if disabled else "no active staff account there")
        return 0 if disabled else 1

    return asyncio.run(_in_database(settings, work))


def _receipts_verify(args: argparse.Namespace, settings: Settings) -> int:
    """Offline: no database, no network; the JWKS is a file saved from /.well-known/jwks.json."""
    try:
        receipt = Path(args.file).read_text(encoding="utf-8")
        jwks = orjson.loads(Path(args.jwks).read_bytes())
    except (OSError, UnicodeError, orjson.JSONDecodeError) as exc:
        return _fail(f"cannot read the receipt or the JWKS: {exc}")
    if not isinstance(jwks, dict):
        return _fail("the JWKS file must hold a JSON object with a keys list")
    try:
        claims = verify_receipt(receipt, jwks)
    except InvalidReceipt as exc:
        print(f"receipt NOT verified: {exc}", file=sys.stderr)
        return 1
    consent = claims["consent"]
    print(f"receipt {claims['consentReceiptID']} verified (signed by {claims['iss']})")
    print(f"  {consent['event']} at {consent['eventAt']}: {consent['recipient']['name']} may read")
    print(f"  {', '.join(claims['services'][0]['purposes'][0]['piiCategory'])}")
    print(
        f"  for {claims['services'][0]['purposes'][0]['purpose']}, {consent['access']}, "
        f"until {consent['expiresAt']}; subject {claims['sub']}"
    )
    return 0


def _retention_sweep(args: argparse.Namespace, settings: Settings) -> int:
    days = (
        settings.retention.record_retention.days if args.records_days is None else args.records_days
    )
    if not 1 <= days <= 3650:
        return _fail("--records-days must be 1 to 3650")

    async def work() -> int:
        events_kept = settings.retention.event_retention
        swept = await sweep(timedelta(days=days), event_retention=events_kept)
        print(
            f"removed {swept.login_codes} sign-in codes, {swept.refresh_tokens} ended or expired "
            f"refresh tokens, {swept.records} normalised records not synced in {days} days, "
            f"{swept.events} events older than {events_kept.days} days"
        )
        return 0

    return asyncio.run(_in_database(settings, work))


def _duration(span: timedelta | None) -> str:
    return "-" if span is None else f"{span.total_seconds():.1f}s"


def _assessments_sla(args: argparse.Namespace, settings: Settings) -> int:
    if not 1 <= args.days <= 3650:
        return _fail("--days must be 1 to 3650")

    async def work() -> int:
        rows = await sla_report(utc_now(), args.days)
        print(
            f"{'tier':<9} {'count':>6} {'in time':>8} {'p50':>9} {'p95':>9} "
            f"{'open now':>8} {'oldest open':>11}"
        )
        for row in rows:
            share = (
                "-"
                if row.completed_within_deadline is None
                else f"{row.completed_within_deadline:.1%}"
            )
            print(
                f"{row.tier.value:<9} {row.count:>6} {share:>8} "
                f"{_duration(row.p50_to_decision):>9} {_duration(row.p95_to_decision):>9} "
                f"{row.open_now:>8} {_duration(row.oldest_open):>11}"
            )
        return 0

    return asyncio.run(_in_database(settings, work))


def _model_command(args: argparse.Namespace, settings: Settings) -> int:
    """`scorelink model ...`; `monitor` without a scores file reads recent reports from the DB,
    and `rescore` writes reports to it."""
    if args.model_command == "rescore":
        return rescore_command.rescore_population(args, settings)
    if args.model_command != "monitor" or args.scores_file is not None:
        return int(args.func(args))

    def from_database(model: LoadedModel) -> RecentScores:
        return asyncio.run(_in_database(settings, lambda: recent_population(model, args.days)))

    if not 1 <= args.days <= 3650:
        return _fail("--days must be 1 to 3650")
    return model_commands.monitor_command(args, from_database)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="scorelink",
        description=__doc__,
        epilog="Configuration comes from SCORELINK_* variables and DATABASE_URL (README.md).",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {version('scorelink')}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(
        group: argparse._SubParsersAction[argparse.ArgumentParser], name: str, text: str
    ) -> argparse.ArgumentParser:
        return group.add_parser(name, help=text, description=text)

    serve = command(commands, "serve", "apply migrations and serve HTTP (GraphQL, OAuth, health)")
    serve.add_argument("--host", help="interface to bind (default SCORELINK_HOST, 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port to bind (default SCORELINK_PORT, 8000)")
    serve.add_argument(
        "--workers", type=int, help="worker processes (default SCORELINK_WORKERS, 1)"
    )
    serve.set_defaults(handler=_serve)

    command(commands, "migrate", "apply pending database migrations").set_defaults(handler=_migrate)
    add_worker_command(commands)

    partners = command(commands, "partners", "manage partner organisations")
    partner_commands = partners.add_subparsers(
        dest="partners_command", required=True, metavar="COMMAND"
    )
    create = command(
        partner_commands, "create", "register a partner; prints its client secret once"
    )
    types = ", ".join(t.value for t in PartnerType)
    create.add_argument(
        "--type", required=True, metavar="TYPE", help=f"the kind of organisation: one of {types}"
    )
    create.add_argument("--name", required=True, help="the organisation's name, shown to people")
    create.set_defaults(handler=_partners_create)
    command(
        partner_commands, "list", "list partners: id, type, status, client id, name"
    ).set_defaults(handler=_partners_list)
    suspend = command(partner_commands, "suspend", "stop all reads and new tokens of a partner")
    suspend.add_argument("partner", help="partner id or client id")
    suspend.set_defaults(handler=_partners_suspend)
    limit = command(partner_commands, "limit", "set a partner's GraphQL request limit")
    limit.add_argument("partner", help="partner id or client id")
    limit_choice = limit.add_mutually_exclusive_group()
    limit_choice.add_argument("--per-minute", type=int, help="requests per minute")
    limit_choice.add_argument(
        "--default", action="store_true", help="use SCORELINK_PARTNER_RATE_LIMIT again"
    )
    limit.set_defaults(handler=_partners_limit)
    origin = command(
        partner_commands,
        "allow-origin",
        "let a partner's browser frontend call /graphql from an origin (CORS)",
    )
    origin.add_argument("partner", help="partner id or client id")
    origin.add_argument("origin", help="scheme://host[:port], e.g. https://app.example.com")
    origin.add_argument("--remove", action="store_true", help="stop allowing that origin")
    origin.set_defaults(handler=_partners_allow_origin)

    keys = command(commands, "keys", "token signing keys")
    key_commands = keys.add_subparsers(dest="keys_command", required=True, metavar="COMMAND")
    command(
        key_commands, "rotate", "add a new signing key; older ones verify until their tokens expire"
    ).set_defaults(handler=_keys_rotate)
    command(
        key_commands,
        "reencrypt",
        "after rotating SCORELINK_SECRET_KEY: rewrite stored secrets under the new key",
    ).set_defaults(handler=_keys_reencrypt)

    model_commands.register(commands)
    commands.choices["model"].set_defaults(handler=_model_command)

    audit = command(commands, "audit", "the access log")
    audit_commands = audit.add_subparsers(dest="audit_command", required=True, metavar="COMMAND")
    verify = command(
        audit_commands,
        "verify",
        "recompute every leaf and the tree, check every signed checkpoint; name the first "
        "edited, deleted, inserted or reordered entry",
    )
    verify.add_argument(
        "--checkpoint",
        metavar="FILE",
        help="a checkpoint saved earlier from /log/checkpoint (its JSON or its compact JWS)",
    )
    verify.set_defaults(handler=_audit_verify)

    people = command(commands, "people", "people's accounts")
    people_commands = people.add_subparsers(dest="people_command", required=True, metavar="COMMAND")
    unlock = command(people_commands, "unlock", "unlock a number locked after 100 failed codes")
    unlock.add_argument("phone", help="the phone number, as the person gives it")
    unlock.set_defaults(handler=_people_unlock)
    delete = command(
        people_commands, "delete", "erase a person (PIPL art. 47); the access log keeps its entries"
    )
    delete.add_argument("phone", help="the phone number, as the person gives it")
    delete.add_argument("--yes", action="store_true", help="confirm: this cannot be undone")
    delete.set_defaults(handler=_people_delete)

    staff = command(commands, "staff", "ScoreLink's own staff accounts (credit analysts)")
    staff_commands = staff.add_subparsers(dest="staff_command", required=True, metavar="COMMAND")
    staff_create = command(
        staff_commands, "create", "create a staff account that signs in with an SMS code"
    )
    staff_create.add_argument("--phone", required=True, help="the staff member's mobile number")
    staff_create.add_argument("--name", required=True, help="their name, up to 100 characters")
    staff_create.add_argument(
        "--role",
        choices=[role.value for role in StaffRole],
        default=StaffRole.REVIEWER.value,
        help="what they do (default REVIEWER: decides referred assessments and disputes)",
    )
    staff_create.set_defaults(handler=_staff_create)
    staff_disable = command(
        staff_commands, "disable", "disable a staff account; its sessions end at once"
    )
    staff_disable.add_argument("phone", help="the staff member's mobile number")
    staff_disable.set_defaults(handler=_staff_disable)

    retention = command(commands, "retention", "remove personal data past its period")
    retention_commands = retention.add_subparsers(
        dest="retention_command", required=True, metavar="COMMAND"
    )
    sweep_command = command(
        retention_commands,
        "sweep",
        "delete spent sign-in codes, ended sessions, stale normalised records and past events",
    )
    sweep_command.add_argument(
        "--records-days",
        type=int,
        help="keep normalised records of accounts synced within this many days "
        "(default: SCORELINK_RETENTION_RECORD_DAYS, 365 unless set)",
    )
    sweep_command.set_defaults(handler=_retention_sweep)

    receipts = command(commands, "receipts", "signed consent receipts")
    receipt_commands = receipts.add_subparsers(
        dest="receipts_command", required=True, metavar="COMMAND"
    )
    verify = command(
        receipt_commands,
        "verify",
        "check a consent receipt (compact JWS) offline against a JWKS file",
    )
    verify.add_argument("file", help="file holding the receipt")
    verify.add_argument("--jwks", required=True, help="JWKS file saved from /.well-known/jwks.json")
    verify.set_defaults(handler=_receipts_verify)

    assessments = command(commands, "assessments", "credit assessments")
    assessment_commands = assessments.add_subparsers(
        dest="assessments_command", required=True, metavar="COMMAND"
    )
    sla = command(
        assessment_commands,
        "sla",
        "per tier: count, share within deadline, p50/p95 to decision, open now",
    )
    sla.add_argument("--days", type=int, default=7, help="assessments received in the last N days")
    sla.set_defaults(handler=_assessments_sla)

    sandbox = command(commands, "sandbox", "sandbox data: demo partners and test personas")
    sandbox_commands = sandbox.add_subparsers(
        dest="sandbox_command", required=True, metavar="COMMAND"
    )
    command(
        sandbox_commands,
        "seed",
        "create demo partners, test personas and their consents (idempotent)",
    ).set_defaults(handler=_sandbox_seed)
    credentials = command(
        sandbox_commands, "credentials", "print the demo partners' client credentials again"
    )
    credentials.add_argument(
        "client_id", nargs="?", help="print only this partner's secret (e.g. demo-bank)"
    )
    credentials.set_defaults(handler=_sandbox_credentials)
    reset = command(
        sandbox_commands, "reset", "delete every person, partner, consent and log entry, then seed"
    )
    reset.add_argument("--yes", action="store_true", help="confirm: the data cannot come back")
    reset.set_defaults(handler=_sandbox_reset)
    add_webhook_receiver_command(sandbox_commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings()
        handler: Handler = args.handler
        return handler(args, settings)
    except ConfigError as exc:
        return _fail(f"configuration error: {exc}")
    except DomainError as exc:
        return _fail(str(exc))


if __name__ == "__main__":
    sys.exit(main())
