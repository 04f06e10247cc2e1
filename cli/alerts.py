"""``casework alerts`` and ``casework case``: the in-payment life from the command line.

    casework alerts import deaths-2027-03.csv --source "民政殡葬数据比对 2027-03" --by cr-01
    casework case command CASE_ID --by inv-01 --role township_caseworker --jurisdiction 532302101 \\
        --json '{"type": "report_change", "note": "...", "declaration": {...}}'

``alerts import`` reads a CSV with the columns ``resident_id,alert,occurred_on`` (alert: death, imprisonment,
compulsory_rehabilitation, declared_missing, hukou_moved, marriage, relapse_monitoring, data_mismatch) and
routes each row to its case (see :mod:`services.data_alerts`); it prints one line per row, by row number.
``case command`` sends any staff command (report_change, raise_data_alert, decide_review, stop_benefit ...)
as the staff member named, exactly as the API would. Both talk to PostgreSQL and Temporal directly, with the
settings of ``casework up`` (``CASEWORK_*``): operator tools for the bureau's own machine.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import Any

from domain.actors import HUMAN_ROLES


def register(subparsers: Any) -> None:
    """Add the ``alerts`` and ``case`` command groups to the ``casework`` parser."""
    alerts = subparsers.add_parser("alerts", help="data-comparison alerts (deaths, prison, hukou moves ...)")
    sub = alerts.add_subparsers(dest="alerts_command", required=True)
    imp = sub.add_parser("import", help="raise the alerts of a CSV file on the cases they concern")
    imp.add_argument("file", type=Path)
    imp.add_argument("--source", required=True, help="where the matches come from (recorded with each alert)")
    _actor_args(imp, role="county_reviewer", jurisdiction="532302")
    imp.set_defaults(func=_cmd_import)

    case = subparsers.add_parser("case", help="send a staff command to a case")
    csub = case.add_subparsers(dest="case_command", required=True)
    cmd = csub.add_parser("command", help="send one command, given as JSON (the API's command body)")
    cmd.add_argument("case_id")
    cmd.add_argument("--json", required=True, dest="payload", help='e.g. {"type": "open_ad_hoc_review", ...}')
    _actor_args(cmd, role=None, jurisdiction=None)
    cmd.set_defaults(func=_cmd_command)


def _actor_args(p: argparse.ArgumentParser, *, role: str | None, jurisdiction: str | None) -> None:
    p.add_argument("--by", required=True, help="your staff id (never a resident ID number)")
    p.add_argument("--role", required=role is None, default=role, choices=sorted(r.value for r in HUMAN_ROLES))
    p.add_argument("--jurisdiction", required=jurisdiction is None, default=jurisdiction)


def _actor(args: argparse.Namespace) -> Any:
    from domain.actors import Actor, Role

    return Actor(id=args.by, role=Role(args.role), jurisdiction=args.jurisdiction)


def _cmd_import(args: argparse.Namespace) -> int:
    from pydantic import ValidationError

    from adapters.csv_text import CsvUnreadable, read_csv_dicts
    from services.data_alerts import AlertBatch

    try:
        rows = read_csv_dicts(args.file.read_bytes())
        batch = AlertBatch(source=args.source, alerts=rows)  # type: ignore[arg-type]
    except FileNotFoundError:
        sys.stderr.write(f"casework alerts import: no such file: {args.file}\n")
        return 2
    except (OSError, CsvUnreadable, ValidationError) as err:
        sys.stderr.write(f"casework alerts import: {_describe(err)}\n")
        return 2

    async def work(pool: Any, temporal: Any) -> list[Any]:
        from services.data_alerts import raise_alerts

        return await raise_alerts(pool, temporal, _actor(args), batch)

    outcomes = asyncio.run(_with_servers(work))
    for o in outcomes:
        line = f"row {o.row + 1}: {o.outcome}" + (f" case {o.case_id}" if o.case_id else "")
        sys.stdout.write(line + (f" ({o.detail})" if o.detail else "") + "\n")
    return 0


def _cmd_command(args: argparse.Namespace) -> int:
    from uuid import UUID

    from pydantic import TypeAdapter, ValidationError

    from api.schemas import ApiCommand
    from domain.commands import HumanCommand
    from services.cases import CaseGateway, UpdateFailed
    from workflows.models import CommandInput

    try:
        payload = json.loads(args.payload)
        # The API's input rules (no unknown fields, no control characters, bounds) bind the operator tool too;
        # the workflow then gets the domain command, as from the API.
        TypeAdapter(ApiCommand).validate_python(payload)
        command = TypeAdapter(HumanCommand).validate_python(payload)
        case_id = UUID(args.case_id)
        actor = _actor(args)
    except (ValueError, ValidationError) as err:
        sys.stderr.write(f"casework case command: {_describe(err)}\n")
        return 2

    async def work(_pool: Any, temporal: Any) -> Any:
        return await CaseGateway(temporal).execute(case_id, CommandInput(actor=actor, command=command))

    try:
        result = asyncio.run(_with_servers(work))
    except UpdateFailed as err:
        sys.stderr.write(f"casework case command: refused: {err.message}\n")
        return 1
    sys.stdout.write(json.dumps({"stage": result.snapshot.state.stage.value, "events": result.events},
                                ensure_ascii=False) + "\n")
    return 0


def _describe(err: Exception) -> str:
    from pydantic import ValidationError

    if isinstance(err, ValidationError):  # never echo the input: it may hold ID numbers
        return "; ".join(f"{'.'.join(str(x) for x in e['loc'])}: {e['msg']}" for e in err.errors())
    return str(err)


async def _with_servers(work: Any) -> Any:
    from adapters.logging import configure_logging
    from adapters.settings import Settings
    from adapters.temporal.client import connect
    from cli.common import cli_pool

    settings = Settings()
    configure_logging(json=settings.log_json, level=settings.log_level)  # logs to stderr; stdout is the answer
    async with cli_pool(settings) as pool:
        return await work(pool, await connect(settings))
