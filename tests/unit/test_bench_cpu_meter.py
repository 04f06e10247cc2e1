"""The benchmark's CPU meter counts a child process's work even when the process doing it ended before the
reading (a PostgreSQL backend or autovacuum worker the postmaster reaped), and counts nothing that was done
before the mark."""

from __future__ import annotations

import subprocess
import sys
import time

from bench.common import CpuMeter

#: A child that starts a grandchild burning CPU, waits for it (so its CPU moves to the child's ``cutime``),
#: then waits to be told to exit.
_PARENT = """
import subprocess, sys
subprocess.run([sys.executable, "-c", "import time\\nend = time.process_time() + 0.5\\nwhile time.process_time() < end: pass"])
print("burnt", flush=True)
sys.stdin.readline()
"""


def test_cpu_of_a_grandchild_that_ended_since_the_mark_is_counted_through_its_parent() -> None:
    child = subprocess.Popen([sys.executable, "-c", _PARENT], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             text=True)
    try:
        time.sleep(0.05)  # the child exists at the mark
        meter = CpuMeter()
        assert child.stdout is not None and child.stdout.readline().strip() == "burnt"
        # The grandchild's 0.5 s, ended before the reading (the suite's own servers may add a little).
        assert meter.read()["servers_cpu_s"] >= 0.4

        meter.mark()
        # What was done before the mark is not counted again.
        assert meter.read()["servers_cpu_s"] < 0.1
    finally:
        assert child.stdin is not None
        child.stdin.write("\n")
        child.stdin.flush()
        child.wait(timeout=10)


#: A child whose grandchild burns CPU, waits for a line, burns CPU again and ends; the child waits for it, says so,
#: then waits to be told to exit. The grandchild shares the child's stdin and stdout.
_PARENT_OF_A_LONGER_ONE = """
import subprocess, sys
burn = "import time\\ndef burn():\\n    end = time.process_time() + 0.4\\n    while time.process_time() < end: pass\\n"
subprocess.run([sys.executable, "-c", burn + "burn()\\nprint('ready', flush=True)\\ninput()\\nburn()"])
print("burnt", flush=True)
sys.stdin.readline()
"""


def test_a_grandchild_alive_at_the_mark_counts_only_what_it_did_after() -> None:
    """Reaped by its parent, a process's whole CPU lands in the parent's ``cutime``: what it had at the mark is
    subtracted, so only the second 0.4 s is counted."""
    child = subprocess.Popen([sys.executable, "-c", _PARENT_OF_A_LONGER_ONE], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True)
    assert child.stdin is not None and child.stdout is not None
    try:
        assert child.stdout.readline().strip() == "ready"
        meter = CpuMeter()
        child.stdin.write("\n")
        child.stdin.flush()
        assert child.stdout.readline().strip() == "burnt"
        counted = meter.read()["servers_cpu_s"]
        assert 0.3 <= counted < 0.75, counted  # the second burn, not both (0.8 s)
    finally:
        child.stdin.write("\n")
        child.stdin.flush()
        child.wait(timeout=10)
