"""Issue 19, defects found on the way: a process refuses to start on a configuration it cannot work with,
with a message and a non-zero exit code (never a stack that starts and then hangs, or exits 0)."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from cli.main import main


@pytest.fixture
def var_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CASEWORK_VAR_DIR", str(tmp_path / "var"))
    return tmp_path


@pytest.mark.parametrize("command", ["up", "worker", "api"])
def test_issue19_a_missing_parameters_file_stops_the_start_with_a_clear_message(
    var_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    missing = var_dir / "no-such-book.json"
    monkeypatch.setenv("CASEWORK_PARAMETERS_FILE", str(missing))

    code = main([command])

    err = capsys.readouterr().err
    assert code == 1
    assert "CASEWORK_PARAMETERS_FILE" in err
    assert str(missing) in err
    assert "参数文件不存在" in err
    assert not (var_dir / "var" / "run" / "up.pid").exists()  # nothing was started


def test_issue19_a_parameters_file_that_is_not_a_book_stops_the_start(
    var_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    book = var_dir / "book.json"
    book.write_text('{"county_code": "532302"}', encoding="utf-8")
    monkeypatch.setenv("CASEWORK_PARAMETERS_FILE", str(book))

    code = main(["worker"])

    err = capsys.readouterr().err
    assert code == 1
    assert "参数文件内容无效" in err


def test_issue19_an_api_port_in_use_ends_up_with_a_non_zero_exit_code_and_a_message(
    var_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        monkeypatch.setenv("CASEWORK_API_HOST", "127.0.0.1")
        monkeypatch.setenv("CASEWORK_API_PORT", str(port))

        code = main(["up"])

    err = capsys.readouterr().err
    assert code == 1
    assert f"127.0.0.1:{port}" in err
    assert "API 端口已被占用" in err
    assert not (var_dir / "var" / "run" / "up.pid").exists()
    assert not (var_dir / "var" / "pg").exists()  # no server was started


async def test_issue19_uvicorn_failing_to_bind_is_an_error_not_a_clean_stop() -> None:
    """The check above runs before the embedded servers start; a port taken in between still fails ``up``."""
    import uvicorn

    from devstack.supervisor import _serve_api

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]

        async def app(scope, receive, send):  # type: ignore[no-untyped-def]  # noqa: ANN001, ARG001
            return None

        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, lifespan="off"))
        with pytest.raises(RuntimeError, match=str(port)):
            await _serve_api(server, port)
