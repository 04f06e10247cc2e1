"""Issue 19, defects found on the way: a process refuses to start on a configuration it cannot work with,
with a message and a non-zero exit code (never a stack that starts and then hangs, or exits 0)."""

from __future__ import annotations

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
    assert "CASEWORK_PARAMETERS_FILE" in err and str(missing) in err
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
