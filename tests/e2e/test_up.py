"""``casework up`` (what ``make run`` runs) as a user meets it: real processes, real HTTP, real signals.

Each test starts the whole engine in a subprocess with its own ``var/`` and free ports, so it never
touches a developer's running instance.
"""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx
import psutil
import pytest

from adapters.auth import issue_token
from adapters.settings import Settings
from domain.actors import Role
from tests.builders import application_body
from tests.env import subprocess_env

REPO = Path(__file__).resolve().parents[2]
CASEWORK = str(Path(sys.executable).parent / "casework")
FIRST_START_BUDGET = 180.0  # issue 2: /readyz 200 within 3 minutes of the first start
LATER_START_BUDGET = 30.0  # … and within 30 s of later starts


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Engine:
    var_dir: Path
    api_port: int = field(default_factory=_free_port)
    temporal_port: int = field(default_factory=_free_port)
    ui_port: int = field(default_factory=_free_port)
    proc: subprocess.Popen[bytes] | None = None

    @property
    def env(self) -> dict[str, str]:
        env = subprocess_env()
        env |= {
            "CASEWORK_VAR_DIR": str(self.var_dir),
            "CASEWORK_API_PORT": str(self.api_port),
            "CASEWORK_EMBEDDED_TEMPORAL_PORT": str(self.temporal_port),
            "CASEWORK_EMBEDDED_TEMPORAL_UI_PORT": str(self.ui_port),
            "CASEWORK_LOG_JSON": "true",
        }
        return env

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    def start(self, budget: float) -> float:
        """Start ``casework up``; return the seconds until ``/readyz`` answered 200."""
        log = (self.var_dir.parent / "up.log").open("ab")
        started = time.monotonic()
        self.proc = subprocess.Popen(  # noqa: S603
            [CASEWORK, "up"], cwd=REPO, env=self.env, stdout=log, stderr=subprocess.STDOUT
        )
        deadline = started + budget
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, f"casework up exited early: {self.log_tail()}"
            try:
                if httpx.get(f"{self.base}/readyz", timeout=2).status_code == 200:
                    return time.monotonic() - started
            except httpx.HTTPError:
                pass
            time.sleep(0.25)
        raise AssertionError(f"/readyz not 200 within {budget:.0f}s: {self.log_tail()}")

    def log_tail(self) -> str:
        path = self.var_dir.parent / "up.log"
        return path.read_text(errors="replace")[-3000:] if path.exists() else ""

    def tree(self) -> list[psutil.Process]:
        assert self.proc is not None
        root = psutil.Process(self.proc.pid)
        return [root, *root.children(recursive=True)]

    def headers(self, role: Role = Role.FRONT_OFFICE, jurisdiction: str = "532302101") -> dict[str, str]:
        settings = Settings(_env_file=None, var_dir=self.var_dir)  # type: ignore[call-arg]
        token = issue_token(settings, sub="e2e-01", role=role, jurisdiction=jurisdiction, now=datetime.now(UTC))
        return {"Authorization": f"Bearer {token}"}

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(60)


def _alive(procs: list[psutil.Process]) -> list[psutil.Process]:
    out = []
    for p in procs:
        try:
            if p.is_running() and p.status() != psutil.STATUS_ZOMBIE:
                out.append(p)
        except psutil.NoSuchProcess:
            pass
    return out


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    eng = Engine(var_dir=tmp_path / "var")
    try:
        yield eng
    finally:
        eng.stop()


def test_cases_survive_kill_9_of_every_process(engine: Engine) -> None:
    """Issue 2: a case created, every process killed with SIGKILL, a new start: same case, same stage."""
    first = engine.start(FIRST_START_BUDGET)
    created = httpx.post(f"{engine.base}/v1/cases", json=application_body(), headers=engine.headers(), timeout=30)
    assert created.status_code == 201, created.text
    case = created.json()

    procs = engine.tree()
    names = {p.name() for p in procs}
    assert {"postgres", "temporal"} <= names, names
    for p in procs:
        p.kill()
    psutil.wait_procs(procs, timeout=30)
    assert not _alive(procs)

    later = engine.start(LATER_START_BUDGET)
    fetched = httpx.get(f"{engine.base}/v1/cases/{case['case_id']}", headers=engine.headers(), timeout=30)

    assert fetched.status_code == 200, fetched.text
    assert fetched.json()["stage"] == case["stage"] == "submitted"
    assert fetched.json()["case_id"] == case["case_id"]
    assert first < FIRST_START_BUDGET and later < LATER_START_BUDGET


def test_sigterm_stops_everything_and_leaves_no_orphans(engine: Engine) -> None:
    """Issue 2: SIGTERM (as Ctrl-C) stops API, worker, Temporal and PostgreSQL; nothing is left running."""
    engine.start(FIRST_START_BUDGET)
    procs = engine.tree()
    assert engine.proc is not None

    engine.proc.send_signal(signal.SIGTERM)
    code = engine.proc.wait(60)

    assert code == 0
    gone, alive = psutil.wait_procs(procs, timeout=10)
    assert not _alive(alive), [p.name() for p in _alive(alive)]
    assert not (engine.var_dir / "run" / "up.pid").exists()


def test_a_second_up_on_the_same_var_dir_is_refused(engine: Engine) -> None:
    engine.start(FIRST_START_BUDGET)

    second = subprocess.run(  # noqa: S603
        [CASEWORK, "up"], cwd=REPO, env=engine.env, capture_output=True, timeout=60, check=False
    )

    assert second.returncode == 1
    assert b"already running" in second.stderr
    assert httpx.get(f"{engine.base}/readyz", timeout=5).status_code == 200
