"""Replay verification: replay every run of a case with today's workflow code, and compare the decisions
the replay re-derives with the ledger.

Temporal's ``Replayer`` re-runs the workflow code against the recorded history and fails at the first
command that differs from it (non-determinism). While it runs, an interceptor collects what the code asks the
``record_case`` activity to record — the domain events, as today's code computes them from the history's
inputs. Each is compared with its ledger entry by digest: a replay that is deterministic but computes a
different decision (a rule changed in a pure function, say) is reported too, as ``differs_from_ledger``.
No Temporal server is needed: histories may come from an export.

Speed (issue 18): the replay runs the workflow code **outside Temporal's sandbox**
(``UnsandboxedWorkflowRunner``) by default, with one ``Replayer`` per converter built once per process and an
explicit build id (the SDK's default one hashes the bytecode of every loaded module on first use). The verdict
does not depend on the sandbox: the SDK core compares every command today's code emits with the command the
history recorded (type, order, ids) and fails the run at the first difference, whichever runner executed the
code. The sandbox guards something else — that workflow code never *reaches* for non-deterministic APIs
(the clock, random numbers, I/O) and keeps no state across instances; that guard runs where it matters: the
production worker runs sandboxed, and ``tests/workflows/test_replay.py`` replays every golden history through the
sandboxed ``Replayer``. The sandbox built a workflow instance per run (≈15 ms each, 28 runs for a 10-year case)
and ran every activation and every payload's serialisation context through ``exec`` in it; ``sandboxed=True``
still replays that way. Outside the sandbox each activation also runs inline on the event loop (no thread hop
per activation), and the replay's converter (:func:`replay_converter`) neither serialises nor encrypts what the
code sends out, which the core never compares; what comes in is decoded as always.
"""

from __future__ import annotations

import dataclasses
import functools
import json
from collections import defaultdict
from collections.abc import AsyncIterator, Sequence
from typing import Any
from uuid import UUID

import asyncpg
from pydantic import BaseModel
from temporalio import workflow
from temporalio.api.common.v1 import Payload
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import (
    CompositePayloadConverter,
    DataConverter,
    PayloadCodec,
    SerializationContext,
    WithSerializationContext,
)
from temporalio.runtime import Runtime
from temporalio.worker import (
    Interceptor,
    Replayer,
    StartActivityInput,
    StartLocalActivityInput,
    UnsandboxedWorkflowRunner,
    WorkflowInboundInterceptor,
    WorkflowInterceptorClassInput,
    WorkflowOutboundInterceptor,
)

from adapters.audit.chain import event_digest
from adapters.audit.ledger import case_entries

#: Events the replay re-derived, per workflow run id (the interceptor runs inside the workflow sandbox but
#: this module is imported outside it, so the dict is the process's), popped by the call that replayed the run.
_CAPTURED: dict[str, list[dict[str, Any]]] = defaultdict(list)


class _Outbound(WorkflowOutboundInterceptor):
    def start_activity(self, input: StartActivityInput) -> workflow.ActivityHandle[Any]:
        if input.activity == "record_case" and input.args:
            record = input.args[0]
            _CAPTURED[workflow.info().run_id].extend(ev.model_dump(mode="json") for ev in record.events)
        return super().start_activity(input)

    def start_local_activity(self, input: StartLocalActivityInput) -> workflow.ActivityHandle[Any]:
        # Runs that took case-local-records-v1 record as a local activity (issue 18). Its result names the events
        # recorded before when a lost workflow task made the case decide a step again: those are the decision.
        handle = super().start_local_activity(input)
        if input.activity == "record_case" and input.args:
            captured = _CAPTURED[workflow.info().run_id]
            at, events = len(captured), [ev.model_dump(mode="json") for ev in input.args[0].events]
            captured.extend(events)

            def adopt(done: Any) -> None:
                result = None if done.cancelled() or done.exception() else done.result()
                if getattr(result, "recorded", None):
                    captured[at:at + len(events)] = [ev.model_dump(mode="json") for ev in result.recorded]

            handle.add_done_callback(adopt)
        return handle


class _Inbound(WorkflowInboundInterceptor):
    def init(self, outbound: WorkflowOutboundInterceptor) -> None:
        super().init(_Outbound(outbound))


class _CaptureDecisions(Interceptor):
    def workflow_interceptor_class(self, input: WorkflowInterceptorClassInput) -> type[WorkflowInboundInterceptor]:  # noqa: ARG002 - the SDK's interface
        return _Inbound


class RunReplay(BaseModel):
    """One run: deterministic with today's code, or where it first diverged."""

    run_id: str
    events: int
    deterministic: bool
    divergence: str | None = None
    decisions_rederived: int = 0


class DecisionMismatch(BaseModel):
    seq: int
    problem: str  # not_in_ledger | differs_from_ledger | not_reproduced


class LedgerComparison(BaseModel):
    """The re-derived decisions against the ledger's decision entries of the case."""

    rederived: int
    ledger_entries: int
    matching: int
    mismatches: list[DecisionMismatch]


