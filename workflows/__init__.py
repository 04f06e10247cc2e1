"""Workflow definitions. ``WORKFLOWS`` is what workers register and replay tests replay.

The package imports its workflow modules lazily: the workflow sandbox re-executes this file for every new
workflow instance, and a case's instance then needs ``workflows/case.py`` only, not the other workflows too.
"""

from __future__ import annotations

from typing import Any


def __getattr__(name: str) -> Any:
    if name == "WORKFLOWS":
        from workflows.allowance_catch_up import AllowanceCatchUpWorkflow
        from workflows.case import CaseWorkflow
        from workflows.review_sweep import ReviewSweepWorkflow
        from workflows.standard_change import StandardChangeWorkflow

        return [CaseWorkflow, ReviewSweepWorkflow, StandardChangeWorkflow, AllowanceCatchUpWorkflow]
    raise AttributeError(f"module 'workflows' has no attribute {name!r}")
