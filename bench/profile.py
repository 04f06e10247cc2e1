"""Sampling profiles of the benchmark's process with py-spy (the ``bench`` extra), summarised for the page.

``async with Profile("name") as p: ...`` samples this process (the API, the in-process workers and the
clients) at 50 Hz with ``py-spy record --nonblocking`` while the block runs; ``p.figure()`` is then one JSON
figure: how busy the process was (samples ÷ the samples an always-busy thread would give), the share of
samples in each bucket of :data:`BUCKETS` (first match wins, most specific first) and the hottest frames by
self time and by inclusive time (project code and the libraries it leans on); samples of waiting threads
(:data:`IDLE_LEAVES`) are left out. Without py-spy (or without permission to attach) the figure says so and
nothing else changes.
"""

from __future__ import annotations

import asyncio
import collections
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

RATE = 50

#: (bucket, substrings of a frame): a sample goes to the first bucket one of whose substrings is in any of its
#: frames.
BUCKETS: list[tuple[str, tuple[str, ...]]] = [
    ("sandbox: new workflow instance (re-executes workflows/case.py)",
     ("_Instance._create_instance", "SandboxedWorkflowRunner.prepare_workflow")),
    ("workflow code in the sandbox (activations)", ("_WorkflowWorker._handle_activation",)),
    ("activities (record_case, ledger, parameters, ...)", ("temporalio/worker/_activity.py",)),
    ("API request handling (FastAPI, auth, decide)",
     ("starlette/", "fastapi/", "api/routes", "api/middleware")),
    ("ledger verification (hashing, JSON)", ("adapters/audit/chain.py", "adapters/audit/ledger.py")),
    ("read model: each case's state parsed (PgActiveCases)", ("adapters/db/active_cases.py",)),
    ("domain computation (preview, decide)", ("domain/",)),
    ("replay (Replayer)", ("temporalio/worker/_replayer.py",)),
    ("Temporal client calls", ("temporalio/client.py", "temporalio/service.py")),
    ("SDK core bridge (polling and completing tasks)", ("temporalio/bridge/",)),
    ("payload conversion (pydantic)", ("temporalio/converter.py", "temporalio/contrib/pydantic")),
    ("asyncpg", ("asyncpg/",)),
    ("benchmark clients (httpx)", ("httpx/",)),
    ("asyncio event loop", ("asyncio/",)),
]
#: Buckets for a replay (the audit's 10-year case), matched from a sample's **innermost** frame outwards
#: (``Profile(..., leaf_first=True)``): pydantic called by the domain counts as the domain's, an SDK call made by
#: the workflow code as the SDK's.
REPLAY_BUCKETS: list[tuple[str, tuple[str, ...]]] = [
    ("payload codec: decrypting (adapters/temporal/codec.py)", ("adapters/temporal/codec.py",)),
    ("payload conversion: pydantic JSON in and out",
     ("temporalio/contrib/pydantic", "converter/_payload_converter", "converter/_data_converter",
      "pydantic/type_adapter")),
    ("SDK: visiting every payload of each activation and completion", ("_visitor.py",)),
    ("decision capture, replay converter (services/audit/replay.py)", ("services/audit/replay.py",)),
    ("workflow and domain code (workflows/, domain/)", ("workflows/", "domain/", "activities/")),
    ("SDK core bridge: polling and completing activations (Rust)", ("temporalio/bridge/",)),
    ("SDK: activations, commands, workflow instance (Python)", ("temporalio/worker/", "temporalio/workflow/")),
    ("asyncio event loop", ("asyncio/",)),
]
#: Leaf frames of a thread that is waiting, not working (non-blocking sampling reports some as active).
IDLE_LEAVES = ("EpollSelector.select (", "Condition.wait (", "_worker (concurrent/futures/thread.py:81)",
               "Event.wait (", "Thread.join (", "_wait_for_tstate_lock (")
_INTERESTING = ("/work/", "casework", "domain/", "workflows/", "activities/", "adapters/", "services/",
                "cli/", "devstack/", "api/", "temporalio/",
                "pydantic", "asyncpg", "starlette", "fastapi", "cryptography", "json")


def py_spy() -> str | None:
    candidate = Path(sys.executable).parent / "py-spy"
    return str(candidate) if candidate.exists() else shutil.which("py-spy")


def _short(frame: str) -> str:
    """``func (path/to/file.py:12)`` with the path cut to the package."""
    name, _, where = frame.partition(" (")
    where = where.rstrip(")")
    for marker in ("site-packages/", "/work/main/", "lib/python3"):
        if marker in where:
            where = where.split(marker, 1)[1]
    return f"{name} ({where})" if where else name


