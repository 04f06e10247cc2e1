"""Bearer JWTs: issue, verify, and every rejection path (adapters/auth.py)."""

from __future__ import annotations

import asyncio
import base64
import http.server
import json
import stat
import threading
import time
from datetime import UTC, datetime, timedelta
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import jwt
import pydantic
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from adapters.auth import JWKS_LIFESPAN, JWKS_RETRY, AuthError, TokenVerifier, ensure_dev_key, issue_token
from adapters.settings import Settings
from domain.actors import Actor, Role

SECRET = "unit-test-secret-that-is-long-enough-for-hs256"
ACTOR = Actor(id="w1", role=Role.FRONT_OFFICE, jurisdiction="532302101")


def settings(tmp_path: Path, secret: str | None = SECRET, **overrides: object) -> Settings:
    """Settings isolated from CASEWORK_* variables and any .env file."""
    return Settings(**{"_env_file": None, "var_dir": tmp_path, "jwt_secret": secret, "jwt_public_key_file": None,
                       "jwt_jwks_url": None, **overrides})  # type: ignore[arg-type]


def token_for(s: Settings, now: datetime | None = None, ttl: timedelta = timedelta(hours=8)) -> str:
    return issue_token(s, sub=ACTOR.id, role=ACTOR.role, jurisdiction=ACTOR.jurisdiction,
                       now=now or datetime.now(UTC), ttl=ttl)


def craft(**changes: object) -> str:
    """A token signed with SECRET whose claims are changed (None removes a claim)."""
    now = int(datetime.now(UTC).timestamp())
    claims = {"sub": "w1", "role": "front_office", "jurisdiction": "532302101", "iss": "casework",
              "aud": "casework-api", "iat": now, "exp": now + 600} | changes
    return jwt.encode({k: v for k, v in claims.items() if v is not None}, SECRET, algorithm="HS256")


def assert_rejected(verifier: TokenVerifier, token: str) -> str:
    with pytest.raises(AuthError) as exc:
        verifier.verify(token)
    message = str(exc.value)
    assert all(part not in message for part in [token, *token.split(".")])
    return message


def test_a_token_issued_with_the_configured_secret_verifies_to_its_actor(tmp_path: Path) -> None:
    s = settings(tmp_path)

    assert TokenVerifier(s).verify(token_for(s)) == ACTOR
    assert TokenVerifier(s).verify(craft()) == ACTOR
    assert not s.dev_jwt_key_file.exists()


def test_without_a_secret_a_private_dev_key_is_created_and_used(tmp_path: Path) -> None:
    s = settings(tmp_path, secret=None)

    token = token_for(s)

    key_file = tmp_path / "keys" / "jwt-dev-hs256.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert ensure_dev_key(s) == key_file.read_text().strip()
    assert jwt.decode(token, key_file.read_text().strip(), algorithms=["HS256"], audience="casework-api")
    assert TokenVerifier(s).verify(token) == ACTOR


def test_an_expired_token_is_rejected(tmp_path: Path) -> None:
    s = settings(tmp_path)
    token = token_for(s, now=datetime.now(UTC) - timedelta(hours=2), ttl=timedelta(hours=1))

    assert "expired" in assert_rejected(TokenVerifier(s), token)


@pytest.mark.parametrize(
    "issuer_settings",
    [
        {"secret": "another-secret-that-is-also-long-enough-x"},
        {"secret": None},  # the dev key, while the verifier has a configured secret
        {"jwt_audience": "other-api"},
        {"jwt_issuer": "someone-else"},
    ],
)
def test_a_token_from_another_key_audience_or_issuer_is_rejected(
    tmp_path: Path, issuer_settings: dict[str, object]
) -> None:
    token = token_for(settings(tmp_path, **issuer_settings))

    assert_rejected(TokenVerifier(settings(tmp_path)), token)


