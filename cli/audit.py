"""``casework audit``: the auditor's tools (issue 6).

    casework audit verify [--no-events] [--json]      recompute the ledger's chain; exit 1 at the first break
    casework audit checkpoint                          sign the chain head, append it to the checkpoint file
    casework audit trail CASE_ID                       the decision trail, one JSON object per line
    casework audit export CASE_ID --out DIR            every run's history + manifest.json (signed, Ed25519)
    casework audit verify-export DIR|FILE [--public-key PEM] [--json]   check an export offline, on its own
    casework audit public-key [--out PEM]              the ledger's public key, to verify exports elsewhere
    casework audit replay CASE_ID|DIR|FILE [--no-ledger]   replay with today's code, compare with the ledger
    casework audit as-of CASE_ID SEQ                   a computed decision with the parameters then and now
    casework audit seal                                write closed cases' history hashes into the ledger

Operator tools with direct access to PostgreSQL and Temporal, like ``casework calendar``. Every read of a
case is written to the ledger in the name given with ``--by`` (default: the operating-system user). Replaying
an export needs no Temporal server; without ``--no-ledger`` it compares with the ledger in PostgreSQL.
``verify-export`` needs neither: only the export and the ledger's public key (``--public-key``, else
``CASEWORK_LEDGER_VERIFY_KEY_FILE``, else the public half of the signing key on this machine).
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from uuid import UUID

if TYPE_CHECKING:
    import asyncpg

    from adapters.settings import Settings
    from domain.actors import Actor

_PROG = "casework audit"


def register(subparsers: Any) -> None:
    """Add the ``audit`` command group to the ``casework`` parser."""
    audit = subparsers.add_parser("audit", help="decision trail, ledger verification, history export and replay")
    sub = audit.add_subparsers(dest="audit_command", required=True)

    v = sub.add_parser("verify", help="recompute the ledger's hash chain and check the signed checkpoints")
    v.add_argument("--no-events", action="store_true", help="do not check case_events against the ledger")
    v.add_argument("--json", action="store_true", help="the whole result as JSON")
    v.set_defaults(func=_guarded(_cmd_verify))

    sub.add_parser("checkpoint", help="sign the ledger's head and append it to the checkpoint file").set_defaults(
        func=_guarded(_cmd_checkpoint))

    t = sub.add_parser("trail", help="a case's decision trail across all its runs, refusals included")
    t.add_argument("case_id", type=UUID)
    _by(t)
    t.set_defaults(func=_guarded(_cmd_trail))

    e = sub.add_parser("export", help="every run's Temporal history as JSON, with a manifest of SHA-256s")
    e.add_argument("case_id", type=UUID)
    e.add_argument("--out", type=Path, required=True, help="directory to write into")
    _by(e)
    e.set_defaults(func=_guarded(_cmd_export))

    x = sub.add_parser("verify-export", help="check an export offline: the manifest's Ed25519 signature and "
                                             "every history's SHA-256 (no database, no Temporal)")
    x.add_argument("target", type=Path, help="an export directory, its manifest.json, or a saved "
                                             "GET /v1/cases/{id}/history answer")
    x.add_argument("--public-key", type=Path, default=None,
                   help="the ledger's Ed25519 public key (PEM); default: CASEWORK_LEDGER_VERIFY_KEY_FILE, else "
                        "the public half of the signing key on this machine")
    x.add_argument("--json", action="store_true", help="the result as JSON")
    x.set_defaults(func=_guarded(_cmd_verify_export))

    k = sub.add_parser("public-key", help="print (or write) the ledger's Ed25519 public key, PEM")
    k.add_argument("--out", type=Path, default=None, help="write it to this file instead of printing it")
    k.set_defaults(func=_guarded(_cmd_public_key))

    r = sub.add_parser("replay", help="replay a case (from Temporal) or an export (no server needed)")
    r.add_argument("target", help="a case id, an export directory, or one history JSON file")
    r.add_argument("--no-ledger", action="store_true", help="replay only; do not compare with the ledger")
    _by(r)
    r.set_defaults(func=_guarded(_cmd_replay))

    a = sub.add_parser("as-of", help="a computed decision recomputed with the parameters then and today")
    a.add_argument("case_id", type=UUID)
    a.add_argument("seq", type=int)
    _by(a)
    a.set_defaults(func=_guarded(_cmd_as_of))

    sub.add_parser("seal", help="write the history hashes of closed cases into the ledger").set_defaults(
        func=_guarded(_cmd_seal))


def _by(p: argparse.ArgumentParser) -> None:
    p.add_argument("--by", default=None, help="the auditor's staff id (default: the operating-system user)")


class KeyProblem(Exception):
    """A key file that is not the Ed25519 key it should be."""


def _guarded(handler: Any) -> Any:
    from cli.common import guarded
    from services.audit.history import ExportProblem

    return guarded(_PROG, ExportProblem, FileNotFoundError, KeyProblem)(handler)


def _settings() -> Settings:
    from adapters.settings import Settings

    return Settings()


def _auditor(settings: Settings, by: str | None) -> Actor:
    from adapters.parameters import DEFAULT_BOOK, ParameterFile
    from domain.actors import Actor, Role

    county = ParameterFile(settings.parameters_file or DEFAULT_BOOK).book().county_code
    return Actor(id=by or f"cli:{getpass.getuser()}", role=Role.AUDITOR, jurisdiction=county)


def _ledger(settings: Settings) -> Any:
    from adapters.audit.ledger import Ledger

    return Ledger(settings.ledger_hash_algorithm)


def _print_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, ensure_ascii=False, indent=2, default=str) + "\n")


def _cmd_verify(args: argparse.Namespace) -> int:
    from adapters.audit.checkpoints import check_checkpoints, read_checkpoints, verify_key
    from adapters.audit.ledger import verify_ledger
    from cli.common import run_with_pool

    settings = _settings()
    checkpoints = read_checkpoints(settings.effective_ledger_checkpoint_dir)

    async def work(pool: asyncpg.Pool) -> tuple[Any, list[dict[str, Any]]]:
        result = await verify_ledger(pool, check_events=not args.no_events)
        cp_problems = await check_checkpoints(pool, checkpoints, verify_key(settings)) if checkpoints else []
        return result, cp_problems

    result, cp_problems = run_with_pool(settings, work)
    ok = result.ok and not cp_problems
    if args.json:
        _print_json({**result.as_dict(), "ok": ok, "checkpoints": len(checkpoints),
                     "checkpoint_problems": cp_problems})
        return 0 if ok else 1
    out = sys.stdout
    out.write(f"entries {result.entries}, head {result.head_position} {result.head_hash}\n")
    if result.broken is not None:
        out.write(f"BROKEN at {result.broken.describe()}\n")
    for p in result.event_problems:
        out.write(f"EVENT case {p['case_id']} seq {p['seq']}: {p['problem'].replace('_', ' ')}\n")
    for p in cp_problems:
        out.write(f"CHECKPOINT at entry {p['position']}: {p['problem'].replace('_', ' ')}\n")
    out.write(f"checkpoints {len(checkpoints)}, events checked {result.events_checked}: "
              f"{'OK' if ok else 'FAILED'}\n")
    return 0 if ok else 1


def _cmd_checkpoint(_: argparse.Namespace) -> int:
    from adapters.audit.checkpoints import take_checkpoint
    from cli.common import run_with_pool

    settings = _settings()
    cp = run_with_pool(settings, lambda pool: take_checkpoint(pool, settings))
    if cp is None:
        sys.stdout.write("the ledger is empty: nothing to sign\n")
        return 0
    sys.stdout.write(cp.model_dump_json() + "\n")
    return 0


async def _access(pool: asyncpg.Pool, settings: Settings, by: str | None, case_id: UUID, action: str) -> None:
    from services.audit.access import log_access

    await log_access(pool, _ledger(settings), _auditor(settings, by), case_id, action, via="cli")


def _cmd_trail(args: argparse.Namespace) -> int:
    from cli.common import run_with_pool
    from services.audit.trail import case_trail

    settings = _settings()

    async def work(pool: asyncpg.Pool) -> list[dict[str, Any]]:
        await _access(pool, settings, args.by, args.case_id, "trail")
        return await case_trail(pool, args.case_id)

    steps = run_with_pool(settings, work)
    if not steps:
        sys.stderr.write(f"{_PROG}: no case {args.case_id}\n")
        return 1
    for step in steps:
        sys.stdout.write(json.dumps(step, ensure_ascii=False, default=str) + "\n")
    return 0


async def _with_client(settings: Settings, work: Any) -> Any:
    from adapters.temporal.client import connect
    from cli.common import cli_pool

    client = await connect(settings)
    async with cli_pool(settings) as pool:
        return await work(pool, client)


def _cmd_export(args: argparse.Namespace) -> int:
    from adapters.audit.checkpoints import signing_key
    from services.audit.history import case_histories, write_export

    settings = _settings()
    key = signing_key(settings)

    async def work(pool: asyncpg.Pool, client: Any) -> dict[str, Any]:
        runs = await case_histories(client, args.case_id)
        await _access(pool, settings, args.by, args.case_id, "history_export")
        return write_export(args.out, args.case_id, runs, exported_by=_auditor(settings, args.by).id,
                            exported_at=datetime.now(UTC), private_key=key)

    doc = asyncio.run(_with_client(settings, work))
    for row in doc["runs"]:
        sys.stdout.write(f"{row['file']}  {row['events']} events  {row['status']}  sha256 {row['sha256']}\n")
    sys.stdout.write(f"wrote {len(doc['runs'])} run(s) and manifest.json to {args.out}, "
                     f"signed with key {doc['signing_key']['key_id']}\n")
    return 0


def _public_key(settings: Settings, given: Path | None) -> Any:
    """The key an export is verified with: ``--public-key``, the configured verify key, or the public half of
    a signing key that exists on this machine — never a key made up on the spot (that could verify nothing)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

    given = given or settings.ledger_verify_key_file
    if given is not None:
        try:
            key = serialization.load_pem_public_key(given.read_bytes())
        except ValueError:
            key = None
        if not isinstance(key, Ed25519PublicKey):
            raise KeyProblem(f"{given} is not an Ed25519 public key (PEM)")
        return key
    path = settings.effective_ledger_signing_key_file
    if not path.exists():
        raise FileNotFoundError("no public key: give --public-key (casework audit public-key prints it where the "
                                "export was made) or set CASEWORK_LEDGER_VERIFY_KEY_FILE")
    try:
        private = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except ValueError:
        private = None
    if not isinstance(private, Ed25519PrivateKey):
        raise KeyProblem(f"{path} is not an Ed25519 private key (PEM)")
    return private.public_key()


