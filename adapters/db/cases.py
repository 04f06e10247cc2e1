"""The case store: one row per case and one per recorded event, written by the workflow's activity.

Writes are idempotent and order-safe: events are keyed by ``(case_id, seq)`` and inserted with
``ON CONFLICT DO NOTHING``; the case row only moves forward (a write with a version not above the stored one
changes nothing), so an activity retry or a replayed write never duplicates an event or moves a case back.
"""

from __future__ import annotations

import json
from typing import Any, Protocol
from uuid import UUID

import asyncpg
from pydantic import TypeAdapter

from adapters.audit.ledger import Ledger
from adapters.db.case_queries import list_columns, outcome_of
from adapters.db.payments import withdraw_lines
from domain.events import CaseEvent, PaymentLinesWithdrawn, ReferralRecorded
from domain.ids import workflow_id_for
from domain.kernel.state import EarlierCase, PaidMonth
from domain.programmes import CaseState, is_overdue

_INSERT_EVENT = """
INSERT INTO case_events (case_id, seq, type, at, actor_id, actor_role, actor_jurisdiction, payload)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
ON CONFLICT (case_id, seq) DO NOTHING
"""

_UPSERT_CASE = """
INSERT INTO cases (case_id, workflow_id, program, stage, village_code, township_code, county_code,
                   household_size, version, opened_at, stage_since, updated_at, area_type, monthly_amount,
                   first_payment_month, stop_effective_month, next_review_due, overdue, state,
                   pending_step, pending_roles, pending_due, decided_at, outcome)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19,
        $20, $21, $22, $23, $24)
ON CONFLICT (case_id) DO UPDATE SET
    stage = EXCLUDED.stage,
    household_size = EXCLUDED.household_size,
    version = EXCLUDED.version,
    stage_since = EXCLUDED.stage_since,
    updated_at = EXCLUDED.updated_at,
    area_type = EXCLUDED.area_type,
    monthly_amount = EXCLUDED.monthly_amount,
    first_payment_month = EXCLUDED.first_payment_month,
    stop_effective_month = EXCLUDED.stop_effective_month,
    next_review_due = EXCLUDED.next_review_due,
    overdue = EXCLUDED.overdue,
    state = EXCLUDED.state,
    pending_step = EXCLUDED.pending_step,
    pending_roles = EXCLUDED.pending_roles,
    pending_due = EXCLUDED.pending_due,
    decided_at = EXCLUDED.decided_at,
    outcome = EXCLUDED.outcome
WHERE cases.version < EXCLUDED.version
RETURNING case_id
"""

_DELETE_PERIODS = "DELETE FROM benefit_periods WHERE case_id = $1"
#: A referral recorded on the case, listed for the receiving programme's window (migration 0014). A retried
#: record writes nothing twice (the event's own insert would fail first; the id makes it safe besides).
_INSERT_REFERRAL = """
INSERT INTO referrals (referral_id, from_case_id, from_seq, from_program, to_program, village_code, township_code,
                       county_code, member_indexes, referred_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
ON CONFLICT (referral_id) DO NOTHING
"""

_INSERT_PERIOD = """
INSERT INTO benefit_periods (case_id, from_month, monthly_amount, household_size, parameter_set_version, seq)
VALUES ($1, $2, $3, $4, $5, $6)
"""

# A line withdrawn before it was paid (adapters.db.payments.withdraw_lines) was never paid.
_PAID_MONTHS = "SELECT month, amount FROM payment_lines WHERE case_id = $1 AND withdrawn_seq IS NULL ORDER BY month"
_GET_CASE = "SELECT * FROM cases WHERE case_id = $1"
_GET_EVENTS = "SELECT seq, type, payload FROM case_events WHERE case_id = $1 ORDER BY seq"
#: One writer per case at a time (advisory lock, transaction-scoped; the two-key space never meets the ledger's
#: one-key lock): a retried record after a lost workflow task and a late write of the lost attempt never both
#: find the seqs free.
_LOCK_CASE = "SELECT pg_advisory_xact_lock(1667330917, hashtext($1::text))"
_STORED_SEQS = "SELECT payload FROM case_events WHERE case_id = $1 AND seq BETWEEN $2 AND $3 ORDER BY seq"
_EVENTS: TypeAdapter[list[CaseEvent]] = TypeAdapter(list[CaseEvent])


