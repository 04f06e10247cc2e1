"""The township reserve funds (临时救助备用金, S8 §三(三); S5 item 15) in PostgreSQL: balances, ledgered movements,
shortfalls the county is told of, and the monthly statement.

A draw takes the fund's row lock (``SELECT … FOR UPDATE``), so concurrent grants of one township are serialised and
exactly the affordable ones succeed; it is keyed by ``(case_id, case_seq)``, so a retried draw returns the first
answer and never draws twice. A replenishment is keyed by its Idempotency-Key per township.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from uuid import UUID

import asyncpg
from pydantic import BaseModel, ConfigDict

from adapters.audit.chain import EntryKind
from adapters.audit.ledger import Ledger, actor_entry
from domain.actors import Actor

DRAW_BASIS = ("S8 §三(三)", "S5 item 15", "S8 §二(二)")
REPLENISH_BASIS = ("S8 §三(三)", "S5 item 15")


class DrawResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    drawn: bool
    balance: Decimal  # after the draw, or the balance that could not pay it
    movement_id: int | None = None


class Movement(BaseModel):
    model_config = ConfigDict(frozen=True)

    movement_id: int
    township_code: str
    kind: str
    amount: Decimal
    balance_after: Decimal
    case_id: UUID | None
    case_seq: int | None
    actor_id: str
    actor_role: str
    reason: str
    legal_basis: list[str]
    at: datetime


class Shortfall(BaseModel):
    model_config = ConfigDict(frozen=True)

    shortfall_id: int
    township_code: str
    case_id: UUID
    case_seq: int
    amount: Decimal
    balance: Decimal
    at: datetime


async def _ledgered(conn: asyncpg.Connection, ledger: Ledger | None, movement: Movement, actor: Actor) -> None:
    """The movement as an entry of the audit ledger's hash chain, in the movement's transaction."""
    content = {"township_code": movement.township_code, "movement_id": movement.movement_id,
               "kind": movement.kind, "amount": str(movement.amount), "balance_after": str(movement.balance_after),
               "case_seq": movement.case_seq, "reason": movement.reason, "legal_basis": movement.legal_basis}
    await (ledger or Ledger()).append(conn, [actor_entry(EntryKind.RESERVE_FUND, f"reserve_fund:{movement.movement_id}",
                                                         actor, content, movement.case_id)])


async def draw(pool: asyncpg.Pool, *, township_code: str, case_id: UUID, case_seq: int, amount: Decimal,
               actor: Actor, reason: str, ledger: Ledger | None = None) -> DrawResult:
    """Draw an urgent grant from the township's fund, once per (case, seq); refused (and the shortfall recorded
    for the county) when the balance cannot pay it."""
    async with pool.acquire() as conn, conn.transaction():
        done = await conn.fetchrow(
            "SELECT movement_id, balance_after FROM reserve_fund_movements WHERE case_id = $1 AND case_seq = $2",
            case_id, case_seq)
        if done is not None:
            return DrawResult(drawn=True, balance=done["balance_after"], movement_id=done["movement_id"])
        await conn.execute("INSERT INTO reserve_funds (township_code) VALUES ($1) ON CONFLICT DO NOTHING",
                           township_code)
        balance: Decimal = await conn.fetchval(
            "SELECT balance FROM reserve_funds WHERE township_code = $1 FOR UPDATE", township_code)
        if balance < amount:
            await conn.execute(
                "INSERT INTO reserve_fund_shortfalls (township_code, case_id, case_seq, amount, balance, actor_id) "
                "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (case_id, case_seq) DO UPDATE "
                "SET balance = EXCLUDED.balance, at = now()",
                township_code, case_id, case_seq, amount, balance, actor.id)
            return DrawResult(drawn=False, balance=balance)
        after = balance - amount
        await conn.execute("UPDATE reserve_funds SET balance = $2, updated_at = now() WHERE township_code = $1",
                           township_code, after)
        row = await conn.fetchrow(
            "INSERT INTO reserve_fund_movements (township_code, kind, amount, balance_after, case_id, case_seq, "
            "actor_id, actor_role, jurisdiction, reason, legal_basis) "
            "VALUES ($1, 'urgent_grant', $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING *",
            township_code, -amount, after, case_id, case_seq, actor.id, actor.role.value, actor.jurisdiction,
            reason, list(DRAW_BASIS))
        movement = _movement(row)
        await _ledgered(conn, ledger, movement, actor)
        return DrawResult(drawn=True, balance=after, movement_id=movement.movement_id)


async def replenish(pool: asyncpg.Pool, *, township_code: str, amount: Decimal, actor: Actor, reason: str,
                    idempotency_key: str | None, ledger: Ledger | None = None) -> Movement:
    """A county replenishment of the township's fund (a ledgered decision); the same Idempotency-Key again
    returns the first one."""
    async with pool.acquire() as conn, conn.transaction():
        if idempotency_key:
            row = await conn.fetchrow(
                "SELECT * FROM reserve_fund_movements WHERE township_code = $1 AND idempotency_key = $2",
                township_code, idempotency_key)
            if row is not None:
                return _movement(row)
        await conn.execute("INSERT INTO reserve_funds (township_code) VALUES ($1) ON CONFLICT DO NOTHING",
                           township_code)
        balance: Decimal = await conn.fetchval(
            "SELECT balance FROM reserve_funds WHERE township_code = $1 FOR UPDATE", township_code)
        after = balance + amount
        await conn.execute("UPDATE reserve_funds SET balance = $2, updated_at = now() WHERE township_code = $1",
                           township_code, after)
        await conn.execute("UPDATE reserve_fund_shortfalls SET resolved_at = now() "
                           "WHERE township_code = $1 AND resolved_at IS NULL AND amount <= $2", township_code, after)
        row = await conn.fetchrow(
            "INSERT INTO reserve_fund_movements (township_code, kind, amount, balance_after, idempotency_key, "
            "actor_id, actor_role, jurisdiction, reason, legal_basis) "
            "VALUES ($1, 'replenishment', $2, $3, $4, $5, $6, $7, $8, $9) RETURNING *",
            township_code, amount, after, idempotency_key, actor.id, actor.role.value, actor.jurisdiction, reason,
            list(REPLENISH_BASIS))
        movement = _movement(row)
        await _ledgered(conn, ledger, movement, actor)
        return movement


def _movement(row: asyncpg.Record) -> Movement:
    return Movement(**{k: row[k] for k in Movement.model_fields})


async def balance(pool: asyncpg.Pool, township_code: str) -> Decimal:
    value = await pool.fetchval("SELECT balance FROM reserve_funds WHERE township_code = $1", township_code)
    return value if value is not None else Decimal("0.00")


async def movements(pool: asyncpg.Pool, township_code: str, start: datetime | None = None,
                    end: datetime | None = None) -> list[Movement]:
    rows = await pool.fetch(
        "SELECT * FROM reserve_fund_movements WHERE township_code = $1 AND ($2::timestamptz IS NULL OR at >= $2) "
        "AND ($3::timestamptz IS NULL OR at < $3) ORDER BY movement_id", township_code, start, end)
    return [_movement(r) for r in rows]


async def balance_before(pool: asyncpg.Pool, township_code: str, start: datetime) -> Decimal:
    value = await pool.fetchval(
        "SELECT balance_after FROM reserve_fund_movements WHERE township_code = $1 AND at < $2 "
        "ORDER BY movement_id DESC LIMIT 1", township_code, start)
    return value if value is not None else Decimal("0.00")


async def shortfalls(pool: asyncpg.Pool, prefix: str, open_only: bool = True) -> list[Shortfall]:
    rows = await pool.fetch(
        "SELECT * FROM reserve_fund_shortfalls WHERE township_code LIKE $1 || '%' "
        "AND (NOT $2 OR resolved_at IS NULL) ORDER BY shortfall_id", prefix, open_only)
    return [Shortfall(**{k: r[k] for k in Shortfall.model_fields}) for r in rows]


async def balances(pool: asyncpg.Pool, prefix: str) -> dict[str, Decimal]:
    """Every reserve fund's balance under a jurisdiction (a township with no fund yet is absent: 0)."""
    rows = await pool.fetch("SELECT township_code, balance FROM reserve_funds WHERE township_code LIKE $1 || '%'",
                            prefix)
    return {r["township_code"].strip(): r["balance"] for r in rows}
