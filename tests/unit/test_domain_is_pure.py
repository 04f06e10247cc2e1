"""The domain package does no I/O and reads no clock or randomness (STYLE guidelines 1 and 14)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

DOMAIN = Path(__file__).resolve().parents[2] / "domain"
FORBIDDEN = {"temporalio", "asyncpg", "fastapi", "structlog", "starlette", "uvicorn", "httpx", "os", "socket",
             "random", "secrets", "time"}


def impurities(source: str) -> list[str]:
    """Forbidden imports and clock or randomness calls in ``source``."""
    found: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names if a.name.split(".")[0] in FORBIDDEN]
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module.split(".")[0] in FORBIDDEN:
            found.append(node.module)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "uuid4":
            found.append("uuid4()")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            owner = node.func.value
            owner_name = owner.id if isinstance(owner, ast.Name) else getattr(owner, "attr", "")
            if node.func.attr == "uuid4" or (
                node.func.attr in {"now", "utcnow", "today"} and owner_name in {"datetime", "date"}
            ):
                found.append(f"{owner_name}.{node.func.attr}()")
    return found


@pytest.mark.parametrize(
    "source",
    [
        "import os", "import os.path", "import asyncpg, json", "import structlog as log", "import time",
        "from temporalio import workflow", "from temporalio.workflow import now", "from random import choice",
        "from datetime import datetime\nx = datetime.now()",
        "import datetime\nx = datetime.datetime.utcnow()",
        "from datetime import date\nx = date.today()",
        "import uuid\nx = uuid.uuid4()",
        "from uuid import uuid4\nx = uuid4()",
    ],
)
def test_the_checker_flags_io_clock_and_randomness(source: str) -> None:
    assert impurities(source)


def test_the_checker_accepts_pure_code() -> None:
    source = (
        "from __future__ import annotations\nfrom datetime import datetime, timedelta, timezone\n"
        "from uuid import UUID\nimport re\nfrom . import errors\nfrom domain.errors import InvalidInput\n"
        "x = datetime(2026, 1, 1, tzinfo=timezone.utc).astimezone(timezone(timedelta(hours=8)))\n"
        "def now(ctx): return ctx.now\n"
    )
    assert impurities(source) == []


def test_domain_modules_import_no_io_and_read_no_clock() -> None:
    """STYLE guideline 1: decide/evolve are pure; the clock is injected through DecisionContext."""
    files = sorted(DOMAIN.rglob("*.py"))
    names = {str(p.relative_to(DOMAIN)) for p in files}
    assert {"kernel/programme.py", "programmes/dibao/procedure.py", "identity.py", "divisions.py"} <= names

    found = {str(p.relative_to(DOMAIN)): impurities(p.read_text(encoding="utf-8")) for p in files}

    assert {name: what for name, what in found.items() if what} == {}


#: The layers that use the domain: the domain imports none of them (issue 14).
CLIENTS = {"api", "worker", "workflows", "activities", "infra", "adapters", "services", "cli", "devstack", "bench",
           "tests"}


def _imported_modules(source: str) -> list[str]:
    out: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            out += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            out.append(node.module)
    return out


def test_the_domain_imports_none_of_its_clients() -> None:
    found = {str(p.relative_to(DOMAIN)): [m for m in _imported_modules(p.read_text(encoding="utf-8"))
                                          if m.split(".")[0] in CLIENTS]
             for p in DOMAIN.rglob("*.py")}
    assert {name: mods for name, mods in found.items() if mods} == {}


def test_the_kernel_imports_no_programme() -> None:
    """The kernel is programme-independent: programmes build on it, never the other way round."""
    found = {str(p.relative_to(DOMAIN)): [m for m in _imported_modules(p.read_text(encoding="utf-8"))
                                          if m.startswith("domain.programmes")]
             for p in (DOMAIN / "kernel").rglob("*.py")}
    assert {name: mods for name, mods in found.items() if mods} == {}