class ReplayReport(BaseModel):
    case_id: str | None
    runs: list[RunReplay]
    ledger: LedgerComparison | None = None
    #: The exported files matched the hashes sealed in the ledger when the case closed (None: not checked).
    sealed_hashes_match: bool | None = None

    @property
    def ok(self) -> bool:
        return (all(r.deterministic for r in self.runs)
                and (self.ledger is None or not self.ledger.mismatches)
                and self.sealed_hashes_match is not False)


#: The build id of the audit's replay workers: set explicitly so the SDK does not compute its default (a hash of
#: the bytecode of every loaded module, which compiles each one from source where no bytecode cache is written).
REPLAY_BUILD_ID = "casework-audit-replay"


@functools.cache
def _replay_payload_converter_class(base: type[CompositePayloadConverter]) -> type[CompositePayloadConverter]:
    """``base`` for a replay: one shared instance, and what the workflow sends out is not serialised.

    - **Shared**: the SDK builds a new ``DataConverter`` per activation and per serialisation context, and each
      one instantiates its payload converter class (a pydantic converter: a serializer and an empty cache of
      type adapters, so every run re-built its adapters). The converter is stateless apart from that cache
      (thread-safe), so the replay's class hands out one instance.
    - **Outgoing payloads are placeholders**: in a replay the core matches each command the code emits with the
      recorded one by kind, ids and names (activity type, timer and update ids, markers) and never by payload,
      then drops the command; the local activities' results come from their markers. Serialising the
      arguments of every ``record_case`` call (the whole case state) and every update's answer only to throw
      them away was ~12% of the replay's CPU. Payloads coming in (inputs, update arguments, activity results,
      markers) are decoded and validated exactly as before, and the capture above reads the events the code
      passes, not their payloads. What this gives up: that today's code can *serialise* what it sends — the
      production worker and ``tests/workflows/test_replay.py`` (SDK defaults, real converter) still check that.
    """
    shared: list[CompositePayloadConverter] = []

    class ReplayPayloadConverter(base):  # type: ignore[valid-type,misc]
        def __new__(cls) -> ReplayPayloadConverter:
            if not shared:
                instance = super().__new__(cls)
                base.__init__(instance)
                shared.append(instance)
            return shared[0]  # type: ignore[return-value]

        def __init__(self) -> None:  # built once, in __new__
            pass

        def to_payloads(self, values: Sequence[Any]) -> list[Payload]:
            return [Payload() for _ in values]

        def with_context(self, context: SerializationContext) -> ReplayPayloadConverter:
            converters = self.get_converters_with_context(context)
            if converters is None:
                return self
            contextual = object.__new__(type(self))  # never the shared instance: it must not change
            base.__init__(contextual)
            contextual._set_converters(*converters)
            return contextual

    ReplayPayloadConverter.__name__ = ReplayPayloadConverter.__qualname__ = f"Replay{base.__name__}"
    return ReplayPayloadConverter


class _DecodeOnlyCodec(PayloadCodec):
    """The codec for a replay: decodes (decrypts) as ``inner`` does; the placeholders going out pass as they are."""

    def __init__(self, inner: PayloadCodec) -> None:
        self._inner = inner

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return list(payloads)

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return await self._inner.decode(payloads)


def replay_converter(data_converter: DataConverter) -> DataConverter:
    """``data_converter`` as the unsandboxed replay uses it (see :func:`_replay_payload_converter_class`); a
    converter that is not composite, or whose converter or codec handles serialisation contexts its own way, is
    used as it is."""
    base, codec = data_converter.payload_converter_class, data_converter.payload_codec
    if (not issubclass(base, CompositePayloadConverter)
            or base.with_context is not CompositePayloadConverter.with_context
            or isinstance(codec, WithSerializationContext)):
        return data_converter
    return dataclasses.replace(data_converter, payload_converter_class=_replay_payload_converter_class(base),
                               payload_codec=_DecodeOnlyCodec(codec) if codec is not None else None)


#: Replayers built so far, per (converter, workflows, runtime, sandboxed, inline): a call reuses the process's
#: replayer.
_REPLAYERS: dict[tuple[int, tuple[type, ...], int, bool, bool], tuple[DataConverter, Runtime | None, Replayer]] = {}


