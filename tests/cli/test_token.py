"""``casework token`` prints a bearer token the API will accept."""

from __future__ import annotations

from pathlib import Path

import pytest

from adapters.auth import TokenVerifier, ensure_dev_key
from adapters.settings import Settings
from cli.main import main
from domain.actors import Actor, Role


@pytest.fixture
def var_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private var dir, no configured secret, and no stray .env file."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CASEWORK_VAR_DIR", str(tmp_path))
    for name in ("CASEWORK_JWT_SECRET", "CASEWORK_JWT_PUBLIC_KEY_FILE", "CASEWORK_JWT_JWKS_URL"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def test_the_token_command_prints_a_token_for_the_given_actor(
    var_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ensure_dev_key(Settings())  # as `casework up` does

    code = main(["token", "--role", "front_office", "--jurisdiction", "532302101", "--sub", "w1"])

    out = capsys.readouterr().out
    assert code == 0
    assert TokenVerifier(Settings()).verify(out.strip()) == Actor(
        id="w1", role=Role.FRONT_OFFICE, jurisdiction="532302101"
    )


def test_the_token_command_rejects_a_bad_jurisdiction_with_exit_code_2(
    var_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ensure_dev_key(Settings())
    code = main(["token", "--role", "front_office", "--jurisdiction", "53230", "--sub", "w1"])

    captured = capsys.readouterr()
    assert code == 2
    assert captured.out == ""
    assert "--jurisdiction" in captured.err


def test_issue19_the_token_command_outside_the_project_refuses_instead_of_creating_a_key(
    var_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Issue 19: run where no `casework up` keeps its var/, a new key would sign tokens the API rejects."""
    code = main(["token", "--role", "front_office", "--jurisdiction", "532302101", "--sub", "w1"])

    captured = capsys.readouterr()
    assert code == 1
    assert captured.out == ""
    key = (var_dir / "keys" / "jwt-dev-hs256.key").resolve()
    assert str(key) in captured.err
    assert "CASEWORK_VAR_DIR" in captured.err
    assert not key.exists()


def test_the_token_command_with_a_configured_secret_needs_no_key_file(
    var_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CASEWORK_JWT_SECRET", "s" * 48)

    code = main(["token", "--role", "front_office", "--jurisdiction", "532302101", "--sub", "w1"])

    assert code == 0
    assert TokenVerifier(Settings()).verify(capsys.readouterr().out.strip()).id == "w1"
    assert not (var_dir / "keys").exists()