@pytest.mark.parametrize(
    "changes",
    [{"role": None}, {"role": "mayor"}, {"jurisdiction": None}, {"jurisdiction": "5323"},
     {"jurisdiction": "53230210A"}, {"sub": None}, {"exp": None}, {"aud": None}],
)
def test_a_token_with_missing_or_invalid_claims_is_rejected(
    tmp_path: Path, changes: dict[str, object]
) -> None:
    assert_rejected(TokenVerifier(settings(tmp_path)), craft(**changes))


def test_a_malformed_token_is_rejected(tmp_path: Path) -> None:
    assert_rejected(TokenVerifier(settings(tmp_path)), "Zm9vYmFy.YmF6cXV4.c2lnbmF0dXJl")


@pytest.mark.parametrize("jurisdiction", ["5323", "53230210", "5323021010011", "county"])
def test_issuing_a_token_for_an_invalid_jurisdiction_fails_validation(
    tmp_path: Path, jurisdiction: str
) -> None:
    """SPEC §2: jurisdictions are 6-, 9- or 12-digit division codes."""
    with pytest.raises(pydantic.ValidationError):
        issue_token(settings(tmp_path), sub="w1", role=Role.FRONT_OFFICE, jurisdiction=jurisdiction,
                    now=datetime.now(UTC))


def test_issuing_is_refused_when_tokens_come_from_an_identity_provider(tmp_path: Path) -> None:
    """With only a public key or JWKS configured there is no HS256 secret; no dev key is silently made."""
    key = tmp_path / "pub.pem"
    key.write_text("-----BEGIN PUBLIC KEY-----\n-----END PUBLIC KEY-----\n")
    settings = Settings(_env_file=None, var_dir=tmp_path / "var", jwt_public_key_file=key)  # type: ignore[call-arg]

    with pytest.raises(AuthError, match="no HS256 secret"):
        issue_token(settings, sub="w1", role=Role.FRONT_OFFICE, jurisdiction="532302101", now=datetime.now(UTC))
    assert not settings.dev_jwt_key_file.exists()


class _Later(datetime):
    """``datetime`` as ``adapters.auth`` reads it, ``shift`` ahead of the wall clock."""

    shift = timedelta(0)

    @classmethod
    def now(cls, tz=None):  # type: ignore[no-untyped-def, override]
        return datetime.now(tz) + cls.shift