class Profile:
    def __init__(self, name: str, buckets: list[tuple[str, tuple[str, ...]]] | None = None,
                 leaf_first: bool = False) -> None:
        """``buckets`` instead of :data:`BUCKETS`; ``leaf_first``: a sample goes to the bucket of its innermost
        matching frame (by default, to the first bucket that matches any of its frames)."""
        self.name = name
        self.buckets = BUCKETS if buckets is None else buckets
        self.leaf_first = leaf_first
        self.passes: int | None = None  # how many repetitions of the profiled work the samples span, if set
        self.error: str | None = None
        self.stacks: collections.Counter[str] = collections.Counter()
        self.seconds = 0.0
        self._proc: subprocess.Popen[bytes] | None = None
        self._dir = tempfile.TemporaryDirectory(prefix="casework-bench-profile-")
        self._out = Path(self._dir.name) / "profile.txt"
        self._log = Path(self._dir.name) / "py-spy.log"

    async def __aenter__(self) -> Profile:
        exe = py_spy()
        if exe is None:
            self.error = "py-spy is not installed (pip install -e '.[bench]')"
            return self
        with self._log.open("wb") as log:
            self._proc = subprocess.Popen(  # noqa: S603, ASYNC220 - the profiler, on our own pid; returns at once
                [exe, "record", "--pid", str(os.getpid()), "--rate", str(RATE), "--format", "raw",
                 "--nonblocking", "--output", str(self._out)], stdout=log, stderr=subprocess.STDOUT)
        await asyncio.sleep(1.0)  # attached (py-spy needs a moment to read the interpreter's memory)
        if self._proc.poll() is not None:
            self.error = "py-spy could not attach: " + self._log.read_text(errors="replace")[-300:]
            self._proc = None
        self._start = time.perf_counter()
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._proc is None:
            self._dir.cleanup()
            return
        self.seconds = time.perf_counter() - self._start
        self._proc.send_signal(signal.SIGINT)
        try:
            await asyncio.to_thread(self._proc.wait, 60)
        except subprocess.TimeoutExpired:
            self._proc.kill()
        if self._out.exists():
            for line in self._out.read_text(errors="replace").splitlines():
                stack, _, count = line.rpartition(" ")
                if stack and count.isdigit():
                    self.stacks[stack] += int(count)
        else:
            self.error = "py-spy wrote no profile: " + self._log.read_text(errors="replace")[-300:]
        self._dir.cleanup()

    def figure(self, top: int = 12) -> dict[str, Any]:
        out: dict[str, Any] = {"figure": "profile", "name": self.name}
        if self.error is not None or not self.stacks:
            return {**out, "error": self.error or "no samples"}
        idle = sum(n for stack, n in self.stacks.items() if stack.split(";")[-1].startswith(IDLE_LEAVES))
        total = sum(self.stacks.values()) - idle
        if total <= 0:
            return {**out, "error": "no busy samples"}
        buckets: collections.Counter[str] = collections.Counter()
        own: collections.Counter[str] = collections.Counter()
        inclusive: collections.Counter[str] = collections.Counter()
        for stack, n in self.stacks.items():
            frames = stack.split(";")
            if frames[-1].startswith(IDLE_LEAVES):
                continue
            if self.leaf_first:
                bucket = next((b for f in reversed(frames) for b, subs in self.buckets if any(s in f for s in subs)),
                              "other")
            else:
                bucket = next((b for b, subs in self.buckets if any(s in f for f in frames for s in subs)), "other")
            buckets[bucket] += n
            own[_short(frames[-1])] += n
            for f in set(frames):
                if any(k in f for k in _INTERESTING):
                    inclusive[_short(f)] += n

        def pct(n: int) -> float:
            return round(100 * n / total, 1)

        return {**out, "seconds": round(self.seconds, 1), "samples": total,
                **({"passes": self.passes} if self.passes else {}), "idle_samples_left_out": idle,
                "rate_hz": RATE,
                "busy_percent_of_one_cpu": (round(100 * total / (RATE * self.seconds), 1)
                                            if self.seconds else None),
                "buckets_percent": {b: pct(n) for b, n in buckets.most_common()},
                "top_self": [[f, pct(n)] for f, n in own.most_common(top)],
                "top_inclusive": [[f, pct(n)] for f, n in inclusive.most_common(top * 3)
                                  if pct(n) < 99][:top]}
