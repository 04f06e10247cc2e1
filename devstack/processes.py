"""Child-process helpers for the embedded servers: no orphans, even when the parent is killed.

Every child is started in its own session with ``PR_SET_PDEATHSIG`` (Linux), so a ``kill -9`` of the
supervisor still stops it, and its pid is written under ``var/run`` so the next start can find and stop a
survivor of an unclean exit before it binds the same ports.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import psutil
import structlog

log = structlog.get_logger(__name__)

_PR_SET_PDEATHSIG = 1


def set_parent_death_signal(sig: int = signal.SIGTERM) -> None:
    """Ask the kernel to send ``sig`` to this process when its parent exits (Linux only; no-op elsewhere)."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, sig, 0, 0, 0)


def _child_preexec() -> None:
    set_parent_death_signal(signal.SIGTERM)


def spawn(
    name: str,
    args: Sequence[str],
    *,
    pid_file: Path,
    log_file: Path,
    user: str | None = None,
    env: dict[str, str] | None = None,
) -> subprocess.Popen[bytes]:
    """Start a child server process tied to this process's life.

    Args:
        name: a short label for logs.
        args: the command line.
        pid_file: where to record the child's pid.
        log_file: where its stdout and stderr go (appended).
        user: run as this system user (PostgreSQL refuses to run as root).
        env: environment, default the current one.

    Returns:
        The running process.
    """
    log_file.parent.mkdir(parents=True, exist_ok=True)
    pid_file.parent.mkdir(parents=True, exist_ok=True)
    out = log_file.open("ab")
    proc = subprocess.Popen(  # noqa: S603 - fixed argument vectors built by this module
        list(args),
        stdin=subprocess.DEVNULL,
        stdout=out,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        preexec_fn=_child_preexec,
        user=user,
        env=env,
    )
    out.close()
    pid_file.write_text(f"{proc.pid}\n{' '.join(args[:1])}\n")
    log.info("process.started", process=name, pid=proc.pid)
    return proc


def stop(name: str, proc: subprocess.Popen[bytes], *, sig: int = signal.SIGTERM, timeout: float = 20) -> None:
    """Stop a child: ``sig`` first, SIGKILL after ``timeout`` seconds; waits for it to exit."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(sig)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            log.warning("process.kill", process=name, pid=proc.pid)
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            proc.wait(10)
    log.info("process.stopped", process=name, pid=proc.pid, returncode=proc.returncode)


def stop_stale(pid_file: Path, *, matches: Callable[[psutil.Process], bool], timeout: float = 20) -> None:
    """Stop a process left behind by an unclean exit, if the pid file names one that is still ours.

    Args:
        pid_file: the pid file written by :func:`spawn` (or by the supervisor itself).
        matches: decides whether a live process with that pid really is the one we started (pids are reused).
        timeout: seconds before SIGKILL.
    """
    if not pid_file.exists():
        return
    try:
        pid = int(pid_file.read_text().split()[0])
        proc = psutil.Process(pid)
        if pid != os.getpid() and proc.is_running() and matches(proc):
            log.warning("process.stale_found", pid=pid, pid_file=str(pid_file))
            proc.terminate()
            try:
                proc.wait(timeout)
            except psutil.TimeoutExpired:
                proc.kill()
    except (ValueError, IndexError, psutil.NoSuchProcess, psutil.AccessDenied):
        pass
    pid_file.unlink(missing_ok=True)


def wait_until(check: Callable[[], bool], *, timeout: float, interval: float = 0.2, what: str) -> None:
    """Poll ``check`` until it is true.

    Raises:
        TimeoutError: naming ``what`` after ``timeout`` seconds.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(interval)
    raise TimeoutError(f"{what} not ready after {timeout:.0f}s")
