"""``casework verification import`` run as a process against real PostgreSQL.

The command is registered here on a parser of its own (``cli.main`` wires it into ``casework``), and run
in a child process so its logging configuration and event loop stay out of the test session.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

from tests.builders import with_bad_check_digit
from tests.contracts.economic_records_contract import unique_resident_id, write_extract

ROOT = Path(__file__).resolve().parents[2]
_RUNNER = """
import argparse, sys
from cli.verification import register
parser = argparse.ArgumentParser(prog="casework")
register(parser.add_subparsers(dest="command", required=True))
args = parser.parse_args(sys.argv[1:])
sys.exit(args.func(args))
"""


async def casework(dsn: str, cwd: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "CASEWORK_DATABASE_URL": dsn,
        "CASEWORK_LOG_JSON": "true",
        "PYTHONPATH": str(ROOT),
    }
    return await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-c", _RUNNER, *argv],
        cwd=cwd,  # away from any .env in the project directory
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


async def test_import_prints_the_row_count_and_batch_then_already_imported(
    pg_dsn: str, tmp_path: Path
) -> None:
    path = write_extract(
        tmp_path, [(unique_resident_id(), "vehicle", "30000"), (unique_resident_id(), "vehicle", "1")]
    )

    first = await casework(
        pg_dsn, tmp_path, "verification", "import", str(path), "--source", "vehicle", "--by", "c1"
    )
    again = await casework(
        pg_dsn, tmp_path, "verification", "import", str(path), "--source", "vehicle", "--by", "c1"
    )

    assert (first.returncode, again.returncode) == (0, 0), first.stderr + again.stderr
    assert first.stdout.startswith("imported 2 rows as batch vehicle-")
    batch = first.stdout.split()[-1]
    assert again.stdout == f"already imported as batch {batch} (2 rows); nothing changed\n"


async def test_an_invalid_file_exits_1_with_row_errors_and_no_values(pg_dsn: str, tmp_path: Path) -> None:
    bad = with_bad_check_digit(unique_resident_id())
    path = write_extract(tmp_path, [(unique_resident_id(), "deposit", "5"), (bad, "deposit", "abc")])

    done = await casework(
        pg_dsn, tmp_path, "verification", "import", str(path), "--source", "deposit", "--by", "c1"
    )

    assert done.returncode == 1
    assert "row 3, column resident_id" in done.stderr
    assert "row 3, column amount" in done.stderr
    assert bad not in done.stderr + done.stdout
    assert "abc" not in done.stderr + done.stdout
    assert done.stdout == ""
