"""The audit ledger in PostgreSQL: append (idempotent, one chain for the whole database) and verify.

Appends take a transaction-scoped advisory lock, so entries from every process form one chain; the lock is
taken last in the caller's transaction (after its other writes) and held only until that transaction
commits. An entry whose key is already in the ledger is skipped: an activity retry, a replayed write or a
resent request appends nothing.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import asyncpg

from adapters.audit.chain import (
    GENESIS,
    Algorithm,
    Break,
    ChainVerifier,
    Entry,
    EntryKind,
    canonical_json,
    decision_content,
    event_digest,
    seal,
)
from domain.actors import Actor
from domain.events import CaseEvent

_LOCK_KEY = 0x6C65_6467  # "ledg": the ledger's advisory-lock key

_HEAD = "SELECT position, entry_hash FROM audit_ledger ORDER BY position DESC LIMIT 1"
_KNOWN = "SELECT entry_key FROM audit_ledger WHERE entry_key = ANY($1::text[])"
#: The head and which of the keys are in the ledger already, in one round trip (always one row; issue 18).
_HEAD_AND_KNOWN = f"""
SELECT h.position, h.entry_hash, ARRAY({_KNOWN}) AS known
FROM (SELECT 1) AS one LEFT JOIN ({_HEAD}) AS h ON true
"""
_INSERT = """
INSERT INTO audit_ledger (position, entry_key, kind, case_id, seq, actor_id, actor_role, recorded_at, content,
                          algorithm, prev_hash, entry_hash)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
"""
_ALL = "SELECT * FROM audit_ledger ORDER BY position"
_OF_CASE = "SELECT * FROM audit_ledger WHERE case_id = $1 AND ($2::text IS NULL OR kind = $2) ORDER BY position"


@dataclass(frozen=True, slots=True)
class NewEntry:
    """An entry to append: its idempotency key, kind, case, who, and what it says (JSON-able)."""

    entry_key: str
    kind: EntryKind
    actor_id: str
    actor_role: str
    content: dict[str, Any]
    case_id: UUID | None = None
    seq: int | None = None


def decision_entry(event: CaseEvent, algorithm: Algorithm) -> NewEntry:
    """The ledger entry of a recorded event, keyed by case and sequence (never by workflow run)."""
    payload = event.model_dump(mode="json")
    return NewEntry(entry_key=f"decision:{event.case_id}:{event.seq}", kind=EntryKind.DECISION,
                    actor_id=event.actor.id, actor_role=event.actor.role.value,
                    content=decision_content(payload, algorithm), case_id=event.case_id, seq=event.seq)


def actor_entry(kind: EntryKind, key: str, actor: Actor, content: dict[str, Any],
                case_id: UUID | None = None) -> NewEntry:
    """A refusal or an access by a person: who (id, role, jurisdiction) and what."""
    return NewEntry(entry_key=key, kind=kind, actor_id=actor.id, actor_role=actor.role.value,
                    content={"actor_jurisdiction": actor.jurisdiction, **content}, case_id=case_id)


class Ledger:
    """Appends to and reads the ledger with one hash algorithm (entries keep the one they were made with)."""

    def __init__(self, algorithm: Algorithm | str = Algorithm.SHA256,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.algorithm = Algorithm(algorithm)
        self._clock = clock

    async def append(self, conn: asyncpg.Connection, entries: Sequence[NewEntry]) -> list[Entry]:
        """Append the entries not yet in the ledger, in order, inside the caller's transaction.

        Returns:
            The entries appended (none for keys already there).
        """
        if not entries:
            return []
        if not conn.is_in_transaction():
            raise RuntimeError("Ledger.append needs a transaction (the lock is transaction-scoped)")
        await conn.execute("SELECT pg_advisory_xact_lock($1)", _LOCK_KEY)
        head = await conn.fetchrow(_HEAD_AND_KNOWN, [e.entry_key for e in entries])
        known = set(head["known"])
        position, prev = (head["position"], head["entry_hash"]) if head["position"] is not None else (0, GENESIS)
        now = self._clock()
        added: list[Entry] = []
        for new in entries:
            if new.entry_key in known:
                continue
            known.add(new.entry_key)
            position += 1
            entry = seal(position=position, entry_key=new.entry_key, kind=new.kind.value,
                         case_id=str(new.case_id) if new.case_id else None, seq=new.seq, actor_id=new.actor_id,
                         actor_role=new.actor_role, recorded_at=now, content=canonical_json(new.content),
                         algorithm=self.algorithm, prev_hash=prev)
            prev = entry.entry_hash
            added.append(entry)
        await conn.executemany(_INSERT, [
            (e.position, e.entry_key, e.kind, UUID(e.case_id) if e.case_id else None, e.seq, e.actor_id,
             e.actor_role, e.recorded_at, e.content, e.algorithm, e.prev_hash, e.entry_hash) for e in added
        ])
        return added

    async def append_now(self, pool: asyncpg.Pool, entries: Sequence[NewEntry]) -> list[Entry]:
        """Append in a transaction of its own."""
        async with pool.acquire() as conn, conn.transaction():
            return await self.append(conn, entries)

    def decisions(self, events: Sequence[CaseEvent]) -> list[NewEntry]:
        return [decision_entry(ev, self.algorithm) for ev in events]


async def case_entries(pool: asyncpg.Pool, case_id: UUID, kind: EntryKind | None = None) -> list[Entry]:
    """A case's entries (of one kind, or all), in chain order."""
    return [Entry.of_row(r) for r in await pool.fetch(_OF_CASE, case_id, kind.value if kind else None)]


