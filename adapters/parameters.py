"""Reading parameter books from JSON files (the shipped 禄丰市 book, or one named in settings)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from domain.parameters import ParameterBook

DEFAULT_BOOK = Path(__file__).resolve().parent.parent / "domain" / "data" / "parameters_532302.json"


class ParameterBookUnusable(RuntimeError):
    """The configured parameter book cannot be read: a process must refuse to start rather than let every
    decision's activity retry forever."""


def check_parameter_book(path: Path | None) -> ParameterBook:
    """Read the configured book once at start (``None``: the shipped one).

    Raises:
        ParameterBookUnusable: the file is missing, unreadable, not JSON or not a valid book — the message names
            the setting and the path, never the book's content.
    """
    target = path or DEFAULT_BOOK
    where = f"CASEWORK_PARAMETERS_FILE={target}" if path is not None else f"the shipped parameter book {target}"
    if not target.is_file():
        raise ParameterBookUnusable(f"{where}: no such file (参数文件不存在)")
    try:
        return ParameterFile(target).book()
    except OSError as err:
        raise ParameterBookUnusable(f"{where}: cannot be read: {err.strerror} (参数文件无法读取)") from err
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ParameterBookUnusable(f"{where}: not a UTF-8 JSON file ({err}) (参数文件不是 UTF-8 JSON)") from err
    except ValueError as err:  # pydantic's ValidationError is a ValueError
        first = str(err).splitlines()[0]
        raise ParameterBookUnusable(f"{where}: not a valid parameter book: {first} (参数文件内容无效)") from err


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
        self._sha256 = ""

    def book(self) -> ParameterBook:
        mtime = self.path.stat().st_mtime
        if self._book is None or mtime != self._mtime:
            raw = self.path.read_bytes()
            self._book = ParameterBook.load(json.loads(raw.decode("utf-8")))
            self._sha256 = hashlib.sha256(raw).hexdigest()
            self._mtime = mtime
        return self._book

    def sha256(self) -> str:
        """The digest of the book as it stands (re-read when the file changed): it names the book a decision
        computed with, so a case can tell that a version was added since it loaded its parameters."""
        return self.current()[1]

    def current(self) -> tuple[ParameterBook, str]:
        """The book and its digest, read together (never a book with another book's digest)."""
        book = self.book()
        return book, self._sha256
