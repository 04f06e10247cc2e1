"""``casework schedules`` and ``casework review-sweep``: the daily review sweep, for operators.

    casework schedules status                       # paused?, recent and running sweeps, next runs (JSON)
    casework schedules pause --note "数据迁移, 暂停复核巡检"
    casework schedules unpause
    casework schedules backfill --from 2026-11-20 --to 2026-11-22   # one sweep per day, each as of its day
    casework schedules run-now                      # one sweep now, as of today
    casework review-sweep --as-of 2026-11-29        # run one sweep, wait, print its report (JSON)

All talk to Temporal with the configured settings (``CASEWORK_TEMPORAL_*``). The Schedule itself is created by
every worker at start-up; the sweeps run on the workers, so ``review-sweep`` waits for one to be up.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import uuid
from collections.abc import Awaitable, Callable
from datetime import date
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from temporalio.client import Client

    from adapters.settings import Settings

T = TypeVar("T")


def register(subparsers: Any) -> None:
    """Add the ``schedules`` command group and the ``review-sweep`` command to the ``casework`` parser.

    Args:
        subparsers: the object ``ArgumentParser.add_subparsers()`` returned.
    """
    from services.schedules import SCHEDULE_ID

    group = subparsers.add_parser("schedules", help="the daily review sweep's Temporal Schedule")
    group.add_argument("--schedule-id", default=SCHEDULE_ID, help=f"the Schedule (default {SCHEDULE_ID})")
    sub = group.add_subparsers(dest="schedules_command", required=True)
    st = sub.add_parser("status", help="paused or not, recent and running sweeps, next run times (JSON)")
    st.set_defaults(func=_cmd_status)
    p = sub.add_parser("pause", help="start no more sweeps until unpaused")
    p.add_argument("--note", help="why (shown by status)")
    p.set_defaults(func=_cmd_pause)
    u = sub.add_parser("unpause", help="start sweeps again from the next 02:00 (backfill the days missed)")
    u.add_argument("--note", help="why (shown by status)")
    u.set_defaults(func=_cmd_unpause)
    b = sub.add_parser("backfill", help="run one sweep for each day of a range, each as of its day")
    b.add_argument("--from", dest="start", required=True, type=_day, metavar="DATE",
                   help="first day, YYYY-MM-DD")
    b.add_argument("--to", dest="end", required=True, type=_day, metavar="DATE", help="last day, YYYY-MM-DD")
    b.set_defaults(func=_cmd_backfill)
    sub.add_parser("run-now", help="start one sweep now, as of today").set_defaults(func=_cmd_run_now)

    s = subparsers.add_parser("review-sweep", help="run one review sweep now, wait, print its report (JSON)")
    s.add_argument("--as-of", type=_day, metavar="DATE", help="the day to sweep as of (default: today)")
    s.add_argument("--batch-size", type=int, default=100)
    s.add_argument("--max-batches", type=int, default=50)
    s.set_defaults(func=_cmd_review_sweep)


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a YYYY-MM-DD date: {text!r}") from None


def _with_client(work: Callable[[Client, Settings], Awaitable[T]]) -> T:
    """Connect to Temporal with the configured settings and run ``work``."""
    from adapters.logging import configure_logging
    from adapters.settings import Settings
    from adapters.temporal.client import connect

    settings = Settings()
    configure_logging(json=settings.log_json, level=settings.log_level)

    async def run() -> T:
        return await work(await connect(settings), settings)

    return asyncio.run(run())


def _guarded(handler: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """Turn the errors an operator can act on into a message and exit code 1."""

    def run(args: argparse.Namespace) -> int:
        from temporalio.service import RPCError, RPCStatusCode

        try:
            return handler(args)
        except RPCError as err:
            if err.status is RPCStatusCode.NOT_FOUND:
                sys.stderr.write(f"casework: no schedule {args.schedule_id!r} (workers create it)\n")
            else:
                sys.stderr.write(f"casework: Temporal refused: {err.message}\n")
            return 1
        except ValueError as err:
            sys.stderr.write(f"casework: {err}\n")
            return 1

    return run


@_guarded
def _cmd_status(args: argparse.Namespace) -> int:
    from services.schedules import describe

    status = _with_client(lambda client, _: describe(client, schedule_id=args.schedule_id))
    sys.stdout.write(status.model_dump_json(indent=2) + "\n")
    return 0


@_guarded
def _cmd_pause(args: argparse.Namespace) -> int:
    from services.schedules import pause

    _with_client(lambda client, _: pause(client, args.note, schedule_id=args.schedule_id))
    sys.stdout.write(f"{args.schedule_id} paused\n")
    return 0


@_guarded
def _cmd_unpause(args: argparse.Namespace) -> int:
    from services.schedules import unpause

    _with_client(lambda client, _: unpause(client, args.note, schedule_id=args.schedule_id))
    sys.stdout.write(f"{args.schedule_id} unpaused\n")
    return 0


@_guarded
def _cmd_backfill(args: argparse.Namespace) -> int:
    from services.schedules import backfill

    _with_client(lambda client, _: backfill(client, args.start, args.end, schedule_id=args.schedule_id))
    days = (args.end - args.start).days + 1
    sys.stdout.write(f"{args.schedule_id}: {days} sweep(s) requested, {args.start} to {args.end}\n")
    return 0


@_guarded
def _cmd_run_now(args: argparse.Namespace) -> int:
    from services.schedules import run_now

    _with_client(lambda client, _: run_now(client, schedule_id=args.schedule_id))
    sys.stdout.write(f"{args.schedule_id}: one sweep started\n")
    return 0


def _cmd_review_sweep(args: argparse.Namespace) -> int:
    from pydantic import ValidationError

    from workflows.review_sweep import ReviewSweepWorkflow, SweepInput

    try:
        inp = SweepInput(as_of=args.as_of, batch_size=args.batch_size, max_batches=args.max_batches)
    except ValidationError as err:
        sys.stderr.write(f"casework review-sweep: {err.errors()[0]['loc'][0]}: {err.errors()[0]['msg']}\n")
        return 2

    async def work(client: Client, settings: Settings) -> str:
        report = await client.execute_workflow(
            ReviewSweepWorkflow.run,
            inp,
            id=f"review-sweep-manual-{args.as_of or 'today'}-{uuid.uuid4().hex[:8]}",
            task_queue=settings.temporal_task_queue,
        )
        return report.model_dump_json(indent=2)

    sys.stdout.write(_with_client(work) + "\n")
    return 0