async def _stream(conn: asyncpg.Connection) -> AsyncIterator[Entry]:
    async for row in conn.cursor(_ALL, prefetch=5000):
        yield Entry.of_row(row)


@dataclass(frozen=True, slots=True)
class Verification:
    """What ``casework audit verify`` found."""

    entries: int
    head_position: int
    head_hash: str
    broken: Break | None
    events_checked: int
    event_problems: list[dict[str, Any]]

    @property
    def ok(self) -> bool:
        return self.broken is None and not self.event_problems

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "entries": self.entries, "head_position": self.head_position,
                "head_hash": self.head_hash,
                "first_break": None if self.broken is None else {
                    "position": self.broken.position, "problem": self.broken.problem,
                    "entry_key": self.broken.entry_key, "message": self.broken.describe()},
                "events_checked": self.events_checked, "event_problems": self.event_problems}


_EVENTS_VS_LEDGER = """
SELECT coalesce(l.case_id, e.case_id) AS case_id, coalesce(l.seq, e.seq) AS seq, l.position, l.algorithm,
       l.content, e.payload
FROM (SELECT * FROM audit_ledger WHERE kind = 'decision') l
FULL OUTER JOIN case_events e ON e.case_id = l.case_id AND e.seq = l.seq
ORDER BY 1, 2
"""


async def verify_ledger(pool: asyncpg.Pool, *, check_events: bool = True, max_problems: int = 20) -> Verification:
    """Recompute the whole chain (streaming) and, unless told not to, check every recorded event against its
    decision entry: an event changed, added or removed in ``case_events`` shows up here."""
    verifier = ChainVerifier()
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
        async for entry in _stream(conn):
            if verifier.feed(entry) is not None:
                break
        problems: list[dict[str, Any]] = []
        checked = 0
        if check_events:
            async for row in conn.cursor(_EVENTS_VS_LEDGER, prefetch=5000):
                checked += 1
                problem = _event_problem(row)
                if problem is not None and len(problems) < max_problems:
                    problems.append({"case_id": str(row["case_id"]), "seq": row["seq"],
                                     "position": row["position"], "problem": problem})
    head = verifier.head
    return Verification(entries=verifier.count, head_position=head.position if head else 0,
                        head_hash=head.entry_hash if head else GENESIS, broken=verifier.broken,
                        events_checked=checked, event_problems=problems)


def _event_problem(row: asyncpg.Record) -> str | None:
    if row["position"] is None:
        return "event_not_in_ledger"
    if row["payload"] is None:
        return "event_missing"
    recorded = json.loads(row["content"]).get("event_digest")
    return None if recorded == event_digest(row["algorithm"], row["payload"]) else "event_changed"
