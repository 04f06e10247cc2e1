"""What every command-line command shares: a small database pool for the command, and the guard that turns an
operator's error into a message and an exit code instead of a traceback."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import asyncpg

from adapters.db.pool import create_pool
from adapters.runtime import NotConfigured, database_dsn
from adapters.settings import Settings

T = TypeVar("T")


@asynccontextmanager
async def cli_pool(settings: Settings) -> AsyncIterator[asyncpg.Pool]:
    """A small pool on the configured database for one CLI command, closed when it is done.

    Raises:
        NotConfigured: no database is configured or running.
    """
    pool = await create_pool(database_dsn(settings), min_size=1, max_size=2)
    try:
        yield pool
    finally:
        await pool.close()


def run_with_pool(settings: Settings, work: Callable[[asyncpg.Pool], Awaitable[T]]) -> T:
    """Run ``work`` on a :func:`cli_pool` in a fresh event loop (a synchronous CLI command's database work)."""

    async def run() -> T:
        async with cli_pool(settings) as pool:
            return await work(pool)

    return asyncio.run(run())


CliHandler = Callable[[Any], int]


def guarded(prog: str, *operator_errors: type[BaseException]) -> Callable[[CliHandler], CliHandler]:
    """Wrap a CLI command: a refusal by the domain prints ``prog: message (code)`` and exits 2; no server
    configured, or one of ``operator_errors``, prints ``prog: error`` and exits 1 — never a traceback for what
    an operator can act on."""

    def wrap(handler: CliHandler) -> CliHandler:
        def run(args: Any) -> int:
            from domain.errors import DomainError

            try:
                return int(handler(args))
            except DomainError as err:
                sys.stderr.write(f"{prog}: {err.message} ({err.code})\n")
                return 2
            except (NotConfigured, *operator_errors) as err:
                sys.stderr.write(f"{prog}: {err}\n")
                return 1

        return run

    return wrap
