"""Reading parameter books from JSON files (the shipped 禄丰市 book, or one named in settings)."""

from __future__ import annotations

import json
from pathlib import Path

from domain.parameters import ParameterBook

DEFAULT_BOOK = Path(__file__).resolve().parent.parent / "domain" / "data" / "parameters_532302.json"


class ParameterFile:
    """A parameter book file, re-read when it changes on disk, so a new version (say, a higher standard
    from 1 July) applies from its effective date without a restart or a code change.

    Args:
        path: the JSON file.
    """

    def __init__(self, path: Path = DEFAULT_BOOK) -> None:
        self.path = path
        self._mtime: float | None = None
        self._book: ParameterBook | None = None

    def book(self) -> ParameterBook:
        mtime = self.path.stat().st_mtime
        if self._book is None or mtime != self._mtime:
            self._book = ParameterBook.load(json.loads(self.path.read_text(encoding="utf-8")))
            self._mtime = mtime
        return self._book
