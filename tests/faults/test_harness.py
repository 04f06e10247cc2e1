"""The faults harness itself: a kill waits for the process it killed, not for whatever runs in the slot by then.

CI met this once: ``worker-1 (pid N) did not exit (process state S)`` 30 s after a SIGKILL. The stack's
supervisor restarts a dead worker at once; the kill was polling the slot (``alive``), which by then spoke of the
healthy new worker, sleeping in state S. This reproduces it with plain processes and a restarter that wins the race
every time.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from pathlib import Path

from tests.faults.harness import Casework


class SleepingSlot(Casework):
    """A slot whose process is a plain ``sleep`` (the harness's kill logic, without the engine)."""

    async def start(self) -> None:
        self.proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])  # noqa: ASYNC220
        self._started()


async def test_a_kill_returns_once_its_process_is_dead_even_if_the_slot_was_restarted(tmp_path: Path) -> None:
    slot = SleepingSlot("slot", [], {}, tmp_path / "slot.log")
    await slot.start()
    first = slot.pid
    restarted = asyncio.Event()

    async def supervisor() -> None:  # restarts the slot the moment its process is dead, as the stack does
        while not restarted.is_set():
            if not slot.alive:
                await slot.start()
                restarted.set()
            await asyncio.sleep(0)

    watcher = asyncio.create_task(supervisor())
    began = time.monotonic()
    try:
        await asyncio.wait_for(slot.kill(), 10)
        await asyncio.wait_for(restarted.wait(), 10)
    finally:
        watcher.cancel()
        if slot.proc is not None:
            slot.proc.kill()
            slot.proc.wait()
    assert slot.pid != first
    assert time.monotonic() - began < 10