def _cmd_verify_export(args: argparse.Namespace) -> int:
    from services.audit.history import verify_export

    result = verify_export(args.target, _public_key(_settings(), args.public_key))
    if args.json:
        _print_json(result.as_dict())
        return 0 if result.ok else 1
    out = sys.stdout
    out.write(f"case {result.case_id}, {result.runs} run(s), signed with key {result.key_id}\n")
    for problem in result.problems:
        out.write(f"FAILED: {problem}\n")
    out.write("OK: the manifest's Ed25519 signature holds and every history matches it\n" if result.ok
              else "FAILED\n")
    return 0 if result.ok else 1


def _cmd_public_key(args: argparse.Namespace) -> int:
    from cryptography.hazmat.primitives import serialization

    from adapters.audit.checkpoints import key_id, verify_key
    from services.audit.history import public_key_fingerprint

    public = verify_key(_settings())
    pem = public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    if args.out is not None:
        args.out.write_bytes(pem)
    else:
        sys.stdout.write(pem.decode())
    sys.stderr.write(f"key id {key_id(public)}, SHA-256 fingerprint {public_key_fingerprint(public)}\n")
    return 0


def _cmd_replay(args: argparse.Namespace) -> int:
    from cli.common import cli_pool
    from services.audit.history import case_histories, read_export
    from services.audit.replay import ReplayReport, compare_with_ledger, replay_runs, sealed_match

    settings = _settings()
    path = Path(args.target)
    case_id: UUID | None = None
    doc: dict[str, Any] | None = None

    async def work() -> ReplayReport:
        nonlocal case_id, doc
        complete = True
        if path.exists():  # noqa: ASYNC240 - one stat of a local file
            doc, histories = read_export(path)
            case_id = UUID(doc["case_id"]) if doc else None
            complete = doc is not None
            hashes = {row["run_id"]: row["sha256"] for row in doc["runs"]} if doc else {}
        else:
            from adapters.temporal.client import connect

            case_id = UUID(args.target)
            runs = await case_histories(await connect(settings), case_id)
            histories = [(r.run_id, r.history) for r in runs]
            hashes = {r.run_id: r.sha256 for r in runs}
        from adapters.temporal.client import converter_for

        results, events = await replay_runs(histories, data_converter=converter_for(settings))
        report = ReplayReport(case_id=str(case_id) if case_id else None, runs=results)
        if args.no_ledger or case_id is None:
            return report
        async with cli_pool(settings) as pool:
            await _access(pool, settings, args.by, case_id, "replay")
            report.ledger = await compare_with_ledger(pool, case_id, events, complete=complete)
            report.sealed_hashes_match = await sealed_match(pool, case_id, hashes) if hashes else None
        return report

    report = asyncio.run(work())
    out = sys.stdout
    for run in report.runs:
        verdict = "deterministic" if run.deterministic else f"DIVERGES: {run.divergence}"
        out.write(f"run {run.run_id}: {run.events} events, {run.decisions_rederived} decisions re-derived, {verdict}\n")
    if report.ledger is not None:
        lc = report.ledger
        out.write(f"ledger: {lc.matching} of {lc.rederived} re-derived decisions match "
                  f"({lc.ledger_entries} decision entries)\n")
        for m in lc.mismatches:
            out.write(f"MISMATCH seq {m.seq}: {m.problem.replace('_', ' ')}\n")
    if report.sealed_hashes_match is not None:
        out.write(f"sealed history hashes: {'match' if report.sealed_hashes_match else 'DIFFER'}\n")
    out.write("OK\n" if report.ok else "FAILED\n")
    return 0 if report.ok else 1


def _cmd_as_of(args: argparse.Namespace) -> int:
    from adapters.db.cases import PgCaseStore
    from cli.common import run_with_pool
    from services.audit.as_of import as_of_report

    settings = _settings()

    async def work(pool: asyncpg.Pool) -> Any:
        row = await PgCaseStore(pool).get_case(args.case_id)
        if row is None:
            return None
        await _access(pool, settings, args.by, args.case_id, "as_of")
        return await as_of_report(pool, settings, args.case_id, args.seq, row["village_code"], datetime.now(UTC))

    report = run_with_pool(settings, work)
    if report is None:
        sys.stderr.write(f"{_PROG}: no case {args.case_id}\n")
        return 1
    _print_json(report.model_dump(mode="json"))
    return 0


def _cmd_seal(_: argparse.Namespace) -> int:
    from services.audit.history import seal_closed_histories

    settings = _settings()

    async def work(pool: asyncpg.Pool, client: Any) -> int:
        return await seal_closed_histories(client, pool, _ledger(settings))

    sealed = asyncio.run(_with_client(settings, work))
    sys.stdout.write(f"sealed {sealed} closed case(s)\n")
    return 0
