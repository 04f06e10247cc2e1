"""The ``casework`` command: ``up``, ``worker``, ``api``, ``migrate``, ``token``, ``users`` …"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from domain.actors import HUMAN_ROLES, Role


def _cmd_up(_: argparse.Namespace) -> int:
    from adapters.settings import Settings
    from devstack.supervisor import AlreadyRunning, up

    try:
        return up(Settings())
    except AlreadyRunning as err:
        sys.stderr.write(f"casework: {err}\n")
        return 1


def _parameter_book_refused(command: str, settings: object) -> bool:
    """Check the configured parameter book before a long-running process starts; print why it is unusable."""
    from adapters.parameters import ParameterBookUnusable, check_parameter_book

    try:
        check_parameter_book(settings.parameters_file)  # type: ignore[attr-defined]
    except ParameterBookUnusable as err:
        sys.stderr.write(f"casework {command}: {err}\n")
        return True
    return False


def _cmd_worker(_: argparse.Namespace) -> int:
    from adapters.settings import Settings
    from worker.main import main

    settings = Settings()
    if _parameter_book_refused("worker", settings):
        return 1
    main(settings)
    return 0


def _cmd_api(_: argparse.Namespace) -> int:
    import uvicorn

    from adapters.logging import configure_logging
    from adapters.settings import Settings
    from api.main import create_app
    from api.server import server_options

    settings = Settings()
    if _parameter_book_refused("api", settings):
        return 1
    configure_logging(json=settings.log_json, level=settings.log_level)
    uvicorn.run(create_app(settings), **server_options(settings))
    return 0


async def _migrate(settings: object) -> list[int]:
    import asyncpg

    from adapters.db.migrate import migrate
    from adapters.runtime import database_dsn

    conn = await asyncpg.connect(database_dsn(settings))  # type: ignore[arg-type]
    try:
        return await migrate(conn)
    finally:
        await conn.close()


def _cmd_migrate(_: argparse.Namespace) -> int:
    from adapters.db.pool import ensure_database
    from adapters.logging import configure_logging
    from adapters.runtime import embedded_pg_uri_file
    from adapters.settings import Settings
    from devstack.embedded import EmbeddedPostgres

    settings = Settings()
    configure_logging(json=settings.log_json, level=settings.log_level)
    pg = None
    if settings.embedded_postgres and not embedded_pg_uri_file(settings).exists():
        # Nothing running: start the embedded server just for the migration.
        pg = EmbeddedPostgres(settings.var_dir / "pg", settings.run_dir, settings.var_dir / "log" / "postgres.log")
        embedded_pg_uri_file(settings).parent.mkdir(parents=True, exist_ok=True)
        uri = pg.start()
        asyncio.run(ensure_database(uri, settings.database_name))
        embedded_pg_uri_file(settings).write_text(uri + "\n")
    try:
        applied = asyncio.run(_migrate(settings))
    finally:
        if pg is not None:
            pg.stop()
            embedded_pg_uri_file(settings).unlink(missing_ok=True)
    sys.stdout.write(f"applied: {', '.join(f'{v:04d}' for v in applied) or 'nothing (up to date)'}\n")
    return 0


def _cmd_token(args: argparse.Namespace) -> int:
    from pydantic import ValidationError

    from adapters.auth import AuthError, issue_token, signing_secret
    from adapters.settings import Settings

    settings = Settings()
    if signing_secret(settings) is None and not (settings.jwt_public_key_file or settings.jwt_jwks_url):
        # A key made here would sign tokens the running API rejects (it reads the key of *its* var/).
        key = settings.dev_jwt_key_file.resolve()
        sys.stderr.write(
            f"casework token: no signing key at {key} (未找到签名密钥). Run it in the directory where "
            "`casework up` (make run) keeps var/, or set CASEWORK_VAR_DIR to that var/ directory, or set "
            "CASEWORK_JWT_SECRET; no key was created\n"
        )
        return 1
    try:
        token = issue_token(
            settings,
            sub=args.sub,
            role=Role(args.role),
            jurisdiction=args.jurisdiction,
            now=datetime.now(UTC),
            ttl=timedelta(hours=args.ttl_hours),
        )
    except ValidationError:
        sys.stderr.write("casework token: --jurisdiction must be a 6-, 9- or 12-digit division code\n")
        return 2
    except AuthError as err:
        sys.stderr.write(f"casework token: {err}\n")
        return 1
    sys.stdout.write(token + "\n")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="casework", description="社会救助案件工作流引擎 / casework engine")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("up", help="run everything in the foreground (embedded servers, worker, API)").set_defaults(
        func=_cmd_up
    )
    sub.add_parser("worker", help="run a worker process").set_defaults(func=_cmd_worker)
    sub.add_parser("api", help="run an API process").set_defaults(func=_cmd_api)
    sub.add_parser("migrate", help="apply pending database migrations").set_defaults(func=_cmd_migrate)
    tok = sub.add_parser("token", help="print a bearer token signed with the development (or configured) key")
    tok.add_argument("--role", required=True, choices=sorted(r.value for r in HUMAN_ROLES))
    tok.add_argument("--jurisdiction", required=True, help="6-, 9- or 12-digit division code")
    tok.add_argument("--sub", required=True, help="the actor's staff id (never a resident ID number)")
    tok.add_argument("--ttl-hours", type=float, default=8.0)
    tok.set_defaults(func=_cmd_token)
    from cli.alerts import register as register_alerts
    from cli.audit import register as register_audit
    from cli.calendar import register as register_calendar
    from cli.demo import register as register_demo
    from cli.enrolment import register as register_enrolment
    from cli.keys import register as register_keys
    from cli.payments import register as register_payments
    from cli.projection import register as register_projection
    from cli.schedules import register as register_schedules
    from cli.standard_change import register as register_standard_change
    from cli.users import register as register_users
    from cli.verification import register as register_verification

    register_alerts(sub)
    register_audit(sub)
    register_calendar(sub)
    register_keys(sub)
    register_demo(sub)
    register_enrolment(sub)
    register_payments(sub)
    register_projection(sub)
    register_standard_change(sub)
    register_schedules(sub)
    register_verification(sub)
    register_users(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args))


def run() -> None:
    """The ``casework`` console script: ``main``, then exit without the interpreter's finalization.

    A command that made a Temporal client leaves the SDK's Rust threads alive; when they release Python objects
    while the interpreter finalizes, CPython aborts the process (``PyGILState_Release``, exit −6) — seen on
    ``casework standard-change apply`` refusing a second start. Every command has stopped what it started (servers,
    pools, clients) before ``main`` returns, so nothing is lost by skipping finalization: logs and output are
    flushed first.
    """
    code = main()
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    run()
