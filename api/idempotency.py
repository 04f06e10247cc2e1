"""``Idempotency-Key`` on every mutating request (issue 7 item 5), as ASGI middleware.

The first ``POST``/``PUT``/``PATCH``/``DELETE`` under ``/v1/`` with a key (per authenticated caller) claims a row
in ``idempotent_requests``, runs, and stores its answer (status, body and the headers a client acts on). The
same request again — sent concurrently, retried after a timeout, or days later after the case's workflow has
continued as new — waits for the first to finish and gets the stored answer byte for byte, with
``Idempotent-Replayed: true``; it changes nothing. The same key with a different method, path or body answers
422. A 5xx (or a crash) releases the key, so the request can be retried. Requests without a key, or from a
caller whose token does not verify (the route answers 401), pass straight through.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from typing import Any

import asyncpg
import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.unavailable import UNAVAILABLE, database_unavailable

log = structlog.get_logger(__name__)

_MUTATING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_KEEP_HEADERS = frozenset({"content-type", "location", "retry-after"})
#: Answers larger than this are not stored (the key still guards against a different request).
MAX_STORED_BODY = 1 << 20
#: How long a resend waits for the first request to finish before answering 409.
WAIT_SECONDS = 60.0
#: A claim still unanswered after this long is taken over by a resend: its request died without storing an
#: answer or releasing the key (PostgreSQL went away under it, the process was killed). A request that is in
#: fact still running is harmless to repeat — case steps are deduplicated by Temporal (update and workflow
#: ids), the other writes are keyed (payee per case, roll lines per case and month).
LEASE_SECONDS = 30

_CLAIM = """
INSERT INTO idempotent_requests (actor_id, idempotency_key, method, path, request_sha256)
VALUES ($1, $2, $3, $4, $5)
ON CONFLICT DO NOTHING
RETURNING 1
"""
_READ = "SELECT method, path, request_sha256, status, headers, body FROM idempotent_requests " \
        "WHERE actor_id = $1 AND idempotency_key = $2"
_TAKE_OVER = f"""
UPDATE idempotent_requests SET created_at = now()
WHERE actor_id = $1 AND idempotency_key = $2 AND request_sha256 = $3 AND status IS NULL
  AND created_at < now() - interval '{LEASE_SECONDS} seconds'
