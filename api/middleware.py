"""Request context: a request id bound into structlog's contextvars, and one log line per request."""

from __future__ import annotations

import json
import re
import time
import uuid

import structlog
from starlette.exceptions import HTTPException
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = structlog.get_logger("api.access")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class RequestContextMiddleware:
    """Binds ``request_id`` (from ``X-Request-ID`` when well-formed, else a new one) for the request's logs.

    Logs the method, the route's path template (not the raw path or query, which could carry data),
    the status and the duration.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        structlog.contextvars.clear_contextvars()
        headers = dict(scope.get("headers") or [])
        given = headers.get(b"x-request-id", b"").decode("latin-1")
        request_id = given if _REQUEST_ID.match(given) else uuid.uuid4().hex
        structlog.contextvars.bind_contextvars(request_id=request_id)
        started = time.perf_counter()
        status_code = 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status_code
            if message["type"] == "http.response.start":
                status_code = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            route = scope.get("route")
            log.info(
                "http.request",
                method=scope["method"],
                route=getattr(route, "path", "<unmatched>"),
                status=status_code,
                duration_ms=round((time.perf_counter() - started) * 1000, 1),
            )
            structlog.contextvars.clear_contextvars()


class CodecCORSMiddleware:
    """CORS for the codec server only (``/codec/…``): the Temporal Web UI's origins may call it with
    credentials; every other path stays same-origin."""

    def __init__(self, app: ASGIApp, origins: list[str]) -> None:
        self._app = app
        self._cors = CORSMiddleware(app, allow_origins=origins, allow_credentials=True,
                                    allow_methods=["POST", "OPTIONS"],
                                    allow_headers=["Authorization", "Content-Type", "X-Namespace"])

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith("/codec/"):
            await self._cors(scope, receive, send)
        else:
            await self._app(scope, receive, send)


class _BodyTooLarge(HTTPException):
    """The request body grew past the limit (413), or past its declared length (400), while being read.

    An ``HTTPException``, so that FastAPI's body reader lets it through (it turns any other error into a 400)
    and the exception middleware answers it as JSON.
    """


class RequestBodyGuardMiddleware:
    """Request bodies of at most ``max_bytes`` (413) and, under ``/v1/``, JSON only (415) and readable as JSON
    text (422 ``json_invalid``), each answered with a JSON body before the application sees the request.

    A declared ``Content-Length`` above the limit is refused without reading the body. The length is not
    trusted: the bytes are counted as they arrive, so a body sent without a length (chunked) or longer than
    its declared length is cut off at the limit too (a body longer than its declared length is a 400). Under
    ``/v1/`` the body is read here in full (it is at most ``max_bytes``) and refused when it is not UTF-8
    (RFC 8259), nests deeper than the JSON parser goes, or holds a number too long to convert: FastAPI would
    answer those with a bare 400 that no operation declares. Malformed JSON is left to FastAPI's 422, which
    gives the position.
    """

    def __init__(self, app: ASGIApp, max_bytes: int, json_prefixes: tuple[str, ...] = ("/v1/",)) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.json_prefixes = json_prefixes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        declared: int | None = None
        raw_length = headers.get(b"content-length")
        if raw_length is not None:
            text = raw_length.decode("latin-1").strip()
            if not (text.isascii() and text.isdigit()):
                await _refuse(send, 400, "Content-Length is not a number", "invalid_content_length")
                return
            declared = int(text)
            if declared > self.max_bytes:
                await _refuse(send, 413, f"the request body exceeds {self.max_bytes} bytes", "body_too_large")
                return
        has_body = (declared or 0) > 0 or b"transfer-encoding" in headers
        json_only = scope["path"].startswith(self.json_prefixes)
        is_json = _is_json(headers.get(b"content-type"))
        if has_body and json_only and not is_json:
            await _refuse(send, 415, "the body must be JSON (Content-Type: application/json)",
                          "unsupported_media_type")
            return

        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise _BodyTooLarge(413, f"the request body exceeds {self.max_bytes} bytes")
                if declared is not None and received > declared:
                    raise _BodyTooLarge(400, "the body is longer than its Content-Length")
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        app_receive: Receive = counting_receive
        if json_only and is_json and scope["method"] in _BODY_METHODS:
            try:
                body = await _read_all(counting_receive)
            except _BodyTooLarge as err:
                await _refuse(send, err.status_code, err.detail, _CODES[err.status_code])
                return
            problem = _unreadable_json(body)
            if problem is not None:
                error = {"loc": ["body"], "msg": f"JSON decode error: {problem}", "type": "json_invalid"}
                await _send_json(send, 422, {"detail": [error]})
                return
            app_receive = _replay(body, receive)
        try:
            await self.app(scope, app_receive, tracking_send)
        except _BodyTooLarge as err:  # read outside FastAPI's handlers: answered here
            if started:
                raise
            await _refuse(send, err.status_code, err.detail, _CODES[err.status_code])


_BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_CODES = {413: "body_too_large", 400: "invalid_content_length"}


async def _read_all(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":  # the client went away: the application sees an empty body
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    """The body read here, then the client's own messages (a disconnect) for whoever listens after it."""
    pending = [{"type": "http.request", "body": body, "more_body": False}]

    async def replayed() -> Message:
        return pending.pop() if pending else await receive()

    return replayed


def _unreadable_json(body: bytes) -> str | None:
    """Why ``body`` cannot be read as JSON text at all (None when it can, or when it is merely malformed)."""
    if not body:
        return None
    try:
        json.loads(body)
    except json.JSONDecodeError:
        return None  # FastAPI answers 422 with the position
    except UnicodeDecodeError:
        return "the body is not valid UTF-8 text"
    except RecursionError:
        return "arrays and objects are nested too deeply"
    except ValueError:
        return "a number has too many digits"
    return None


async def _refuse(send: Send, status: int, detail: str, code: str) -> None:
    await _send_json(send, status, {"detail": detail, "code": code})


async def _send_json(send: Send, status: int, content: dict[str, object]) -> None:
    body = json.dumps(content).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
               (b"connection", b"close")]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _is_json(content_type: bytes | None) -> bool:
    if content_type is None:
        return False
    media = content_type.decode("latin-1").split(";", 1)[0].strip().lower()
    return media == "application/json" or (media.startswith("application/") and media.endswith("+json"))
