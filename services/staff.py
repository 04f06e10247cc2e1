"""Staff accounts and the console's password login (issue 19 item 4).

A login checks the password (argon2id, pwdlib), refuses disabled and locked accounts, counts failures and locks
the account for ``LOCK_MINUTES`` after ``MAX_FAILED_ATTEMPTS`` failures in a row. The lock-out, every attempt
while locked, and every successful login are written to the audit ledger in the account's name (id, role,
jurisdiction); the log gets the staff id and the outcome, never a password or a name. The token issued is the
API's own bearer token (adapters.auth.issue_token), kept by the console in its HttpOnly cookie.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

import asyncpg
import structlog

from adapters import passwords
from adapters.audit.chain import EntryKind
from adapters.audit.ledger import Ledger, actor_entry
from adapters.auth import issue_token
from adapters.db import staff as store
from adapters.settings import Settings
from domain.actors import Actor

log = structlog.get_logger(__name__)

#: Failed logins in a row before the account is locked, and for how long. LOCAL RULE (等保 2.0 asks for a
#: lock-out after repeated failures; the numbers are the bureau's).
MAX_FAILED_ATTEMPTS = 5
LOCK_MINUTES = 15
#: How long a console login lasts (one working day).
SESSION = timedelta(hours=8)


class LoginRefused(StrEnum):
    BAD_CREDENTIALS = "bad_credentials"  # unknown id or wrong password: the two are never told apart
    LOCKED = "account_locked"
    DISABLED = "account_disabled"


@dataclass(frozen=True, slots=True)
class LoginResult:
    actor: Actor | None = None
    token: str | None = None
    display_name: str = ""
    refused: LoginRefused | None = None
    locked_until: datetime | None = None


async def _ledger_login(pool: asyncpg.Pool, ledger: Ledger, account: store.StaffAccount, kind: EntryKind,
                        content: dict[str, object]) -> None:
    await ledger.append_now(pool, [actor_entry(kind, f"login:{uuid.uuid4()}", account.actor, content)])


async def login(pool: asyncpg.Pool, ledger: Ledger, settings: Settings, staff_id: str, password: str,
                now: datetime) -> LoginResult:
    """Check a staff id and password; on success, a bearer token for the account's actor."""
    account = await store.get(pool, staff_id)
    if account is not None and account.disabled_at is not None:
        passwords.verify_password(password, None)  # the same time as any other refusal
        log.info("staff.login_refused", staff_id=staff_id, reason=LoginRefused.DISABLED.value)
        return LoginResult(refused=LoginRefused.DISABLED)
    if account is not None and account.locked(now):
        passwords.verify_password(password, None)
        await _ledger_login(pool, ledger, account, EntryKind.REFUSAL, {
            "command": "console login", "code": LoginRefused.LOCKED.value, "status": 401, "field": ["password"],
            "message": "login attempt while the account is locked",
            "locked_until": account.locked_until.isoformat() if account.locked_until else None})
        log.info("staff.login_refused", staff_id=staff_id, reason=LoginRefused.LOCKED.value)
        return LoginResult(refused=LoginRefused.LOCKED, locked_until=account.locked_until)
    ok, new_hash = passwords.verify_password(password, account.password_hash if account else None)
    if account is None or not ok:
        if account is not None:
            until = now + timedelta(minutes=LOCK_MINUTES)
            attempts, locked = await store.record_failure(pool, staff_id, now=now, max_attempts=MAX_FAILED_ATTEMPTS,
                                                          lock_until=until)
            if locked:
                await _ledger_login(pool, ledger, account, EntryKind.REFUSAL, {
                    "command": "console login", "code": LoginRefused.LOCKED.value, "status": 401,
                    "field": ["password"], "message": f"account locked after {attempts} failed logins",
                    "failed_attempts": attempts, "locked_until": until.isoformat()})
                log.warning("staff.locked_out", staff_id=staff_id, failed_attempts=attempts)
                return LoginResult(refused=LoginRefused.LOCKED, locked_until=until)
        log.info("staff.login_refused", reason=LoginRefused.BAD_CREDENTIALS.value)
        return LoginResult(refused=LoginRefused.BAD_CREDENTIALS)
    await store.record_success(pool, staff_id, now, new_hash)
    actor = account.actor
    token = issue_token(settings, sub=actor.id, role=actor.role, jurisdiction=actor.jurisdiction, now=now,
                        ttl=SESSION)
    await _ledger_login(pool, ledger, account, EntryKind.ACCESS, {"action": "login", "via": "console"})
    log.info("staff.login", staff_id=staff_id, role=actor.role.value)
    return LoginResult(actor=actor, token=token, display_name=account.display_name)


async def add_account(pool: asyncpg.Pool, actor: Actor, display_name: str, password: str) -> None:
    """Create an account (the password checked for strength, then hashed).

    Raises:
        passwords.WeakPassword, store.StaffExists.
    """
    passwords.check_strength(password)
    await store.add(pool, actor, display_name, passwords.hash_password(password))
    log.info("staff.added", staff_id=actor.id, role=actor.role.value)


async def reset_password(pool: asyncpg.Pool, staff_id: str, password: str, now: datetime) -> None:
    """Set a new password; clears failed attempts and the lock.

    Raises:
        passwords.WeakPassword, store.NoSuchStaff.
    """
    passwords.check_strength(password)
    await store.reset_password(pool, staff_id, passwords.hash_password(password), now)
    log.info("staff.password_reset", staff_id=staff_id)


async def disable_account(pool: asyncpg.Pool, staff_id: str, now: datetime) -> None:
    """Raises: store.NoSuchStaff."""
    await store.disable(pool, staff_id, now)
    log.info("staff.disabled", staff_id=staff_id)
