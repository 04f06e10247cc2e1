"""Parameter books for tests: the shipped 禄丰市 book, or a copy with changed values."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from adapters.parameters import DEFAULT_BOOK


def book_with(path: Path, **values: Any) -> Path:
    """Write a copy of the shipped book whose every version has ``values`` replaced; return its path."""
    book = json.loads(DEFAULT_BOOK.read_text(encoding="utf-8"))
    for version in book["versions"]:
        version["values"].update(values)
        version["version"] += "-test"
    path.write_text(json.dumps(book, ensure_ascii=False), encoding="utf-8")
    return path


def fast_publicity_book(path: Path, seconds: int = 2) -> Path:
    """A book whose 公示 window closes after ``seconds`` of wall time (dev-server tests cannot skip time)."""
    return book_with(path, publicity_unit="second", publicity_period=seconds)