def test_a_remembered_token_is_still_refused_once_it_expires(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The verifier remembers a verified token (issue 18: a client sends the same one with every request) but
    checks its expiry again each time, as PyJWT would (exp ≤ now is expired, no leeway)."""
    s = settings(tmp_path)
    verifier = TokenVerifier(s)
    token = token_for(s, ttl=timedelta(minutes=5))
    assert verifier.verify(token) == ACTOR
    assert verifier.verify(token) == ACTOR  # the remembered answer
    monkeypatch.setattr("adapters.auth.datetime", _Later)
    monkeypatch.setattr("jwt.api_jwt.datetime", _Later)  # PyJWT's own clock, for the fresh verifier below
    _Later.shift = timedelta(minutes=5, seconds=1)
    assert assert_rejected(verifier, token) == "token expired"
    assert assert_rejected(TokenVerifier(s), token) == "token expired"  # as a fresh verifier answers


def test_a_remembered_token_does_not_vouch_for_a_tampered_copy(tmp_path: Path) -> None:
    s = settings(tmp_path)
    verifier = TokenVerifier(s)
    token = token_for(s)
    assert verifier.verify(token) == ACTOR
    header, payload, signature = token.split(".")
    forged = jwt.encode({**jwt.decode(token, options={"verify_signature": False}), "role": "county_approver"},
                        "another-secret-that-is-long-enough-for-hs256", algorithm="HS256")
    assert assert_rejected(verifier, forged).startswith("invalid token")
    assert assert_rejected(verifier, f"{header}.{payload}.{signature[:-2]}AA").startswith("invalid token")


class _KeySet(http.server.BaseHTTPRequestHandler):
    """The identity provider's JWKS endpoint; ``keys`` is what it publishes now, ``down`` answers 503."""

    keys: ClassVar[list[dict[str, object]]] = []
    down: ClassVar[bool] = False
    garbage: ClassVar[bool] = False  # 200 with a page that is not JSON (a proxy's error page)
    fetches: ClassVar[int] = 0
    #: When set, an answer waits for it (at most 4 s); ``held`` records whether it came or the wait ran out.
    hold: ClassVar[threading.Event | None] = None
    held: ClassVar[list[bool]] = []

    def do_GET(self) -> None:  # noqa: N802 - the handler's API
        type(self).fetches += 1
        if self.hold is not None:
            self.held.append(self.hold.wait(4))
        body = b"<html>502 Bad Gateway</html>" if self.garbage else json.dumps({"keys": self.keys}).encode()
        self.send_response(503 if self.down else 200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def _rsa_jwk(kid: str) -> tuple[object, dict[str, object]]:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = json.loads(RSAAlgorithm.to_jwk(private.public_key()))
    return private, {**public, "kid": kid, "use": "sig", "alg": "RS256"}


@pytest.fixture
def identity_provider() -> Iterator[str]:
    _KeySet.keys, _KeySet.down, _KeySet.garbage, _KeySet.fetches = [], False, False, 0
    _KeySet.hold, _KeySet.held = None, []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _KeySet)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/jwks"
    finally:
        server.shutdown()
        server.server_close()


class _Clock:
    """``time.monotonic`` for the verifier's key set and remembered tokens, moved by hand."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.now = time.monotonic()
        monkeypatch.setattr(time, "monotonic", lambda: self.now)


def _signed(kid: str, key: object, jti: str = "1") -> str:
    """A token signed by the provider's key ``kid``; tokens with different ``jti`` are different tokens."""
    now = int(datetime.now(UTC).timestamp())
    claims = {"sub": "w1", "role": "front_office", "jurisdiction": "532302101", "iss": "casework",
              "aud": "casework-api", "iat": now, "exp": now + 3600, "jti": jti}
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": kid})  # type: ignore[arg-type]


def test_a_key_the_identity_provider_withdraws_stops_verifying_remembered_tokens_too(
        tmp_path: Path, identity_provider: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """With a JWKS, a remembered token is trusted no longer than the key set it was checked against is kept
    (JWKS_LIFESPAN): once the provider withdraws the key (rotation, a leaked key) the token is refused, as a
    token signed with that key and never seen before is."""
    old_private, old_jwk = _rsa_jwk("2026-old")
    new_private, new_jwk = _rsa_jwk("2026-new")
    _KeySet.keys = [old_jwk, new_jwk]
    clock = _Clock(monkeypatch)
    verifier = TokenVerifier(settings(tmp_path, secret=None, jwt_jwks_url=identity_provider, jwt_algorithms=["RS256"]))
    old, new = _signed("2026-old", old_private), _signed("2026-new", new_private)
    assert verifier.verify(old) == ACTOR
    assert verifier.verify(new) == ACTOR

    _KeySet.keys = [new_jwk]  # the provider withdraws the old key
    assert verifier.verify(old) == ACTOR  # within the key set's lifespan: as before

    clock.now += JWKS_LIFESPAN + 1
    assert assert_rejected(verifier, old).startswith("invalid token")
    assert verifier.verify(new) == ACTOR
    _, payload, signature = new.split(".")
    for kid in [None, 7, ["2026-new"], {"k": 1}]:  # no key id, or not a string: refused, never an error
        header = base64.urlsafe_b64encode(json.dumps({"alg": "RS256", "typ": "JWT", "kid": kid}).encode())
        forged = f"{header.decode().rstrip('=')}.{payload}.{signature}"
        assert assert_rejected(verifier, forged).startswith("invalid token")


def test_while_the_identity_provider_is_down_the_last_key_set_fetched_stays_in_use(
        tmp_path: Path, identity_provider: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Staff keep working through the provider's outage; the fetch is tried again every JWKS_RETRY seconds, not
    on every request; a key published later (rotation) is found by the first fetch that succeeds."""
    first_private, first_jwk = _rsa_jwk("2026-a")
    next_private, next_jwk = _rsa_jwk("2026-b")
    _KeySet.keys = [first_jwk]
    clock = _Clock(monkeypatch)
    verifier = TokenVerifier(settings(tmp_path, secret=None, jwt_jwks_url=identity_provider, jwt_algorithms=["RS256"]))
    seen = _signed("2026-a", first_private)
    assert verifier.verify(seen) == ACTOR
    assert _KeySet.fetches == 1

    _KeySet.down = True
    clock.now += JWKS_LIFESPAN + 1
    assert verifier.verify(seen) == ACTOR  # verified again in full, with the last key set
    assert _KeySet.fetches == 2  # one failed fetch, then none until JWKS_RETRY has passed
    for jti in ["2", "3", "4"]:  # tokens never seen, signed with the key the provider published
        assert verifier.verify(_signed("2026-a", first_private, jti)) == ACTOR
    assert _KeySet.fetches == 2

    _KeySet.keys, _KeySet.down = [first_jwk, next_jwk], False  # back, with the next key published
    rotated = _signed("2026-b", next_private)
    assert assert_rejected(verifier, rotated).startswith("invalid token")  # not fetched again yet
    clock.now += JWKS_RETRY + 1
    assert verifier.verify(rotated) == ACTOR
    assert _KeySet.fetches == 3


async def test_the_api_fetches_the_key_set_off_its_event_loop_one_fetch_for_the_requests_that_need_it(
        tmp_path: Path, identity_provider: str) -> None:
    """``authenticate`` (the API's path) fetches on a thread: while the provider takes its time, the event loop
    — every other request, and the worker under ``casework up`` — runs on. The provider here answers only once
    the loop has run (at most 4 s): a fetch made on the loop would wait the 4 s out. Requests that find the key
    set due together share one fetch."""
    private, jwk = _rsa_jwk("2026-a")
    _KeySet.keys = [jwk]
    verifier = TokenVerifier(settings(tmp_path, secret=None, jwt_jwks_url=identity_provider, jwt_algorithms=["RS256"]))
    release = threading.Event()
    _KeySet.hold = release

    async def loop_runs() -> None:
        for _ in range(3):
            await asyncio.sleep(0.01)
        release.set()

    ticker = asyncio.create_task(loop_runs())
    actors = await asyncio.gather(*(verifier.authenticate(_signed("2026-a", private, str(i))) for i in range(5)))
    await ticker
    assert actors == [ACTOR] * 5
    assert _KeySet.held == [True], "the provider's answer waited for the event loop: the fetch blocked it"
    assert _KeySet.fetches == 1


async def test_an_answer_that_is_not_a_key_set_keeps_the_last_one_in_use(
        tmp_path: Path, identity_provider: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A 200 that is not JSON (a proxy's error page) is a failed fetch like a 503: the last key set stays in use
    and the request is answered, never an error of the API."""
    private, jwk = _rsa_jwk("2026-a")
    _KeySet.keys = [jwk]
    clock = _Clock(monkeypatch)
    verifier = TokenVerifier(settings(tmp_path, secret=None, jwt_jwks_url=identity_provider, jwt_algorithms=["RS256"]))
    token = _signed("2026-a", private)
    assert await verifier.authenticate(token) == ACTOR

    _KeySet.garbage = True
    clock.now += JWKS_LIFESPAN + 1
    assert await verifier.authenticate(token) == ACTOR
    assert await verifier.authenticate(_signed("2026-a", private, "2")) == ACTOR
    assert verifier.verify(_signed("2026-a", private, "3")) == ACTOR
    assert _KeySet.fetches == 2
