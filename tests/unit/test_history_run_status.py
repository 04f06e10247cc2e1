"""A case's earlier runs are exported with the status their close event records (services/audit/history.py:
no describe call per run; issue 18): continued-as-new for a run that handed over to the next review cycle,
completed for a closed case, unknown to the history for a run still open (then the server is asked)."""

from __future__ import annotations

from pathlib import Path

from temporalio.client import WorkflowExecutionStatus, WorkflowHistory

from services.audit.history import _closed_status

HISTORIES = Path(__file__).resolve().parents[1] / "workflows" / "histories"


def _history(stem: str) -> WorkflowHistory:
    return WorkflowHistory.from_json(f"case-{stem}", (HISTORIES / f"{stem}.json").read_text(encoding="utf-8"))


def test_a_run_that_continued_as_new_completed_or_is_open_is_told_apart_by_its_last_event() -> None:
    assert _closed_status(_history("case_v4_reviews_run1_periodic_increase")) is (
        WorkflowExecutionStatus.CONTINUED_AS_NEW)
    assert _closed_status(_history("case_v4_alert_fraud_stopped")) is WorkflowExecutionStatus.COMPLETED
    assert _closed_status(_history("case_v1_submitted")) is None
