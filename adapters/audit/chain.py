"""The audit ledger's hash chain, as pure functions: canonical JSON, digests, entry hashes and verification.

Every entry's hash covers all of its fields and the hash of the entry before it::

    entry_hash = H(canonical_json({position, entry_key, kind, case_id, seq, actor_id, actor_role,
                                   recorded_at, content, algorithm, prev_hash}))

so changing any field of any entry, removing one, or reordering them breaks the chain at that entry (a rewrite
of the whole tail from some entry on is caught by signed checkpoints, :mod:`adapters.audit.checkpoints`). H is
SHA-256 by default or SM3 (GB/T 32905-2016) for deployments under the commercial-cryptography rules; each
entry names its own algorithm, so a deployment can switch without rewriting the past.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from cryptography.hazmat.primitives import hashes

#: The previous hash of the first entry.
GENESIS = "0" * 64


class Algorithm(StrEnum):
    SHA256 = "sha256"
    SM3 = "sm3"


_HASHES = {Algorithm.SHA256: hashes.SHA256, Algorithm.SM3: hashes.SM3}
_ALGORITHMS = frozenset(a.value for a in Algorithm)


class EntryKind(StrEnum):
    DECISION = "decision"  # an event recorded on a case (accepted command or automatic transition)
    REFUSAL = "refusal"  # a command refused by a validator, the domain or the policy table
    ACCESS = "access"  # an audit read: trail, history export, replay, as-of re-evaluation
    HISTORY_SEALED = "history_sealed"  # the hashes of a closed case's exported histories
    RESERVE_FUND = "reserve_fund"  # a movement of a township's 临时救助 reserve fund (a grant drawn, a replenishment)


def canonical_json(value: Any) -> str:
    """One text for one value: sorted keys, no spaces, UTF-8 as is (what is hashed and stored)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def digest(algorithm: Algorithm | str, data: bytes) -> str:
    """The hex digest of ``data`` with ``algorithm``."""
    h = hashes.Hash(_HASHES[Algorithm(algorithm)]())
    h.update(data)
    return h.finalize().hex()


def timestamp(at: datetime) -> str:
    """The instant as hashed: UTC, microseconds (what PostgreSQL's timestamptz keeps)."""
    return at.astimezone(UTC).isoformat(timespec="microseconds")


@dataclass(frozen=True, slots=True)
class Entry:
    """One ledger entry as stored."""

    position: int
    entry_key: str
    kind: str
    case_id: str | None
    seq: int | None
    actor_id: str
    actor_role: str
    recorded_at: datetime
    content: str
    algorithm: str
    prev_hash: str
    entry_hash: str

    @classmethod
    def of_row(cls, row: Mapping[str, Any]) -> Entry:
        case_id = row["case_id"]
        return cls(position=row["position"], entry_key=row["entry_key"], kind=row["kind"],
                   case_id=str(case_id) if case_id is not None else None, seq=row["seq"],
                   actor_id=row["actor_id"], actor_role=row["actor_role"], recorded_at=row["recorded_at"],
                   content=row["content"], algorithm=row["algorithm"], prev_hash=row["prev_hash"],
                   entry_hash=row["entry_hash"])


def entry_hash(*, position: int, entry_key: str, kind: str, case_id: str | None, seq: int | None, actor_id: str,
               actor_role: str, recorded_at: datetime, content: str, algorithm: str, prev_hash: str) -> str:
    """The hash an entry with these fields must carry."""
    covered = canonical_json({
        "position": position, "entry_key": entry_key, "kind": kind, "case_id": case_id, "seq": seq,
        "actor_id": actor_id, "actor_role": actor_role, "recorded_at": timestamp(recorded_at), "content": content,
        "algorithm": algorithm, "prev_hash": prev_hash,
    })
    return digest(algorithm, covered.encode())


def seal(*, position: int, entry_key: str, kind: str, case_id: str | None, seq: int | None, actor_id: str,
         actor_role: str, recorded_at: datetime, content: str, algorithm: Algorithm, prev_hash: str) -> Entry:
    """A new entry chained onto ``prev_hash``."""
    fields: dict[str, Any] = {
        "position": position, "entry_key": entry_key, "kind": kind, "case_id": case_id, "seq": seq,
        "actor_id": actor_id, "actor_role": actor_role, "recorded_at": recorded_at, "content": content,
        "algorithm": algorithm.value, "prev_hash": prev_hash,
    }
    return Entry(**fields, entry_hash=entry_hash(**fields))


@dataclass(frozen=True, slots=True)
class Break:
    """The first place the chain does not hold.

    ``problem``: ``missing_entry`` (positions jump: the entry at ``position`` was removed or renumbered),
    ``content_changed`` (the entry's fields no longer give its hash), ``chain_broken`` (the entry's previous
    hash is not the hash of the entry before it), ``unknown_algorithm``.
    """

    position: int
    problem: str
    entry_key: str | None = None

    def describe(self) -> str:
        where = f"entry {self.position}" + (f" ({self.entry_key})" if self.entry_key else "")
        return f"{where}: {self.problem.replace('_', ' ')}"


class ChainVerifier:
    """Feed entries in position order; the first :class:`Break` is kept. Streams: holds one entry at a time."""

    def __init__(self) -> None:
        self.count = 0
        self.head: Entry | None = None
        self.broken: Break | None = None

    def feed(self, entry: Entry) -> Break | None:
        if self.broken is not None:
            return self.broken
        expected_position = (self.head.position if self.head else 0) + 1
        expected_prev = self.head.entry_hash if self.head else GENESIS
        self.count += 1
        if entry.position != expected_position:
            # Entries from expected_position up to entry.position - 1 are gone (or this one was renumbered).
            self.broken = Break(expected_position, "missing_entry")
        elif entry.algorithm not in _ALGORITHMS:
            self.broken = Break(entry.position, "unknown_algorithm", entry.entry_key)
        elif entry_hash(**{f: getattr(entry, f) for f in _HASHED}) != entry.entry_hash:
            self.broken = Break(entry.position, "content_changed", entry.entry_key)
        elif entry.prev_hash != expected_prev:
            self.broken = Break(entry.position, "chain_broken", entry.entry_key)
        self.head = entry
        return self.broken


_HASHED = ("position", "entry_key", "kind", "case_id", "seq", "actor_id", "actor_role", "recorded_at", "content",
           "algorithm", "prev_hash")


def verify(entries: Iterable[Entry]) -> tuple[int, Break | None]:
    """Verify a whole chain: (entries read, the first break or None)."""
    verifier = ChainVerifier()
    for entry in entries:
        if verifier.feed(entry) is not None:
            break
    return verifier.count, verifier.broken


def event_digest(algorithm: Algorithm | str, payload: Mapping[str, Any]) -> str:
    """The digest of a recorded event (its JSON as stored in ``case_events.payload``)."""
    return digest(algorithm, canonical_json(payload).encode())


def decision_content(payload: Mapping[str, Any], algorithm: Algorithm | str) -> dict[str, Any]:
    """What a decision entry says about its event: who, when, why, on what basis and parameters, and the
    event's digest (which pins every other field of the event, including personal data kept out of the
    ledger itself)."""
    actor = payload.get("actor") or {}
    return {
        "type": payload.get("type"),
        "at": payload.get("at"),
        "actor": {"id": actor.get("id"), "role": actor.get("role"), "jurisdiction": actor.get("jurisdiction")},
        "reason": payload.get("reason"),
        "legal_basis": list(payload.get("legal_basis") or []),
        "parameter_set_version": payload.get("parameter_set_version"),
        "event_digest": event_digest(algorithm, payload),
    }
