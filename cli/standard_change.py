"""``casework standard-change``: preview a new dibao standard's impact, apply it to every case in payment,
and follow the run.

    casework standard-change preview 532302-2027-07 [--json]
    casework standard-change apply 532302-2027-07 --by county-approver-01
    casework standard-change status 532302-2027-07

The version is one of the parameter book's (``CASEWORK_PARAMETERS_FILE``, or the shipped book). ``apply``
starts the recalculation workflow in the name of the county approver given with ``--by`` (an operator tool
with direct access to Temporal, like ``casework calendar``); a version is applied once, on or after the day it
takes effect.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from adapters.settings import Settings
    from domain.standard_change import StandardChangePreview

_PROG = "casework standard-change"


def register(subparsers: Any) -> None:
    """Add the ``standard-change`` command group to the ``casework`` parser.

    Args:
        subparsers: the object returned by ``ArgumentParser.add_subparsers()``.
    """
    sc = subparsers.add_parser("standard-change", help="物价联动: preview and apply a new parameter version")
    sub = sc.add_subparsers(dest="standard_change_command", required=True)

    p = sub.add_parser("preview", help="per-township totals of what the version would change (read only)")
    p.add_argument("version")
    p.add_argument("--json", action="store_true", help="the whole preview (every case) as JSON")
    p.set_defaults(func=_guarded(_cmd_preview))

    a = sub.add_parser("apply", help="start the recalculation of every case in payment under the version")
    a.add_argument("version")
    a.add_argument("--by", required=True, dest="by", help="the county approver's staff id")
    a.set_defaults(func=_guarded(_cmd_apply))

    s = sub.add_parser("status", help="progress or result of the version's recalculation")
    s.add_argument("version")
    s.set_defaults(func=_guarded(_cmd_status))


def _guarded(handler: Any) -> Any:
    from cli.common import guarded

    return guarded(_PROG)(handler)


def _settings() -> Settings:
    from adapters.settings import Settings

    return Settings()


def _book(settings: Settings) -> Any:
    from adapters.parameters import DEFAULT_BOOK, ParameterFile

    return ParameterFile(settings.parameters_file or DEFAULT_BOOK).book()


async def _preview(settings: Settings, version: str) -> StandardChangePreview:
    from adapters.db.active_cases import PgActiveCases
    from cli.common import cli_pool
    from domain.standard_change import Previewer

    book = _book(settings)
    previewer = Previewer(book, version)  # an unknown version fails before the database is opened
    rows = []
    async with cli_pool(settings) as pool:
        async for case in PgActiveCases(pool).all(within=book.county_code):
            row = previewer.row(case.state) if case.state is not None else None
            if row is not None:
                rows.append(row)
    return previewer.preview(rows)


def _pad(text: str, width: int) -> str:
    """``text`` left-aligned in ``width`` terminal columns (a Chinese character takes two)."""
    import unicodedata

    used = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
    return text + " " * max(0, width - used)


def _cmd_preview(args: argparse.Namespace) -> int:
    preview = asyncio.run(_preview(_settings(), args.version))
    out = sys.stdout
    if args.json:
        out.write(preview.model_dump_json(indent=2) + "\n")
        return 0
    out.write(f"version {preview.version} (from {preview.effective_from.isoformat()}; before: "
              f"{preview.previous_version or '-'})\n{preview.label}\n\n")
    header = (f"{'township':<10} {'name':<8} {'cases':>6} {'old total':>12} {'new total':>12} "
              f"{'difference':>12} {'crossing out':>12}\n")
    out.write(header)
    for t in preview.townships:
        out.write(f"{t.township_code:<10} {_pad(t.township_name or '', 8)} {t.cases:>6} {t.old_total:>12} "
                  f"{t.new_total:>12} {t.difference:>12} {t.crossing_out:>12}\n")
    total = preview.totals
    out.write(f"{'total':<10} {'':<8} {total.cases:>6} {total.old_total:>12} {total.new_total:>12} "
              f"{total.difference:>12} {total.crossing_out:>12}\n")
    if preview.skipped:
        out.write(f"\nskipped (no parameters for their division): {len(preview.skipped)}\n")
    return 0


async def _start(settings: Settings, version: str, by: str) -> str:
    from adapters.temporal.client import connect
    from domain.actors import Actor, Role
    from domain.kernel.clock import CHINA_TZ
    from domain.standard_change import check_applicable
    from workflows.standard_change import start_standard_change

    book = _book(settings)
    target = check_applicable(book, version, datetime.now(UTC).astimezone(CHINA_TZ).date())
    actor = Actor(id=by, role=Role.COUNTY_APPROVER, jurisdiction=book.county_code)
    client = await connect(settings)
    return await start_standard_change(client, settings.temporal_task_queue, target.version, target.effective_from,
                                       actor)


def _cmd_apply(args: argparse.Namespace) -> int:
    sys.stdout.write(asyncio.run(_start(_settings(), args.version, args.by)) + "\n")
    return 0


async def _status(settings: Settings, version: str) -> tuple[str, Any]:
    from temporalio.client import WorkflowExecutionStatus
    from temporalio.service import RPCError, RPCStatusCode

    from adapters.temporal.client import connect
    from workflows.standard_change import (
        StandardChangeWorkflow,
        standard_change_workflow_id,
    )

    client = await connect(settings)
    handle = client.get_workflow_handle_for(StandardChangeWorkflow.run, standard_change_workflow_id(version))
    try:
        desc = await handle.describe()
    except RPCError as err:
        if err.status == RPCStatusCode.NOT_FOUND:
            return "not started", None
        raise
    progress = None
    if desc.status == WorkflowExecutionStatus.COMPLETED:
        progress = await handle.result()
    elif desc.status == WorkflowExecutionStatus.RUNNING:
        progress = await handle.query(StandardChangeWorkflow.progress)
    return (desc.status.name.lower() if desc.status else "unknown"), progress


def _cmd_status(args: argparse.Namespace) -> int:
    from workflows.standard_change import standard_change_workflow_id

    state, progress = asyncio.run(_status(_settings(), args.version))
    out = sys.stdout
    out.write(f"{standard_change_workflow_id(args.version)}: {state}\n")
    if progress is None:
        return 0 if state != "not started" else 1
    t = progress.totals
    out.write(f"batches: {progress.batches}  cases: {t.cases}  applied: {t.applied}  already applied: "
              f"{t.already_applied}  not active: {t.not_active}  failed: {t.failed}  reviews opened: "
              f"{t.reviews_opened}\n")
    out.write(f"monthly total of the recalculated cases: {t.old_total} → {t.new_total}\n")
    for code, n in sorted(t.failures.items()):
        out.write(f"  failed {code}: {n}\n")
    return 0
