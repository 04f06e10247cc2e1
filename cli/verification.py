"""``casework verification ...``: county staff commands for the information check (S1 Art. 17).

``casework verification import FILE --source SOURCE --by STAFF_ID`` loads one departmental CSV extract
(format: :mod:`adapters.db.economic_records`). It prints the imported row count and batch id, or that the
file was already imported, or the problems by row and column (never the values) and exits 1.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from domain.verification import RecordSource

if TYPE_CHECKING:
    from adapters.db.economic_records import ImportResult
    from adapters.settings import Settings


def register(subparsers: Any) -> None:
    """Add the ``verification`` command group to the ``casework`` parser.

    Args:
        subparsers: the object ``ArgumentParser.add_subparsers()`` returned.
    """
    group = subparsers.add_parser("verification", help="information check (信息核对): departmental extracts")
    commands = group.add_subparsers(dest="verification_command", required=True)
    imp = commands.add_parser(
        "import", help="import one departmental CSV extract (UTF-8; refused as a whole if any row is invalid)"
    )
    imp.add_argument("file", type=Path, metavar="FILE", help="the CSV extract")
    imp.add_argument(
        "--source", required=True, choices=[s.value for s in RecordSource], help="the department"
    )
    imp.add_argument(
        "--by", required=True, metavar="STAFF_ID", help="your staff id (never a resident ID number)"
    )
    imp.set_defaults(func=_cmd_import)


def _cmd_import(args: argparse.Namespace) -> int:
    from adapters.db.economic_records import ExtractRefused
    from adapters.logging import configure_logging
    from adapters.runtime import NotConfigured
    from adapters.settings import Settings

    settings = Settings()
    configure_logging(json=settings.log_json, level=settings.log_level)
    path: Path = args.file
    if not path.is_file():
        sys.stderr.write(f"casework verification import: no such file: {path}\n")
        return 1
    try:
        result = asyncio.run(_import(settings, path, RecordSource(args.source), args.by))
    except NotConfigured as err:
        sys.stderr.write(f"casework verification import: {err}\n")
        return 1
    except ExtractRefused as err:
        lines = [f"casework verification import: refused, nothing was imported ({err.total} problem(s)):"]
        lines += [f"  {e}" for e in err.errors]
        if err.total > len(err.errors):
            lines.append(f"  ... and {err.total - len(err.errors)} more")
        sys.stderr.write("\n".join(lines) + "\n")
        return 1
    except ValueError as err:  # imported_by is not a staff id
        sys.stderr.write(f"casework verification import: {err}\n")
        return 1
    if result.already_imported:
        sys.stdout.write(
            f"already imported as batch {result.batch_id} ({result.row_count} rows); nothing changed\n"
        )
    else:
        sys.stdout.write(f"imported {result.row_count} rows as batch {result.batch_id}\n")
    return 0


async def _import(settings: Settings, path: Path, source: RecordSource, staff: str) -> ImportResult:
    from adapters.db.economic_records import PgEconomicRecords
    from cli.common import cli_pool

    async with cli_pool(settings) as pool:
        return await PgEconomicRecords(pool).import_csv(path, source, staff)
