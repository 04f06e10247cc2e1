"""Canary values and the byte-wise search for them (issue 7 item 2, tests/e2e/test_canary.py).

A canary is a distinctive personal value (a name, a resident ID number, a bank account, a free text) sent to
the engine so that it can be looked for afterwards in every place it must never reach in the clear. The
search is byte-wise and looks for each canary in every form a careless path could write it in: UTF-8, UTF-16
(both byte orders), GBK, JSON ``\\uXXXX`` escapes, percent-encoding, and base64 (standard and URL-safe, in all
three alignments, since a payload left unencrypted is base64 inside JSON).
"""

from __future__ import annotations

import base64
import contextlib
import random
import re
import string
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

from domain.identity import check_character

#: The common prefixes of every canary: a hit on one of these alone is a leak of a fragment.
ZH_PREFIX = "金丝雀"
LATIN_PREFIX = "Jinsique"


@dataclass(frozen=True)
class Canary:
    value: str
    kind: str  # name | resident_id | account | text | reason | prefix
    #: Sent only in requests the engine refuses: expected nowhere, not even in PostgreSQL.
    refused: bool = False
    #: Accepted, but nothing needs to keep it (an alert for a person in no case).
    kept: bool = True


@dataclass
class Canaries:
    """Draws canaries and remembers them."""

    rng: random.Random = field(default_factory=random.Random)
    all: list[Canary] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.all += [Canary(ZH_PREFIX, "prefix", kept=False), Canary(LATIN_PREFIX, "prefix", kept=False)]

    def _add(self, value: str, kind: str, refused: bool) -> str:
        self.all.append(Canary(value, kind, refused, kept=not refused))
        return value

    def _cjk(self, n: int) -> str:
        return "".join(chr(self.rng.randrange(0x4E00, 0x9FA6)) for _ in range(n))

    def zh_name(self, *, refused: bool = False) -> str:
        return self._add(ZH_PREFIX + self._cjk(3), "name", refused)

    def latin_name(self, *, refused: bool = False) -> str:
        return self._add(f"{LATIN_PREFIX} {self._letters(8).capitalize()}", "name", refused)

    def _id_body(self, birth_year: int) -> str:
        day = date(birth_year, 1, 1) + timedelta(days=self.rng.randrange(365))
        return f"532302{day:%Y%m%d}{self.rng.randrange(1000):03d}"

    def resident_id(self, birth_year: int = 1980, *, refused: bool = False, kept: bool = True) -> str:
        """A valid GB 11643-1999 number of 禄丰市 (532302) with a random birth date and sequence."""
        body = self._id_body(birth_year)
        value = body + check_character(body)
        self.all.append(Canary(value, "resident_id", refused, kept and not refused))
        return value

    def bad_resident_id(self) -> str:
        """A canary resident ID number with a wrong check character (for 422 paths)."""
        body = self._id_body(1980)
        bad = body + next(c for c in "0123456789X" if c != check_character(body))
        return self._add(bad, "resident_id", True)

    def _letters(self, n: int, alphabet: str = string.ascii_lowercase) -> str:
        return "".join(self.rng.choice(alphabet) for _ in range(n))

    def account(self, *, refused: bool = False) -> str:
        """A 19-digit bank card number."""
        return self._add("6217" + self._letters(15, string.digits), "account", refused)

    def text(self, label: str, *, kind: str = "text", refused: bool = False) -> tuple[str, str]:
        """A free text around a fresh canary token; returns (the text, the token)."""
        token = self._add(ZH_PREFIX + self._cjk(4), kind, refused)
        latin = self._add(LATIN_PREFIX + self._letters(10), kind, refused)
        return f"{label}：{token}（{latin}）", token

    def values(self) -> list[str]:
        return [c.value for c in self.all]


