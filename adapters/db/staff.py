"""Staff accounts in PostgreSQL (migration 0015): add, disable, reset a password, and the login bookkeeping
(failed attempts, lock-out). Passwords arrive hashed; names are never logged."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import asyncpg

from domain.actors import Actor, Role


class StaffExists(ValueError):
    """An account with this staff id exists already."""


class NoSuchStaff(LookupError):
    """No account has this staff id."""


@dataclass(frozen=True, slots=True)
class StaffAccount:
    staff_id: str
    display_name: str
    role: Role
    jurisdiction: str
    password_hash: str
    failed_attempts: int
    locked_until: datetime | None
    disabled_at: datetime | None
    last_login_at: datetime | None

    @property
    def actor(self) -> Actor:
        return Actor(id=self.staff_id, role=self.role, jurisdiction=self.jurisdiction)

    def locked(self, now: datetime) -> bool:
        return self.locked_until is not None and now < self.locked_until

    @classmethod
    def of_row(cls, row: asyncpg.Record) -> StaffAccount:
        return cls(staff_id=row["staff_id"], display_name=row["display_name"], role=Role(row["role"]),
                   jurisdiction=row["jurisdiction"], password_hash=row["password_hash"],
                   failed_attempts=row["failed_attempts"], locked_until=row["locked_until"],
                   disabled_at=row["disabled_at"], last_login_at=row["last_login_at"])


async def get(pool: asyncpg.Pool, staff_id: str) -> StaffAccount | None:
    row = await pool.fetchrow("SELECT * FROM staff_accounts WHERE staff_id = $1", staff_id)
    return StaffAccount.of_row(row) if row else None


async def list_accounts(pool: asyncpg.Pool) -> list[StaffAccount]:
    return [StaffAccount.of_row(r) for r in await pool.fetch("SELECT * FROM staff_accounts ORDER BY staff_id")]


async def add(pool: asyncpg.Pool, actor: Actor, display_name: str, password_hash: str) -> None:
    """Create an account for ``actor`` (id, role, jurisdiction already validated by :class:`Actor`).

    Raises:
        StaffExists: the id is taken (a disabled account keeps its id: ids recorded on decisions are never reused).
    """
    try:
        await pool.execute(
            "INSERT INTO staff_accounts (staff_id, display_name, role, jurisdiction, password_hash) "
            "VALUES ($1, $2, $3, $4, $5)",
            actor.id, display_name, actor.role.value, actor.jurisdiction, password_hash)
    except asyncpg.UniqueViolationError:
        raise StaffExists(actor.id) from None


async def disable(pool: asyncpg.Pool, staff_id: str, now: datetime) -> None:
    """Disable the account (its id stays taken); its console sessions end at their next page.

    Raises:
        NoSuchStaff: no account has this id.
    """
    done = await pool.execute(
        "UPDATE staff_accounts SET disabled_at = coalesce(disabled_at, $2) WHERE staff_id = $1", staff_id, now)
    if done.endswith(" 0"):
        raise NoSuchStaff(staff_id)


async def reset_password(pool: asyncpg.Pool, staff_id: str, password_hash: str, now: datetime) -> None:
    """Set a new password and clear failed attempts and any lock.

    Raises:
        NoSuchStaff: no account has this id.
    """
    done = await pool.execute(
        "UPDATE staff_accounts SET password_hash = $2, password_changed_at = $3, failed_attempts = 0, "
        "locked_until = NULL WHERE staff_id = $1", staff_id, password_hash, now)
    if done.endswith(" 0"):
        raise NoSuchStaff(staff_id)


async def record_failure(pool: asyncpg.Pool, staff_id: str, *, now: datetime, max_attempts: int,
                         lock_until: datetime) -> tuple[int, bool]:
    """Count a failed login; lock the account when the count reaches ``max_attempts`` (a lock that has run
    out starts the count again).

    Returns:
        (failed attempts now, whether this failure locked the account).
    """
    async with pool.acquire() as conn, conn.transaction():
        row = await conn.fetchrow(
            "SELECT failed_attempts, locked_until FROM staff_accounts WHERE staff_id = $1 FOR UPDATE", staff_id)
        if row is None:
            return 0, False
        expired = row["locked_until"] is not None and row["locked_until"] <= now
        attempts = 1 if expired else int(row["failed_attempts"]) + 1
        locks = attempts >= max_attempts
        await conn.execute(
            "UPDATE staff_accounts SET failed_attempts = $2, locked_until = $3 WHERE staff_id = $1",
            staff_id, attempts, lock_until if locks else (None if expired else row["locked_until"]))
        return attempts, locks


async def record_success(pool: asyncpg.Pool, staff_id: str, now: datetime, new_hash: str | None) -> None:
    await pool.execute(
        "UPDATE staff_accounts SET failed_attempts = 0, locked_until = NULL, last_login_at = $2, "
        "password_hash = coalesce($3, password_hash) WHERE staff_id = $1", staff_id, now, new_hash)


async def is_disabled(pool: asyncpg.Pool, staff_id: str) -> bool:
    """Whether ``staff_id`` names a disabled account (an id without an account is not disabled)."""
    return bool(await pool.fetchval(
        "SELECT disabled_at IS NOT NULL FROM staff_accounts WHERE staff_id = $1", staff_id))
