"""The audit replay (services/audit/replay.py) runs the workflow code outside Temporal's sandbox for speed
(issue 18); its verdict must not depend on that: the same runs deterministic, the same decisions re-derived as
through the sandbox, and a history that today's code does not reproduce still fails."""

from __future__ import annotations

from pathlib import Path

from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHistory

from services.audit.replay import replay_runs

HISTORY_DIR = Path(__file__).resolve().parents[1] / "workflows" / "histories"
#: A few golden histories across programmes and branches (a continue-as-new run, a recalculation, 特困).
SAMPLE = ["case_v4_reviews_run1_periodic_increase", "case_v4_standard_change_crossing_out",
          "tekun_v1_recognised", "case_v7_temporary_urgent_follow_up_case_by_case"]


def _history(stem: str) -> WorkflowHistory:
    return WorkflowHistory.from_json(f"case-{stem}", (HISTORY_DIR / f"{stem}.json").read_text(encoding="utf-8"))


async def test_the_audit_replay_without_the_sandbox_gives_the_sandboxed_verdict_and_decisions() -> None:
    histories = [(stem, _history(stem)) for stem in SAMPLE]

    fast_runs, fast_events = await replay_runs(histories)
    sandboxed_runs, sandboxed_events = await replay_runs(histories, sandboxed=True)

    assert all(r.deterministic for r in fast_runs)
    assert fast_runs == sandboxed_runs
    assert fast_events == sandboxed_events and fast_events


async def test_a_history_today_s_code_does_not_reproduce_fails_the_replay_without_the_sandbox() -> None:
    """The core compares each command with the recorded one whichever runner executed the code: an activity
    recorded under another type is a divergence."""
    history = _history("case_v1_submitted")
    scheduled = next(e for e in history.events if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED)
    scheduled.activity_task_scheduled_event_attributes.activity_type.name = "not_an_activity_of_the_engine"

    runs, _ = await replay_runs([("tampered", history)])

    assert not runs[0].deterministic
    assert runs[0].divergence
