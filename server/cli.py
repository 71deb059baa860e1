"""The `scorelink` command line: the operator's tool for the service and its data."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta
from pathlib import Path
from types import FrameType
from typing import TypeVar

import orjson
from tortoise.context import TortoiseContext

from consent.access_log import verify_chain
from domain.assessment_deadlines import sla_report
from domain.clock import utc_now
from domain.erasure import erase_person_by_phone
from domain.errors import DomainError
from domain.login import unlock_phone
from domain.monitoring_feed import recent_population
from domain.partners import (
    list_partners,
    parse_partner_type,
    register_partner,
    set_partner_rate_limit,
    suspend_partner,
)
from domain.receipts import InvalidReceipt, verify_receipt
from domain.retention import sweep
from domain.sandbox import sandbox_data_present, seed_sandbox
from domain.secret_rotation import reencrypt_all
from domain.signing_keys import Keyring
from domain.tokens import ROTATED_KEY_GRACE
from scoring_engine.model import LoadedModel
from scoring_engine.tabular import RecentScores
from server import model_commands
from server.database import apply_migrations, tortoise_config
from server.settings import ConfigError, Settings, load_settings

Handler = Callable[[argparse.Namespace, Settings], int]
T = TypeVar("T")


def _fail(message: str) -> int:
    print(f"scorelink: {message}", file=sys.stderr)
    return 2


async def _in_database(settings: Settings, work: Callable[[], Awaitable[T]]) -> T:
    """Run one use case with the ORM open on the configured database, then close it."""
    async with TortoiseContext() as orm:
        await orm.init(config=tortoise_config(settings.database_url))
        return await work()


def _exit_after_graceful_shutdown(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(0)


def _migrate(args: argparse.Namespace, settings: Settings) -> int:
    asyncio.run(apply_migrations(settings.database_url))
    print("migrations applied")
    return 0


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    from server.logs import configure_logging
    from server.tcp_protocol import NoDelayH11Protocol

    asyncio.run(apply_migrations(settings.database_url))
    if not settings.is_sandbox and asyncio.run(_in_database(settings, sandbox_data_present)):
        return _fail("production refuses to start: the database holds sandbox partners or personas")
    configure_logging(settings.log_level)
    # uvicorn drains in-flight requests on SIGTERM, then restores this handler and re-raises the
    # signal; a completed graceful shutdown is a success, so the process exits 0.
    signal.signal(signal.SIGTERM, _exit_after_graceful_shutdown)
    uvicorn.run(
        "server.main:app_from_environment",
        factory=True,
        host=args.host or settings.host,
        port=args.port or settings.port,
        workers=args.workers or settings.workers,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=30,
        # Several workers would otherwise leave Nagle's algorithm on (server/tcp_protocol.py).
        http=NoDelayH11Protocol,
    )
    return 0


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


def _sandbox_seed(args: argparse.Namespace, settings: Settings) -> int:
    if not settings.is_sandbox:
        return _fail("sandbox seed runs only with SCORELINK_ENV=sandbox")

    async def work() -> int:
        seed = await seed_sandbox(settings.secret_keys, settings.model_dir)
        print("Demo partners (OAuth2 client credentials):")
        for p in seed.partners:
            print(f"  {p.partner_type.value:10}  {p.client_id:18}  {p.client_secret}  {p.name}")
        print("Test personas (phone numbers):")
        for persona in seed.personas:
            print(f"  {persona.phone}  {persona.key:10}  {persona.display_name}")
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
            "verifiers; SCORELINK_PREVIOUS_SECRET_KEYS can now be removed"
        )
        return 0

    return asyncio.run(_in_database(settings, work))


def _audit_verify(args: argparse.Namespace, settings: Settings) -> int:
    async def work() -> int:
        checked, broken = await verify_chain()
        if broken is None:
            print(f"access log verified: {checked} entries, chain intact")
            return 0
        print(
            f"access log BROKEN at entry {broken.entry_id}: {broken.problem} "
            f"({checked} entries before it verified)",
            file=sys.stderr,
        )
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
    if not 1 <= args.records_days <= 3650:
        return _fail("--records-days must be 1 to 3650")

    async def work() -> int:
        swept = await sweep(timedelta(days=args.records_days))
        print(
            f"removed {swept.login_codes} sign-in codes, {swept.refresh_tokens} ended or expired "
            f"refresh tokens, {swept.records} normalised records not synced in "
            f"{args.records_days} days"
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
    """`scorelink model ...`; `monitor` without a scores file reads recent reports from the DB."""
    if args.model_command != "monitor" or args.scores_file is not None:
        return int(args.func(args))

    def from_database(model: LoadedModel) -> RecentScores:
        return asyncio.run(_in_database(settings, lambda: recent_population(model, args.days)))

    if not 1 <= args.days <= 3650:
        return _fail("--days must be 1 to 3650")
    return model_commands.monitor_command(args, from_database)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="scorelink", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = commands.add_parser("serve", help="apply migrations and serve HTTP")
    serve.add_argument("--host", help="interface to bind (default SCORELINK_HOST)")
    serve.add_argument("--port", type=int, help="port to bind (default SCORELINK_PORT)")
    serve.add_argument("--workers", type=int, help="worker processes (default SCORELINK_WORKERS)")
    serve.set_defaults(handler=_serve)

    commands.add_parser("migrate", help="apply pending migrations").set_defaults(handler=_migrate)

    partners = commands.add_parser("partners", help="manage partner organisations")
    partner_commands = partners.add_subparsers(dest="partners_command", required=True)
    create = partner_commands.add_parser("create", help="register a partner")
    create.add_argument("--type", required=True, help="BANK, P2P_LENDER, INSURER, RENTAL, ...")
    create.add_argument("--name", required=True)
    create.set_defaults(handler=_partners_create)
    partner_commands.add_parser("list", help="list partners").set_defaults(handler=_partners_list)
    suspend = partner_commands.add_parser("suspend", help="stop all reads by a partner")
    suspend.add_argument("partner", help="partner id or client id")
    suspend.set_defaults(handler=_partners_suspend)

    keys = commands.add_parser("keys", help="token signing keys")
    key_commands = keys.add_subparsers(dest="keys_command", required=True)
    key_commands.add_parser(
        "rotate", help="add a new signing key; older ones verify until their tokens expire"
    ).set_defaults(handler=_keys_rotate)
    key_commands.add_parser(
        "reencrypt",
        help="after rotating SCORELINK_SECRET_KEY: rewrite stored secrets under the new key",
    ).set_defaults(handler=_keys_reencrypt)

    model_commands.register(commands)
    commands.choices["model"].set_defaults(handler=_model_command)

    audit = commands.add_parser("audit", help="the access log")
    audit_commands = audit.add_subparsers(dest="audit_command", required=True)
    audit_commands.add_parser(
        "verify", help="walk the hash chain; name the first edited, deleted or reordered entry"
    ).set_defaults(handler=_audit_verify)

    people = commands.add_parser("people", help="people's accounts")
    people_commands = people.add_subparsers(dest="people_command", required=True)
    unlock = people_commands.add_parser(
        "unlock", help="unlock a number locked after 100 failed sign-in codes"
    )
    unlock.add_argument("phone", help="the phone number, as the person gives it")
    unlock.set_defaults(handler=_people_unlock)
    delete = people_commands.add_parser(
        "delete", help="erase a person (PIPL art. 47); the access log keeps its entries"
    )
    delete.add_argument("phone", help="the phone number, as the person gives it")
    delete.add_argument("--yes", action="store_true", help="confirm: this cannot be undone")
    delete.set_defaults(handler=_people_delete)

    retention = commands.add_parser("retention", help="remove personal data past its period")
    retention_commands = retention.add_subparsers(dest="retention_command", required=True)
    sweep_command = retention_commands.add_parser(
        "sweep", help="delete spent sign-in codes, ended sessions and stale normalised records"
    )
    sweep_command.add_argument(
        "--records-days",
        type=int,
        default=365,
        help="keep normalised records of accounts synced within this many days (default 365)",
    )
    sweep_command.set_defaults(handler=_retention_sweep)

    receipts = commands.add_parser("receipts", help="signed consent receipts")
    receipt_commands = receipts.add_subparsers(dest="receipts_command", required=True)
    verify = receipt_commands.add_parser(
        "verify", help="check a consent receipt (compact JWS) offline against a JWKS file"
    )
    verify.add_argument("file", help="file holding the receipt")
    verify.add_argument("--jwks", required=True, help="JWKS file saved from /.well-known/jwks.json")
    verify.set_defaults(handler=_receipts_verify)

    limit = partner_commands.add_parser("limit", help="set a partner's GraphQL request limit")
    limit.add_argument("partner", help="partner id or client id")
    limit_choice = limit.add_mutually_exclusive_group()
    limit_choice.add_argument("--per-minute", type=int, help="requests per minute")
    limit_choice.add_argument(
        "--default", action="store_true", help="use SCORELINK_PARTNER_RATE_LIMIT again"
    )
    limit.set_defaults(handler=_partners_limit)

    assessments = commands.add_parser("assessments", help="credit assessments")
    assessment_commands = assessments.add_subparsers(dest="assessments_command", required=True)
    sla = assessment_commands.add_parser(
        "sla", help="per tier: count, share within deadline, p50/p95 to decision, open now"
    )
    sla.add_argument("--days", type=int, default=7, help="assessments received in the last N days")
    sla.set_defaults(handler=_assessments_sla)

    sandbox = commands.add_parser("sandbox", help="sandbox environment data")
    sandbox_commands = sandbox.add_subparsers(dest="sandbox_command", required=True)
    sandbox_commands.add_parser(
        "seed", help="create demo partners and test personas (idempotent)"
    ).set_defaults(handler=_sandbox_seed)
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
