"""``make chaos``: the large fault run (issue 7 item 6), one JSON line of figures at the end.

    python -m tests.faults.chaos [--cases 200] [--min-kills 400] [--workers 3] [--seed 1] ...

One stack (tests/faults/harness.py: embedded PostgreSQL, the Temporal dev server on a SQLite file,
N ``casework worker`` processes, a ``casework api`` process), one batch of cases driven over HTTP through the
whole dibao procedure into payment (1 in 5 refused at the county, with the refusal notice served), while a
worker is SIGKILLed every ``--kill-every`` seconds (restarted after a short pause), Temporal is restarted and
PostgreSQL taken away at fractions of the batch. Kills go on until the batch is done; if it finished before
``--min-kills`` kills the run says so (and exits 1). Progress goes to stderr every 10 s; the figures to
stdout.

Exit status 0 only when every case completed, nothing was duplicated, every ledger entry matches its event,
the read model agrees with the workflows, every history still replays with the deployed code and re-derives
exactly the decisions the ledger holds, ``casework
audit verify`` passed, no idempotency key stayed stuck, no 5xx other than 503 was seen and at least
``--min-kills`` kills happened.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sys
from typing import Any

from tests.faults.harness import Faults, Scenario, Stack, dumps, new_base, run_scenario


def _range(text: str) -> tuple[float, float]:
    low, _, high = text.partition("-")
    return float(low), float(high or low)


def _fractions(text: str) -> tuple[float, ...]:
    return tuple(float(x) for x in text.split(",") if x.strip())


def parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m tests.faults.chaos", description=__doc__.split("\n\n")[0])
    p.add_argument("--cases", type=int, default=200)
    p.add_argument("--min-kills", type=int, default=400)
    p.add_argument("--workers", type=int, default=3)
    p.add_argument("--concurrency", type=int, default=60, help="cases in flight at once")
    p.add_argument("--townships", type=int, default=10)
    p.add_argument("--kill-every", type=_range, default=(0.5, 2.0),
                   help="seconds between kills, LOW-HIGH (0: no kills)")
    p.add_argument("--kill-pause", type=_range, default=(0.2, 1.5), help="seconds a killed worker stays down")
    p.add_argument("--temporal-restarts-at", type=_fractions, default=(0.2, 0.5, 0.8),
                   help="fractions of the batch's requests at which Temporal is restarted")
    p.add_argument("--pg-outages-at", type=_fractions, default=(0.35, 0.65, 0.9),
                   help="fractions at which PostgreSQL is taken away (alternately fast / immediate shutdown)")
    p.add_argument("--pg-down", type=_range, default=(3.0, 8.0), help="seconds PostgreSQL stays away")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--request-budget", type=float, default=600,
                   help="seconds one request may take, retries included, before its case counts as lost")
    p.add_argument("--keep", action="store_true", help="keep the data and logs directory")
    return p.parse_args(argv)


def ok(figures: dict[str, Any], min_kills: int) -> bool:
    return (figures["lost"] == 0 and figures["completed"] == figures["cases"]
            and not any(figures["duplicates"].values())
            and figures["ledger_mismatches"] == 0 and figures["read_model_mismatches"] == 0
            and figures["unexpected_event_sequences"] == 0 and figures["missing_payment_lines"] == 0
            and figures["audit_verify_exit"] == 0 and figures["http_5xx_other_than_503"] == 0
            and figures["api_exceptions_logged"] == 0
            and figures["idempotency_keys_stuck"] == 0 and figures["histories_nondeterministic"] == 0
            and figures["replayed_decisions_differing_from_ledger"] == 0
            and figures["kills"] >= min_kills)


async def main(args: argparse.Namespace) -> int:
    from adapters.logging import configure_logging

    configure_logging(json=False, level="WARNING")  # stdout is for the figures; progress is noise there
    base = new_base("casework-chaos-")
    sys.stderr.write(f"chaos: data and logs in {base}\n")
    stack = Stack(base, workers=args.workers)
    kill_every = args.kill_every if args.kill_every[1] > 0 else None
    faults = Faults(kill_every=kill_every, kill_pause=args.kill_pause,
                    temporal_restarts_at=args.temporal_restarts_at, pg_outages_at=args.pg_outages_at,
                    pg_down=args.pg_down)
    scenario = Scenario(name="chaos", cases=args.cases, concurrency=args.concurrency,
                        townships=args.townships, seed=args.seed, request_budget=args.request_budget,
                        faults=faults)

    try:
        await stack.start()
        figures = await run_scenario(stack, scenario, log=lambda line: sys.stderr.write(line + "\n"))
    except BaseException:
        sys.stderr.write(stack.logs_tail() + "\n")
        raise
    finally:
        await stack.close()
    passed = ok(figures, args.min_kills)
    if figures["kills"] < args.min_kills:
        figures["note"] = (f"the batch finished after {figures['kills']} kills, "
                           f"fewer than --min-kills {args.min_kills}")
    details = figures.pop("details")
    if not passed:
        sys.stderr.write(f"chaos: FAILED — details: {dumps(details)}\n")
        args.keep = True
    figures["passed"] = passed
    sys.stdout.write(dumps(figures) + "\n")
    if args.keep:
        sys.stderr.write(f"chaos: kept {base}\n")
    else:
        shutil.rmtree(base, ignore_errors=True)
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main(parse(None))))