class CaseStore(Protocol):
    """Port for recording case transitions."""

    async def record(self, state: CaseState, events: list[CaseEvent]) -> list[CaseEvent] | None: ...

    async def paid_months(self, case_id: UUID) -> list[PaidMonth]: ...


class PgCaseStore:
    """PostgreSQL case store. It does not own the pool it is given and never closes it.

    Every recorded event is also appended to the audit ledger (keyed by case and sequence), in the same
    transaction: an event is in ``case_events`` exactly when its decision entry is in the ledger.
    """

    def __init__(self, pool: asyncpg.Pool, ledger: Ledger | None = None) -> None:
        self._pool = pool
        self._ledger = ledger or Ledger()

    async def record(self, state: CaseState, events: list[CaseEvent]) -> list[CaseEvent] | None:
        """Record new events and the case's state after them, in one transaction; roll lines an event withdraws
        are marked withdrawn, and the members of a closed or refused case are released so they may apply again
        (:func:`releases_members`).

        Exactly once per case and seq: when any seq of ``events`` is recorded already, nothing at all is written
        (events, case row, ledger, roll lines, referrals). A retry of the same write then changes nothing; a
        retry that decided the same step again at another instant (a workflow task lost after the record
        committed: a local activity runs again, with the time of the new task) gets the recorded events back,
        and the workflow takes them as what was decided.

        Args:
            state: the state after ``events``.
            events: the events of this transition (may be empty for a state-only refresh).

        Returns:
            None when the events were written now or were recorded exactly so before; otherwise the events
            recorded before under the same seqs (as stored), which the caller must adopt.
        """
        async with self._pool.acquire() as conn, conn.transaction():
            if events:
                await conn.execute(_LOCK_CASE, str(state.case_id))
                stored = await conn.fetch(_STORED_SEQS, state.case_id, events[0].seq, events[-1].seq)
                if stored:
                    recorded = _EVENTS.validate_python(
                        [json.loads(r["payload"]) if isinstance(r["payload"], str) else r["payload"] for r in stored])
                    return None if recorded == events else recorded
            if events:  # one round trip for the batch (a decision often records two: the step and a deadline)
                await conn.executemany(_INSERT_EVENT, [
                    (ev.case_id, ev.seq, ev.type, ev.at, ev.actor.id, ev.actor.role.value, ev.actor.jurisdiction,
                     ev.model_dump(mode="json"))
                    for ev in events
                ])
            moved = await conn.fetchval(
                _UPSERT_CASE,
                state.case_id,
                workflow_id_for(state.case_id),
                state.program.value,
                state.stage.value,
                state.village_code,
                state.township_code,
                state.county_code,
                state.household_size,
                state.version,
                state.opened_at,
                state.stage_since,
                state.updated_at,
                state.area_type.value,
                # the monthly benefit's columns (a programme paying one-off amounts has none of them)
                getattr(state, "monthly_amount", None),
                getattr(state, "first_payment_month", None),
                getattr(state, "stop_effective_month", None),
                getattr(state, "next_review_due", None),
                is_overdue(state),
                state.model_dump(mode="json"),
                *list_columns(state),
            )
            if moved is not None:  # this write is the newest version: its benefit periods replace the old
                await conn.execute(_DELETE_PERIODS, state.case_id)
                if state.benefit_periods:  # none before a grant: no round trip for an empty batch
                    await conn.executemany(_INSERT_PERIOD, [
                        (state.case_id, p.from_month, p.monthly_amount, p.household_size, p.parameter_set_version,
                         p.seq)
                        for p in state.benefit_periods
                    ])
            for ev in events:
                if isinstance(ev, PaymentLinesWithdrawn):
                    await withdraw_lines(conn, ev)
                elif isinstance(ev, ReferralRecorded):
                    await conn.execute(_INSERT_REFERRAL, ev.referral_id, ev.case_id, ev.seq, state.program.value,
                                       ev.to_program.value, state.village_code, state.township_code,
                                       state.county_code, list(ev.member_indexes), ev.at)
            if releases_members(state):
                await conn.execute(_RELEASE_MEMBERS, state.case_id)
            await self._ledger.append(conn, self._ledger.decisions(events))  # last: it takes the chain's lock
        return None

    async def paid_months(self, case_id: UUID) -> list[PaidMonth]:
        """Months already on a payment roll for the case, in order."""
        rows = await self._pool.fetch(_PAID_MONTHS, case_id)
        return [PaidMonth(month=r["month"], amount=r["amount"]) for r in rows]

    async def get_case(self, case_id: UUID) -> dict[str, Any] | None:
        """The stored case row, or None."""
        row = await self._pool.fetchrow(_GET_CASE, case_id)
        return dict(row) if row else None

    async def is_opening(self, case_id: UUID) -> bool:
        """The case's members are claimed but its first record has not reached PostgreSQL yet (the moment
        between the create's claim and the workflow's first ``record_case``)."""
        return bool(await self._pool.fetchval(_IS_OPENING, case_id))

    async def get_events(self, case_id: UUID) -> list[dict[str, Any]]:
        """The stored events of a case, in order."""
        return [dict(r) for r in await self._pool.fetch(_GET_EVENTS, case_id)]


