"""``casework enrol old-age FILE --source NAME``: 高龄津贴 proactive enrolment (主动发现; SPEC §6.3) from a hukou
extract (UTF-8 CSV ``resident_id,name,village_code``). It opens a case, for the township to confirm, for everyone
who has reached an age band, in bounded batches; running it again (the same extract, or after an interruption)
opens nothing twice. It prints the counts per outcome and the line numbers of rows that do not parse (never
their values)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any


def register(subparsers: Any) -> None:
    group = subparsers.add_parser("enrol", help="proactive enrolment (主动发现) from a hukou extract")
    commands = group.add_subparsers(dest="enrol_command", required=True)
    old_age = commands.add_parser("old-age", help="高龄津贴: open a case for everyone who reached an age band")
    old_age.add_argument("file", type=Path, metavar="FILE", help="the hukou extract (resident_id,name,village_code)")
    old_age.add_argument("--source", required=True, help="the extract's name, e.g. 公安户籍数据 2027-03")
    old_age.set_defaults(func=_cmd_old_age)


def _cmd_old_age(args: argparse.Namespace) -> int:
    from services.enrolment import read_extract

    if not args.file.is_file():
        sys.stderr.write(f"casework enrol old-age: no such file: {args.file}\n")
        return 1
    rows, invalid = read_extract(args.file)
    counts = asyncio.run(_run(rows, args.source))
    if invalid:
        counts["invalid"] = counts.get("invalid", 0) + len(invalid)
    for outcome, n in sorted(counts.items()):
        sys.stdout.write(f"{outcome}: {n}\n")
    if invalid:
        sys.stdout.write("rows that do not parse (line numbers): " + ", ".join(map(str, invalid[:50])) + "\n")
    return 0


async def _run(rows: list[Any], source: str) -> dict[str, int]:
    from datetime import UTC, datetime

    from adapters.logging import configure_logging
    from adapters.parameters import ParameterFile
    from adapters.settings import Settings
    from adapters.temporal.client import connect
    from cli.common import cli_pool
    from services.enrolment import enrol, id_key

    settings = Settings()
    configure_logging(json=settings.log_json, level=settings.log_level)
    async with cli_pool(settings) as pool:
        temporal = await connect(settings)
        counts = await enrol(pool, temporal, settings.temporal_task_queue, ParameterFile().book(), rows, source,
                             datetime.now(UTC), key=id_key(settings.effective_enrolment_key_file))
    return dict(counts)
