"""Replay every checked-in history with today's workflow code: the versioning gate (STYLE guideline 14).

A change to a deployed workflow's command sequence must go behind ``workflow.patched()``; if it does not,
the histories below stop replaying and this test fails.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from workflows import WORKFLOWS

HISTORIES = sorted((Path(__file__).parent / "histories").glob("*.json"))


def test_there_are_histories_to_replay() -> None:
    assert HISTORIES, "no checked-in histories: export one with python -m tests.workflows.export_history"


@pytest.mark.parametrize("path", HISTORIES, ids=[p.stem for p in HISTORIES])
async def test_checked_in_history_replays_deterministically(path: Path) -> None:
    history = WorkflowHistory.from_json(f"case-{path.stem}", path.read_text())
    replayer = Replayer(workflows=WORKFLOWS, data_converter=pydantic_data_converter)

    result = await replayer.replay_workflow(history, raise_on_replay_failure=False)

    assert result.replay_failure is None, f"{path.name}: {result.replay_failure}"
