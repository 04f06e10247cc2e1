"""A process that imports the engine once and forks ``casework worker`` processes from it on demand.

Starting ``casework worker`` costs seconds of CPU in imports alone (≈ 3.5 s here; 8–13 s of wall time on a
loaded 2-CPU machine). The fault runs kill workers hundreds of times, so the workers are forked from this
process instead: each child is what ``casework worker`` runs — ``cli.main.main(["worker"])`` with the
settings in its environment, in its own process, its own process group, output to its own log — only
without the imports. Its parent dies → it dies (``PR_SET_PDEATHSIG``). Nothing runs threads here before
a fork (checked at start), so forking is safe.

Protocol, one JSON object per line: stdin ``{"log": PATH, "env": {...}}`` starts a worker and stdout answers
``{"pid": N}``; stdout also carries ``{"exit": N, "code": C}`` when a child has ended (C < 0: the signal).
"""

from __future__ import annotations

import json
import os
import signal
import sys
import traceback

import activities  # noqa: F401 - the imports a worker needs, done once
import cli.main
import worker.main  # noqa: F401
import workflows  # noqa: F401
from devstack.processes import set_parent_death_signal


def _say(message: dict[str, int]) -> None:
    os.write(1, (json.dumps(message) + "\n").encode())


def _reap(_signum: int, _frame: object) -> None:
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        code = -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)
        _say({"exit": pid, "code": code})


def _child(log: str, env: dict[str, str]) -> None:
    code = 1
    try:
        os.setpgrp()
        set_parent_death_signal(signal.SIGKILL)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        fd = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        os.close(fd)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.close(null)
        sys.stdin = open(0)  # noqa: SIM115 - the process's own stdin, /dev/null
        os.environ.clear()
        os.environ.update(env)
        sys.argv = ["casework", "worker"]
        code = cli.main.main(["worker"])
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else 1
    except BaseException:  # noqa: BLE001 - report and exit non-zero, as the console script would
        traceback.print_exc()
        code = 1
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def main() -> None:
    set_parent_death_signal(signal.SIGKILL)
    threads = len(os.listdir("/proc/self/task")) if os.path.isdir("/proc/self/task") else 1
    if threads != 1:
        raise SystemExit(f"zygote: {threads} threads after imports; forking would not be safe")
    signal.signal(signal.SIGCHLD, _reap)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the harness stops it (closing stdin), not a Ctrl-C
    _say({"ready": os.getpid()})
    for line in sys.stdin:
        request = json.loads(line)
        pid = os.fork()
        if pid == 0:
            _child(request["log"], request["env"])
        _say({"pid": pid})


if __name__ == "__main__":
    main()
