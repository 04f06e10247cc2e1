"""Sealing closed cases' histories into the ledger (issue 6) when one of them is gone from Temporal.

The dev server (``make run``) keeps a closed workflow's history for the namespace's retention only; a sweep
that did not run for longer (a county office's machine switched off over a holiday) finds closed cases whose
histories are gone. Each such case used to fail the whole daily audit — every day, for ever: no other case
sealed, no checkpoint signed. Real dev server, real PostgreSQL (a database of the test's own).
"""

from __future__ import annotations

import uuid

import asyncpg
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from adapters.audit.ledger import Ledger
from adapters.db.cases import PgCaseStore
from domain import commands as c
from domain.programmes import decide, project
from domain.programmes.dibao.stages import Stage
from services.audit.history import seal_closed_histories
from tests.builders import application, ctx
from tests.workflows.helpers import start_case
from tests.workflows.lifecycle import WINDOW, Case


async def test_a_closed_case_whose_history_is_gone_does_not_stop_the_others_being_sealed(
    dev_env: WorkflowEnvironment, fresh_dev_worker: Worker, fresh_pool: asyncpg.Pool,
) -> None:
    # A withdrawn case whose workflow Temporal no longer holds; its id sorts before any other.
    gone = uuid.UUID(int=1)
    submitted = decide(None, application(), ctx(case_id=gone))
    state = project(submitted)
    assert state is not None
    await PgCaseStore(fresh_pool).record(state.model_copy(update={"stage": Stage.WITHDRAWN}), submitted)
    # A case withdrawn through its workflow, which has completed.
    case = Case(await start_case(dev_env.client, fresh_dev_worker))
    await case.do(WINDOW, c.WithdrawApplication(reason="申请人书面撤回申请"))
    await case.handle.result()
    kept = (await case.snap()).state.case_id

    sealed = await seal_closed_histories(dev_env.client, fresh_pool, Ledger())

    assert sealed == 1
    keys = {r["entry_key"] for r in await fresh_pool.fetch(
        "SELECT entry_key FROM audit_ledger WHERE kind = 'history_sealed'")}
    assert keys == {f"history:{kept}"}
    # The next sweep passes over the gone one again and seals nothing twice.
    assert await seal_closed_histories(dev_env.client, fresh_pool, Ledger()) == 0