def releases_members(state: CaseState) -> bool:
    """Whether the case no longer holds its members: it is closed, or its application was refused.

    A refusal is decided when the approver records it (S1 Art. 21: 不予确认同意 is the decision; the notice
    within 3 working days tells the applicant of a decision already taken), so the household may apply again
    from then on (S1 Art. 4), without waiting for the notice to be served; the refused case still waits for its
    notice. An approved case holds its members until it has exited and its stop notice is served.
    """
    return state.is_closed or outcome_of(state) == "rejected"


_IS_OPENING = """
SELECT EXISTS (SELECT 1 FROM case_members WHERE case_id = $1)
       AND NOT EXISTS (SELECT 1 FROM cases WHERE case_id = $1)
"""
_CLAIM_MEMBERS = """
INSERT INTO case_members (case_id, resident_id, program)
SELECT $1, unnest($2::text[]), $3
"""
_FIND_ACTIVE = """
SELECT case_id FROM case_members WHERE program = $1 AND active AND resident_id = ANY($2::text[]) LIMIT 1
"""
_RELEASE_MEMBERS = "UPDATE case_members SET active = false WHERE case_id = $1 AND active"
#: A member's earlier cases, active or not, of any programme and outcome, newest first (index
#: case_members_resident_idx, migration 0012), with the refusal's reasons from its recorded event. Cases
#: claimed but not yet recorded (no ``cases`` row) are not linked.
_EARLIER_CASES = """
SELECT c.case_id, c.program, c.village_code, c.opened_at, c.outcome, c.decided_at, m.resident_ids,
       r.payload -> 'reasons' AS reasons, c.state ->> 'cause' AS cause
FROM (SELECT case_id, array_agg(resident_id::text) AS resident_ids FROM case_members
      WHERE resident_id = ANY($1::text[]) AND case_id <> $2 GROUP BY case_id) m
JOIN cases c ON c.case_id = m.case_id
LEFT JOIN LATERAL (
    SELECT payload FROM case_events e WHERE e.case_id = c.case_id AND e.type = 'application_rejected'
    ORDER BY e.seq DESC LIMIT 1
) r ON c.outcome = 'rejected'
ORDER BY c.opened_at DESC, c.case_id
LIMIT $3
"""
#: At most this many earlier cases are linked to a new one (the most recent).
MAX_EARLIER_CASES = 20
_DELETE_MEMBERS = "DELETE FROM case_members WHERE case_id = $1"


class RequestMismatch(Exception):
    """An Idempotency-Key was sent again with a different request."""


class MemberAlreadyInCase(Exception):
    """A member already belongs to another active case of the programme."""

    def __init__(self, case_id: UUID) -> None:
        super().__init__(f"a member already belongs to active case {case_id}")
        self.case_id = case_id