def _base64_fragments(raw: bytes) -> Iterator[bytes]:
    """The base64 characters determined by ``raw`` alone, for each of the three alignments it can start at."""
    n = len(raw)
    for k in range(3):
        for enc in (base64.b64encode, base64.urlsafe_b64encode):
            encoded = enc(b"\0" * k + raw)
            start = -(-8 * k // 6)  # ceil(8k / 6): the first 6-bit group wholly inside raw
            end = (8 * (k + n)) // 6  # the groups that end inside raw
            fragment = encoded[start:end]
            if len(fragment) >= 4:
                yield fragment


def forms(value: str) -> dict[str, bytes]:
    """Every byte form of ``value`` the search looks for, by name."""
    utf8 = value.encode()
    out: dict[str, bytes] = {
        "utf-8": utf8,
        "utf-16-le": value.encode("utf-16-le"),
        "utf-16-be": value.encode("utf-16-be"),
    }
    if not value.isascii():
        with contextlib.suppress(UnicodeEncodeError):
            out["gbk"] = value.encode("gbk")
        escaped = "".join(c if c.isascii() else f"\\u{ord(c):04x}" for c in value)
        out["json-escape"] = escaped.encode()
        out["json-escape-upper"] = "".join(c if c.isascii() else f"\\u{ord(c):04X}" for c in value).encode()
        out["percent"] = quote(value, safe="").encode()
        out["percent-lower"] = quote(value, safe="").lower().encode()
    for i, fragment in enumerate(_base64_fragments(utf8)):
        out[f"base64-{i}"] = fragment
    return out


@dataclass(frozen=True)
class Hit:
    where: str
    canary: str
    form: str
    offset: int

    def context(self, data: bytes, width: int = 120) -> str:
        return data[max(0, self.offset - width) : self.offset + width].decode("utf-8", "replace")


class Patterns:
    """Every form of every canary, searchable in one pass: a regex over the trie of all the forms finds each
    position where some form starts (a zero-width lookahead, so overlapping forms are all found)."""

    def __init__(self, canaries: Iterable[str]) -> None:
        self.values = list(canaries)
        self.forms: dict[bytes, list[tuple[str, str]]] = {}
        for value in self.values:
            for name, pattern in forms(value).items():
                self.forms.setdefault(pattern, []).append((value, name))
        self.by_first: dict[int, list[bytes]] = {}
        for pattern in self.forms:
            self.by_first.setdefault(pattern[0], []).append(pattern)
        self.regex = re.compile(b"(?=" + _trie_regex(list(self.forms)) + b")", re.DOTALL)

    def __len__(self) -> int:
        return sum(map(len, self.forms.values()))


def _trie_regex(words: list[bytes]) -> bytes:
    trie: dict[int, Any] = {}
    for word in words:
        node = trie
        for byte in word:
            node = node.setdefault(byte, {})
        node[-1] = {}  # end of a word

    def walk(node: dict[int, Any]) -> bytes:
        branches = [re.escape(bytes([k])) + walk(child) for k, child in sorted(node.items()) if k != -1]
        if not branches:
            return b""
        body = branches[0] if len(branches) == 1 else b"(?:" + b"|".join(branches) + b")"
        return b"(?:" + body + b")?" if -1 in node else body

    return walk(trie)


def search(where: str, data: bytes, patterns: Patterns) -> list[Hit]:
    """Every canary, in every form, in ``data`` (one hit per canary and form: the first)."""
    seen: dict[tuple[str, str], Hit] = {}
    for match in patterns.regex.finditer(data):
        at = match.start()
        for pattern in patterns.by_first[data[at]]:
            if data.startswith(pattern, at):
                for value, name in patterns.forms[pattern]:
                    seen.setdefault((value, name), Hit(where, value, name, at))
    return list(seen.values())


def files_under(root: Path, *, exclude: Iterable[Path] = ()) -> list[Path]:
    skip = [p.resolve() for p in exclude]
    return sorted(
        p for p in root.rglob("*") if p.is_file() and not any(p.resolve().is_relative_to(s) for s in skip)
    )
