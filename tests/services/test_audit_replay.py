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
    # the API's replay: unsandboxed, activations on the SDK's thread pool with its deadlock detector
    pooled_runs, pooled_events = await replay_runs(histories, inline=False)

    assert all(r.deterministic for r in fast_runs)
    assert fast_runs == sandboxed_runs == pooled_runs
    assert fast_events == sandboxed_events == pooled_events and fast_events


async def test_a_history_today_s_code_does_not_reproduce_fails_the_replay_without_the_sandbox() -> None:
    """The core compares each command with the recorded one whichever runner executed the code: an activity
    recorded under another type is a divergence."""
    history = _history("case_v1_submitted")
    scheduled = next(e for e in history.events if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED)
    scheduled.activity_task_scheduled_event_attributes.activity_type.name = "not_an_activity_of_the_engine"

    runs, _ = await replay_runs([("tampered", history)])

    assert not runs[0].deterministic
    assert runs[0].divergence


async def test_the_replay_converter_decodes_as_the_engine_s_and_only_leaves_what_goes_out_unserialised() -> None:
    """What the unsandboxed replay sends out is dropped by the core (it matches commands by kind and ids), so
    its converter neither serialises nor encrypts it; what comes in — encrypted, under a rotated key too —
    decodes to the same values, and one payload converter instance serves every activation."""
    from temporalio.converter import PayloadCodec, SerializationContext, WithSerializationContext

    from adapters.temporal.codec import EncryptionCodec, data_converter, new_key_ring
    from domain.household import Program
    from services.audit.replay import replay_converter

    ring = new_key_ring().rotated("k2", "sm4-gcm")
    engine = data_converter(EncryptionCodec(ring, "default"))
    replay = replay_converter(engine)
    value = {"program": Program.DIBAO, "amount": "812.50"}

    recorded = await engine.encode([value])
    assert recorded[0].metadata["encoding"] == b"binary/encrypted"
    assert await replay.decode(recorded) == await engine.decode(recorded) == [{"program": "dibao",
                                                                                "amount": "812.50"}]
    sent = await replay.encode([value, "another"])
    assert len(sent) == 2 and all(not p.data and not p.metadata for p in sent)
    assert replay.payload_converter_class() is replay.payload_converter_class()

    class ContextCodec(PayloadCodec, WithSerializationContext):  # a codec that keys on the workflow id, say
        async def encode(self, payloads):  # type: ignore[no-untyped-def]
            return list(payloads)

        async def decode(self, payloads):  # type: ignore[no-untyped-def]
            return list(payloads)

        def with_context(self, context: SerializationContext) -> ContextCodec:  # noqa: ARG002
            return self

    contextual = data_converter(ContextCodec())
    assert replay_converter(contextual) is contextual, "left as it is: the replay would not know its contexts"