def replayer_for(data_converter: DataConverter, workflows: Sequence[type], runtime: Runtime | None,
                 sandboxed: bool, inline: bool = True) -> Replayer:
    """The process's replayer for these arguments (built on first use)."""
    key = (id(data_converter), tuple(workflows), id(runtime), sandboxed, inline)
    cached = _REPLAYERS.get(key)
    if cached is not None and cached[0] is data_converter and cached[1] is runtime:
        return cached[2]
    if len(_REPLAYERS) >= 8:  # converters made per call (a new one each time) must not pile up
        _REPLAYERS.clear()
    # Unsandboxed, each activation runs inline on the event loop's thread (the SDK's ``debug_mode``) instead of
    # being handed to a thread pool and awaited: two thread switches per activation, each waiting for the GIL,
    # for code that holds the GIL throughout anyway (a 10-year case: ~20% of the replay's wall time). What the
    # SDK and its core check is unchanged; debug mode also drops the 2 s deadlock timer (a replay's activations
    # are short and deterministic: the production worker keeps it) and installs a ``breakpoint()`` hook that
    # only acts inside a workflow. The sandboxed replay keeps the SDK's defaults, and so does a replay with
    # ``inline`` False: the API's, which runs beside other requests on the same event loop, where a workflow
    # that loops forever on an old history must fail that replay after 2 s, not freeze the API.
    # The unsandboxed replay also neither serialises nor encrypts what the code sends out (replay_converter).
    replayer = Replayer(workflows=workflows, interceptors=[_CaptureDecisions()], runtime=runtime,
                        build_id=REPLAY_BUILD_ID,
                        **({"data_converter": data_converter} if sandboxed else
                           {"data_converter": replay_converter(data_converter),
                            "workflow_runner": UnsandboxedWorkflowRunner(), "debug_mode": inline}))
    _REPLAYERS[key] = (data_converter, runtime, replayer)
    return replayer


async def replay_runs(histories: Sequence[tuple[str, WorkflowHistory]], *,
                      data_converter: DataConverter = pydantic_data_converter,
                      workflows: Sequence[type] | None = None,
                      runtime: Runtime | None = None,
                      sandboxed: bool = False,
                      inline: bool = True) -> tuple[list[RunReplay], list[dict[str, Any]]]:
    """Replay each history; the per-run results and every event the replays re-derived, in order.

    ``data_converter`` must hold the payload codec with the keys the histories were encrypted with (payloads
    recorded unencrypted pass through it); ``runtime`` e.g. one whose core does not log failing replays;
    ``sandboxed`` runs the workflow code in Temporal's sandbox (slower; the verdict is the same, see above);
    ``inline`` (unsandboxed only) runs activations on the caller's event loop, without the SDK's deadlock
    detector: for a process that does nothing else meanwhile (the CLI, the benchmark), not for a server."""
    if workflows is None:
        from workflows import WORKFLOWS

        workflows = WORKFLOWS
    replayer = replayer_for(data_converter, workflows, runtime, sandboxed, inline)

    async def each() -> AsyncIterator[WorkflowHistory]:
        for _, history in histories:
            _CAPTURED.pop(history.run_id, None)  # what a replay of this run captures belongs to this call
            yield history

    runs: list[RunReplay] = []
    events: list[dict[str, Any]] = []
    # One replay worker for all the histories (a worker per history would set up the sandbox every time).
    async with replayer.workflow_replay_iterator(each()) as results:
        replayed = [result async for result in results]
    for (run_id, history), result in zip(histories, replayed, strict=True):
        captured = _CAPTURED.pop(history.run_id, [])
        failure = result.replay_failure
        runs.append(RunReplay(run_id=run_id, events=len(history.events), deterministic=failure is None,
                              divergence=_first_line(failure) if failure is not None else None,
                              decisions_rederived=len(captured)))
        events.extend(captured)
    return runs, events


def _first_line(err: BaseException) -> str:
    text = f"{type(err).__name__}: {err}"
    return text.splitlines()[0][:500]


async def compare_with_ledger(pool: asyncpg.Pool, case_id: UUID, rederived: list[dict[str, Any]], *,
                              complete: bool = True) -> LedgerComparison:
    """Each re-derived event against its decision entry; with ``complete`` (every run was replayed), ledger
    entries no replay reproduced are reported too."""
    entries = {e.seq: e for e in await case_entries(pool, case_id) if e.kind == "decision" and e.seq is not None}
    mismatches: list[DecisionMismatch] = []
    seen: set[int] = set()
    matching = 0
    for payload in rederived:
        if str(payload.get("case_id")) != str(case_id):
            continue
        seq = int(payload["seq"])
        if seq in seen:
            continue  # the same event recorded again on an activity retry inside one replay
        seen.add(seq)
        entry = entries.get(seq)
        if entry is None:
            mismatches.append(DecisionMismatch(seq=seq, problem="not_in_ledger"))
        elif json.loads(entry.content).get("event_digest") != event_digest(entry.algorithm, payload):
            mismatches.append(DecisionMismatch(seq=seq, problem="differs_from_ledger"))
        else:
            matching += 1
    if complete:
        mismatches += [DecisionMismatch(seq=s, problem="not_reproduced") for s in sorted(set(entries) - seen)]
    return LedgerComparison(rederived=len(seen), ledger_entries=len(entries), matching=matching,
                            mismatches=sorted(mismatches, key=lambda m: m.seq))


async def sealed_match(pool: asyncpg.Pool, case_id: UUID, run_hashes: dict[str, str]) -> bool | None:
    """Whether the given run hashes are exactly those sealed in the ledger when the case closed (None: the
    case has no seal yet)."""
    content = await pool.fetchval("SELECT content FROM audit_ledger WHERE entry_key = $1", f"history:{case_id}")
    if content is None:
        return None
    sealed = {r["run_id"]: r["sha256"] for r in json.loads(content)["runs"]}
    return sealed == run_hashes
