"""Writing who refused what and who read what into the audit ledger (and the log, without personal data)."""

from __future__ import annotations

import uuid
from uuid import UUID

import asyncpg
import structlog

from adapters.audit.chain import EntryKind
from adapters.audit.ledger import Ledger, actor_entry
from domain.actors import Actor
from domain.errors import DomainError, InvalidTransition, NotPermitted

log = structlog.get_logger(__name__)


def _status(error: DomainError) -> int:
    """The HTTP status the refusal was answered with: by family, so a NotPermitted with a code of its own
    (``conflict_of_interest``) is a 403 like the others (api/errors.py maps the same way)."""
    if isinstance(error, NotPermitted):
        return 403
    return 409 if isinstance(error, InvalidTransition) else 422


async def log_refusal(pool: asyncpg.Pool, ledger: Ledger, actor: Actor, case_id: UUID | None, *, command: str,
                      error: DomainError, idempotency_key: str | None = None,
                      request_sha256: str | None = None) -> None:
    """A command refused on a case: by the policy table (403), the workflow's validator or the domain (403,
    409, 422), or a 403 outside any case (``case_id`` None: a list, a report, a payment roll). The same
    request resent with its Idempotency-Key is recorded once."""
    key = (f"refusal:{case_id}:{actor.id}:{idempotency_key}" if idempotency_key
           else f"refusal:{uuid.uuid4()}")
    content = {"command": command, "code": error.code, "message": error.message, "field": list(error.field),
               "status": _status(error), "request_sha256": request_sha256}
    await ledger.append_now(pool, [actor_entry(EntryKind.REFUSAL, key, actor, content, case_id)])
    error.ledgered = True  # type: ignore[attr-defined]  # an error handler further up must not record it again
    log.info("audit.refusal", command=command, code=error.code)


async def log_access(pool: asyncpg.Pool, ledger: Ledger, actor: Actor, case_id: UUID | None, action: str,
                     via: str = "api") -> None:
    """An audit read (trail, history export, replay, as-of re-evaluation): who read which case, when."""
    content = {"action": action, "via": via}
    await ledger.append_now(pool, [actor_entry(EntryKind.ACCESS, f"access:{uuid.uuid4()}", actor, content, case_id)])
    log.info("audit.access", action=action, via=via)