RETURNING 1
"""
_STORE = "UPDATE idempotent_requests SET status = $3, headers = $4, body = $5, completed_at = now() " \
         "WHERE actor_id = $1 AND idempotency_key = $2"
_RELEASE = "DELETE FROM idempotent_requests WHERE actor_id = $1 AND idempotency_key = $2 AND status IS NULL"


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return value.decode("latin-1")
    return None


class IdempotencyMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self._app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in _MUTATING or not scope["path"].startswith("/v1/"):
            await self._app(scope, receive, send)
            return
        key = _header(scope, b"idempotency-key")
        actor_id = await self._actor_id(scope) if key else None
        if key is None or actor_id is None or len(key) > 128:
            await self._app(scope, receive, send)  # no key, or no valid caller: the route decides (422 / 401)
            return
        body, more = await _read_body(receive)
        request_sha256 = hashlib.sha256(
            f"{scope['method']}\x1f{scope['path']}\x1f{scope.get('query_string', b'').decode('latin-1')}\x1f".encode()
            + _canonical(body)).hexdigest()
        pool: asyncpg.Pool = scope["app"].state.pool
        try:
            claimed = await pool.fetchval(_CLAIM, actor_id, key, scope["method"], scope["path"], request_sha256)
        except UNAVAILABLE:
            await database_unavailable()(scope, receive, send)
            return
        if claimed:
            await self._run_and_store(scope, body, more, receive, send, pool, actor_id, key)
            return
        try:
            await self._replay(scope, send, pool, actor_id, key, request_sha256, body, more, receive)
        except UNAVAILABLE:  # raised while waiting for, or reading, the first answer: nothing was sent yet
            await database_unavailable()(scope, receive, send)

    @staticmethod
    async def _actor_id(scope: Scope) -> str | None:
        auth = _header(scope, b"authorization")
        if not auth or not auth.lower().startswith("bearer "):
            return None
        try:
            return str((await scope["app"].state.verifier.authenticate(auth[7:].strip())).id)
        except Exception:  # noqa: BLE001 - any bad token: the route answers 401 itself
            return None

    async def _run_and_store(self, scope: Scope, body: bytes, more: bool, receive: Receive, send: Send,
                             pool: asyncpg.Pool, actor_id: str, key: str) -> None:
        status = 500
        headers: list[tuple[bytes, bytes]] = []
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            nonlocal status, headers
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
            await send(message)

        try:
            await self._app(scope, _replayed_receive(body, more, receive), capture)
        except BaseException:
            await _release(pool, actor_id, key)
            raise
        answer = b"".join(chunks)
        if status >= 500 or len(answer) > MAX_STORED_BODY:
            await _release(pool, actor_id, key)
            return
        kept = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in headers
                if k.decode("latin-1").lower() in _KEEP_HEADERS}
        try:
            await pool.execute(_STORE, actor_id, key, status, kept, answer)
        except UNAVAILABLE as err:  # the answer is out: store it once PostgreSQL is back
            log.warning("idempotency.store_deferred", error=type(err).__name__)
            _retry_later(pool, _STORE, actor_id, key, status, kept, answer)

    async def _replay(self, scope: Scope, send: Send, pool: asyncpg.Pool, actor_id: str, key: str,
                      request_sha256: str, body: bytes, more: bool, receive: Receive) -> None:
        deadline = asyncio.get_running_loop().time() + WAIT_SECONDS
        while True:
            row = await pool.fetchrow(_READ, actor_id, key)
            if row is None:  # the first request failed and released the key: this one runs instead
                if await pool.fetchval(_CLAIM, actor_id, key, scope["method"], scope["path"], request_sha256):
                    await self._run_and_store(scope, body, more, receive, send, pool, actor_id, key)
                    return
                continue
            if row["request_sha256"] != request_sha256:
                await _answer(send, 422, {"detail": [{"loc": ["header", "idempotency-key"], "type": "invalid_input",
                                                      "msg": "this Idempotency-Key was already used for a different "
                                                             "request"}], "code": "invalid_input"})
                return
            if row["status"] is not None:
                headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in (row["headers"] or {}).items()]
                headers += [(b"idempotent-replayed", b"true"), (b"content-length", str(len(row["body"])).encode())]
                await send({"type": "http.response.start", "status": row["status"], "headers": headers})
                await send({"type": "http.response.body", "body": bytes(row["body"])})
                return
            if await pool.fetchval(_TAKE_OVER, actor_id, key, request_sha256):
                await self._run_and_store(scope, body, more, receive, send, pool, actor_id, key)
                return
            if asyncio.get_running_loop().time() > deadline:
                await _answer(send, 409, {"detail": "the first request with this Idempotency-Key is still running",
                                          "code": "request_in_progress"}, {"retry-after": "5"})
                return
            await asyncio.sleep(0.05)


#: Writes that failed because PostgreSQL was away, retried in the background until it is back.
_PENDING: set[asyncio.Task[None]] = set()


async def _release(pool: asyncpg.Pool, actor_id: str, key: str) -> None:
    try:
        await pool.execute(_RELEASE, actor_id, key)
    except UNAVAILABLE as err:
        log.warning("idempotency.release_deferred", error=type(err).__name__)
        _retry_later(pool, _RELEASE, actor_id, key)


def _retry_later(pool: asyncpg.Pool, sql: str, *args: Any) -> None:
    task = asyncio.get_running_loop().create_task(_execute_later(pool, sql, *args))
    _PENDING.add(task)
    task.add_done_callback(_PENDING.discard)


async def _execute_later(pool: asyncpg.Pool, sql: str, *args: Any, attempts: int = 120) -> None:
    """Run ``sql`` once PostgreSQL answers again (every second, for two minutes; a claim left after that lapses
    after LEASE_SECONDS when its request is resent)."""
    for _ in range(attempts):
        await asyncio.sleep(1)
        try:
            await pool.execute(sql, *args)
            return
        except UNAVAILABLE:
            continue
        except Exception as err:  # noqa: BLE001 - the pool closing at shutdown: the lease covers it
            log.warning("idempotency.deferred_write_abandoned", error=type(err).__name__)
            return


def _canonical(body: bytes) -> bytes:
    """The same JSON sent with other spacing or key order is the same request."""
    try:
        return json.dumps(json.loads(body), sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    except (ValueError, UnicodeDecodeError):
        return body


async def _read_body(receive: Receive, limit: int = 8 << 20) -> tuple[bytes, bool]:
    """The request body (up to ``limit`` bytes; ``more`` says whether it went on beyond)."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(chunks), False
        chunk = message.get("body", b"")
        chunks.append(chunk)
        size += len(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks), False
        if size > limit:
            return b"".join(chunks), True


def _replayed_receive(body: bytes, more: bool, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": more}
        return await receive()

    return replay


async def _answer(send: Send, status: int, content: Any, headers: dict[str, str] | None = None) -> None:
    data = json.dumps(content, ensure_ascii=False).encode()
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode())]
    raw += [(k.encode(), v.encode()) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": data})
