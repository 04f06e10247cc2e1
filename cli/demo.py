"""``casework demo``: create a living demo county through the public API (see :mod:`services.demo`).

``casework demo [--households N] [--api URL] [--seed S] [--concurrency C] [--fast-publicity] [--no-records]``

Run it while ``make run`` is up. Tokens are signed with the key the running API checks (the development key
under ``var/keys``, or ``CASEWORK_JWT_SECRET``), and the departmental extracts go into the API's database
(``CASEWORK_DATABASE_URL``, or the embedded server ``casework up`` started).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from adapters.settings import Settings
    from services.demo import DemoResult

FAST_BOOK = Path("demo") / "parameters.json"  # under CASEWORK_VAR_DIR


def register(subparsers: Any) -> None:
    """Add the ``demo`` command to the ``casework`` parser.

    Args:
        subparsers: the object ``ArgumentParser.add_subparsers()`` returned.
    """
    demo = subparsers.add_parser(
        "demo",
        help="create a demo county (禄丰市: 14 townships, ~1,000 households, cases in every stage) "
        "through the API; safe to re-run with the same seed",
    )
    demo.add_argument("--households", type=int, default=1000, metavar="N", help="households (default 1000)")
    demo.add_argument(
        "--api",
        default=None,
        metavar="URL",
        help="the API's base URL (default http://CASEWORK_API_HOST:CASEWORK_API_PORT)",
    )
    demo.add_argument("--seed", type=int, default=1, help="same seed, same households and cases (default 1)")
    demo.add_argument("--concurrency", type=int, default=16, help="households driven at once (default 16)")
    demo.add_argument(
        "--fast-publicity",
        action="store_true",
        help="write var/demo/parameters.json (公示 closes in seconds) and require the API to run "
        "with it, so cases get past 公示 on the first run",
    )
    demo.add_argument(
        "--publicity-seconds",
        type=int,
        default=None,
        metavar="S",
        help="the 公示 window of the book --fast-publicity writes (default 20)",
    )
    demo.add_argument(
        "--no-records",
        action="store_true",
        help="do not load the departmental extracts for the information check",
    )
    demo.set_defaults(func=_cmd_demo)


def _out(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def _cmd_demo(args: argparse.Namespace) -> int:
    from adapters.logging import configure_logging
    from adapters.parameters import DEFAULT_BOOK
    from adapters.runtime import NotConfigured
    from adapters.settings import Settings
    from services.demo import DEFAULT_FAST_SECONDS, PublicityNotFast, write_fast_publicity_book

    if args.households < 1 or args.concurrency < 1:
        sys.stderr.write("casework demo: --households and --concurrency must be at least 1\n")
        return 2
    settings = Settings()
    # The demo prints its own progress; the libraries' info logs (each extract imported) would drown it.
    configure_logging(json=settings.log_json, level="WARNING")
    api = args.api or f"http://{settings.api_host}:{settings.api_port}"
    book = settings.var_dir / FAST_BOOK
    if args.fast_publicity:
        base = (
            settings.parameters_file
            if settings.parameters_file and settings.parameters_file != book
            else None
        )
        write_fast_publicity_book(base or DEFAULT_BOOK, book, args.publicity_seconds or DEFAULT_FAST_SECONDS)
        seconds = args.publicity_seconds or DEFAULT_FAST_SECONDS
        _out(f"wrote {book} (公示 closes after {seconds} seconds; DEMO ONLY)")
    started = time.monotonic()
    try:
        result = asyncio.run(_run(settings, api, args))
    except PublicityNotFast as err:
        sys.stderr.write(
            f"casework demo: {err}.\n  Stop `make run` and start it with the demo book:\n"
            f"    CASEWORK_PARAMETERS_FILE={book} make run\n"
            "  then run this command again (the cases already created are picked up, not created twice;\n"
            "  a 公示 already posted keeps the window it was posted with: to have every case pass 公示 in\n"
            "  seconds, stop `make run` and `make clean-var` first — it deletes var/, every case).\n"
        )
        return 2
    except NotConfigured as err:
        sys.stderr.write(f"casework demo: {err} (or pass --no-records to skip the departmental extracts)\n")
        return 1
    except _ApiDown as err:
        sys.stderr.write(f"casework demo: {err}\n")
        return 1
    from services.demo import summary_lines

    for line in summary_lines(result):
        _out(line)
    _out(f"done in {time.monotonic() - started:.0f} s")
    return 1 if result.failures else 0


class _ApiDown(RuntimeError):
    pass


async def _run(settings: Settings, api: str, args: argparse.Namespace) -> DemoResult:
    import httpx

    from adapters.auth import issue_token
    from domain.actors import Role
    from services.demo import run_demo

    def token(role: Role, jurisdiction: str, sub: str) -> str:
        return issue_token(
            settings,
            sub=sub,
            role=role,
            jurisdiction=jurisdiction,
            now=datetime.now(UTC),
            ttl=timedelta(hours=12),
        )

    limits = httpx.Limits(max_connections=args.concurrency * 2 + 8)
    async with httpx.AsyncClient(base_url=api, timeout=httpx.Timeout(120.0), limits=limits) as http:
        try:
            ready = await http.get("/readyz")
        except httpx.HTTPError as err:
            raise _ApiDown(
                f"the API at {api} does not answer ({type(err).__name__}); start it with `make run`"
            ) from None
        if ready.status_code != 200:
            raise _ApiDown(f"the API at {api} is not ready ({ready.status_code}): {ready.text[:200]}")
        if args.no_records:
            result = await run_demo(
                http,
                token,
                households=args.households,
                seed=args.seed,
                concurrency=args.concurrency,
                require_fast_publicity=args.fast_publicity,
                out=_out,
            )
        else:
            from adapters.db.economic_records import PgEconomicRecords
            from cli.common import cli_pool

            async with cli_pool(settings) as pool:
                result = await run_demo(
                    http,
                    token,
                    households=args.households,
                    seed=args.seed,
                    concurrency=args.concurrency,
                    records=PgEconomicRecords(pool),
                    work_dir=settings.var_dir / "demo" / "extracts",
                    require_fast_publicity=args.fast_publicity,
                    out=_out,
                )
        # 特困 households (S3): in a 敬老院, at home with a carer, a minor, a person with a disability.
        from services.demo_tekun import run_tekun_demo

        result.tekun = await run_tekun_demo(http, token, seed=args.seed, fast_publicity=result.fast_publicity,
                                            out=_out)
        # 残疾人两项补贴 and 高龄津贴 (issue 17): living / care / both / 跨省通办; each band, a check due, one held.
        result.allowances = await _allowances(http, token, settings, args.seed, result)
        return result


async def _allowances(http: Any, token: Any, settings: Settings, seed: int, result: DemoResult) -> Any:
    from adapters.parameters import ParameterFile
    from adapters.temporal.client import connect
    from cli.common import cli_pool
    from domain.kernel.clock import CHINA_TZ
    from services.demo_allowances import enrolment, paying_dibao_people, run_disability_demo, run_old_age_demo
    from services.enrolment import id_key

    people = await paying_dibao_people(http, token, result.households, result.case_ids)
    disability = await run_disability_demo(http, token, seed=seed, dibao_people=people, out=_out)
    try:
        async with cli_pool(settings) as pool:
            temporal = await connect(settings)
            enrol = enrolment(pool, temporal, settings.temporal_task_queue, ParameterFile().book(),
                              id_key(settings.effective_enrolment_key_file))
            old_age = await run_old_age_demo(http, token, enrol, seed=seed, today=datetime.now(CHINA_TZ).date(),
                                             out=_out)
    except (OSError, RuntimeError) as err:  # the enrolment import needs the database and Temporal
        _out(f"高龄津贴 demo skipped: the enrolment import could not run ({type(err).__name__})")
        old_age = None
    return {"disability_subsidies": disability, "old_age_allowance": old_age}