class PgCaseMembers:
    """One active case per person and programme. Does not own the pool."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def claim(self, case_id: UUID, program: str, resident_ids: list[str], *, actor_id: str,
                    request_sha256: str) -> None:
        """Record the members of a new case, and the hash of the request that created it.

        Raises:
            RequestMismatch: the case id was claimed before by a different request (a reused Idempotency-Key).
            MemberAlreadyInCase: naming the existing active case (the claim changes nothing then).
        """
        async with self._pool.acquire() as conn, conn.transaction():
            known = await conn.fetchval("SELECT request_sha256 FROM case_requests WHERE case_id = $1", case_id)
            if known is not None:
                if known != request_sha256:
                    raise RequestMismatch
                return  # idempotent: this very request was claimed before (the case may have closed since)
            await conn.execute(
                "INSERT INTO case_requests (case_id, actor_id, request_sha256) VALUES ($1, $2, $3)",
                case_id, actor_id, request_sha256,
            )
            existing = await conn.fetchval(_FIND_ACTIVE, program, resident_ids)
            if existing is not None:
                raise MemberAlreadyInCase(existing)
            try:
                await conn.execute(_CLAIM_MEMBERS, case_id, resident_ids, program)
            except asyncpg.UniqueViolationError:
                other = await self._pool.fetchval(_FIND_ACTIVE, program, resident_ids)
                raise MemberAlreadyInCase(other) from None

    async def earlier_cases(self, case_id: UUID, resident_ids: list[str]) -> tuple[EarlierCase, ...]:
        """The earlier cases of the members of a new case, oldest first: any programme, any outcome, at most
        :data:`MAX_EARLIER_CASES` (the most recent), each with its outcome and decision time as recorded, the
        refusal's reasons for a refused one, and which of ``resident_ids`` (by index) were its members.

        Args:
            case_id: the new case (never linked to itself, e.g. when the same request is sent again).
            resident_ids: the new case's members, in order.
        """
        rows = await self._pool.fetch(_EARLIER_CASES, resident_ids, case_id, MAX_EARLIER_CASES)
        index = {rid: i for i, rid in enumerate(resident_ids)}
        return tuple(
            EarlierCase(
                case_id=r["case_id"],
                program=r["program"],
                village_code=r["village_code"],
                opened_at=r["opened_at"],
                outcome=r["outcome"],
                decided_at=r["decided_at"],
                reasons=tuple(r["reasons"] or ()),
                member_indexes=tuple(sorted(index[rid] for rid in r["resident_ids"] if rid in index)),
                cause=r["cause"],
            )
            for r in reversed(rows)
        )

    async def release(self, case_id: UUID) -> None:
        """The case closed: its members may apply again."""
        await self._pool.execute(_RELEASE_MEMBERS, case_id)

    async def forget(self, case_id: UUID) -> None:
        """Undo a claim whose case never started."""
        async with self._pool.acquire() as conn, conn.transaction():
            await conn.execute(_DELETE_MEMBERS, case_id)
            await conn.execute("DELETE FROM case_requests WHERE case_id = $1", case_id)


_REMEMBER_COMMAND = """
INSERT INTO command_requests (case_id, actor_id, idempotency_key, request_sha256) VALUES ($1, $2, $3, $4)
ON CONFLICT (case_id, actor_id, idempotency_key) DO NOTHING
"""
_COMMAND_HASH = """
SELECT request_sha256 FROM command_requests WHERE case_id = $1 AND actor_id = $2 AND idempotency_key = $3
"""


async def remember_command(pool: asyncpg.Pool, case_id: UUID, actor_id: str, key: str, request_sha256: str) -> None:
    """Record which command an Idempotency-Key was first used for.

    Raises:
        RequestMismatch: the key was used before for a different command on this case.
    """
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute(_REMEMBER_COMMAND, case_id, actor_id, key, request_sha256)
        if await conn.fetchval(_COMMAND_HASH, case_id, actor_id, key) != request_sha256:
            raise RequestMismatch
