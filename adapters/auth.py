"""Bearer JWTs: the actor's id (``sub``), role and jurisdiction code.

Development: HS256 with a random key that ``casework up`` writes to ``var/keys`` (mode 0600).
Production: ``CASEWORK_JWT_SECRET`` (HS256), ``CASEWORK_JWT_PUBLIC_KEY_FILE`` (RS256/ES256, verify only) or
``CASEWORK_JWT_JWKS_URL`` (the identity provider's key set).
"""

from __future__ import annotations

import asyncio
import os
import secrets
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import structlog
from pydantic import ValidationError

from adapters.settings import Settings
from domain.actors import HUMAN_ROLES, Actor, Role

log = structlog.get_logger(__name__)


class AuthError(Exception):
    """The token is missing, malformed, expired, badly signed or carries invalid claims."""


def ensure_dev_key(settings: Settings) -> str:
    """Create the development HS256 key under ``var/keys`` if missing, and return it."""
    path = settings.dev_jwt_key_file
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


def signing_secret(settings: Settings) -> str | None:
    """The HS256 secret: configured, else the development key file if it exists."""
    if settings.jwt_secret:
        return settings.jwt_secret
    if settings.jwt_public_key_file or settings.jwt_jwks_url:
        return None
    path = settings.dev_jwt_key_file
    return path.read_text().strip() if path.exists() else None


def issue_token(settings: Settings, *, sub: str, role: Role, jurisdiction: str, now: datetime,
                ttl: timedelta = timedelta(hours=8)) -> str:
    """Sign a token for an actor with the HS256 secret (development, tests, service accounts).

    Raises:
        AuthError: no HS256 secret is configured.
        pydantic.ValidationError: the jurisdiction is not a 6-, 9- or 12-digit code.
    """
    secret = signing_secret(settings)
    if secret is None:
        if settings.jwt_public_key_file or settings.jwt_jwks_url:
            raise AuthError("no HS256 secret configured: tokens come from the identity provider")
        secret = ensure_dev_key(settings)
    actor = Actor(id=sub, role=role, jurisdiction=jurisdiction)
    if actor.role not in HUMAN_ROLES:
        raise AuthError("tokens are for people; the system role cannot be issued")
    claims = {
        "sub": actor.id,
        "role": actor.role.value,
        "jurisdiction": actor.jurisdiction,
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "iat": int(now.timestamp()),
        "exp": int((now + ttl).timestamp()),
    }
    return jwt.encode(claims, secret, algorithm="HS256")


#: Verified tokens a :class:`TokenVerifier` remembers (a few per active staff member).
_VERIFIED_MAX = 4096

#: Seconds the identity provider's key set is kept before it is fetched again (PyJWT's default), and so the
#: longest a key the provider has withdrawn still verifies — a remembered token included — while it answers.
JWKS_LIFESPAN = 300.0
#: After a failed fetch, or for a key id the set does not hold (a rotation), the next fetch waits this long.
JWKS_RETRY = 30.0
#: Longest a fetch of the key set may take. The API fetches off its event loop (``TokenVerifier.authenticate``),
#: so a provider that does not answer holds up only the requests that wait for that fetch.
JWKS_FETCH_TIMEOUT = 5.0


class IdentityProviderKeys:
    """The identity provider's signing keys from its JWKS URL: fetched again every ``JWKS_LIFESPAN`` seconds, and
    for a key id the set does not hold at most every ``JWKS_RETRY`` seconds. When a fetch fails (the provider
    down) the last key set fetched stays in use and the fetch is tried again after ``JWKS_RETRY``: staff keep
    working through the provider's outage, and a key it withdrew meanwhile stops verifying at the first fetch
    that succeeds. PyJWT's per-key cache is not used: it would keep a withdrawn key for the process's life.

    ``fetch_if_due`` fetches on a thread of its own, one fetch at a time (the requests that find the set due
    together wait for the same fetch); ``key_for`` then finds the set fresh. Called alone (the CLI, a test)
    ``key_for`` fetches in place."""

    def __init__(self, url: str) -> None:
        self._client = jwt.PyJWKClient(url, cache_keys=False, cache_jwk_set=False, timeout=JWKS_FETCH_TIMEOUT)
        self._keys: dict[str, jwt.PyJWK] = {}
        self._fresh_until = float("-inf")  # monotonic
        self._next_fetch = float("-inf")
        self._guard = threading.Lock()
        self._fetching: Future[None] | None = None
        self._fetcher: ThreadPoolExecutor | None = None

    def key_for(self, token: str) -> Any:
        """The public key that signed ``token`` (its ``kid``).

        Raises:
            jwt.PyJWTError: a malformed header, or no key with that id (after a fetch, when one is allowed).
        """
        kid = _key_id(token)
        now = time.monotonic()
        with self._guard:
            due = self._claim(kid, now)
        if due:
            self._fetch(now)
        if kid not in self._keys:
            raise jwt.PyJWKClientError("no signing key with the token's key id")
        return self._keys[kid].key

    async def fetch_if_due(self, token: str) -> None:
        """Fetch the key set off the event loop if verifying ``token`` now would fetch it (or wait for the fetch
        under way). A malformed header is left for ``key_for`` to refuse."""
        try:
            kid = _key_id(token)
        except jwt.PyJWTError:
            return
        now = time.monotonic()
        with self._guard:
            if self._fresh(kid, now):
                return  # nothing to wait for, even while a fetch another key id asked for runs
            fetching = self._fetching
            if fetching is None or fetching.done():
                if not self._claim(kid, now):
                    return
                if self._fetcher is None:
                    self._fetcher = ThreadPoolExecutor(max_workers=1, thread_name_prefix="jwks-fetch")
                fetching = self._fetching = self._fetcher.submit(self._fetch, now)
        # shielded: a request cancelled while it waits (its client gone) must not cancel the others' fetch
        await asyncio.shield(asyncio.wrap_future(fetching))

    def _fresh(self, kid: str, now: float) -> bool:
        return now < self._fresh_until and kid in self._keys

    def _claim(self, kid: str, now: float) -> bool:
        """Under the guard: whether a fetch for ``kid`` is due now; if so the caller fetches, and the next fetch
        waits ``JWKS_RETRY`` whatever this one's outcome."""
        if now < self._next_fetch or self._fresh(kid, now):
            return False
        self._next_fetch = now + JWKS_RETRY
        return True

    def _fetch(self, now: float) -> None:
        """Fetch the key set (its retry time is set by the caller); a failure keeps the set in use."""
        try:
            jwk_set = self._client.get_jwk_set(refresh=True)
        except (jwt.PyJWTError, ValueError, OSError) as err:  # unreachable, not JSON, cut off mid-answer
            log.warning("auth.jwks_fetch_failed", error=type(err).__name__, keys_in_use=len(self._keys))
            return
        self._keys = {k.key_id: k for k in jwk_set.keys if k.key_id and k.public_key_use in ("sig", None)}
        self._fresh_until = now + JWKS_LIFESPAN


def _key_id(token: str) -> str:
    kid = jwt.get_unverified_header(token).get("kid")
    if not isinstance(kid, str):
        raise jwt.InvalidTokenError("the token names no key id")
    return kid


class TokenVerifier:
    """Verifies bearer tokens and turns them into an :class:`Actor`.

    Args:
        settings: the key source, issuer and audience.
    """

    def __init__(self, settings: Settings) -> None:
        self._issuer = settings.jwt_issuer
        self._audience = settings.jwt_audience
        self._algorithms = list(settings.jwt_algorithms)
        self._jwks: IdentityProviderKeys | None = None
        self._key: str | bytes | None = None
        if settings.jwt_jwks_url:
            self._jwks = IdentityProviderKeys(settings.jwt_jwks_url)
        elif settings.jwt_public_key_file:
            self._key = settings.jwt_public_key_file.read_bytes()
        else:
            self._key = signing_secret(settings) or ensure_dev_key(settings)
            self._algorithms = ["HS256"]
        #: Tokens verified already: the actor, the expiry and when to verify the token again in full. Everything
        #: a verification checks but the expiry is fixed by the token and the key, so a repeat only checks the
        #: expiry again (a client sends the same token with every request; issue 18) — until the key may have
        #: been withdrawn: with a JWKS, a remembered token is verified again once the key set it was checked
        #: against is due to be fetched again. A configured secret or key file changes only with a restart.
        #: Bounded: cleared when full.
        self._verified: dict[str, tuple[Actor, float, float]] = {}
        self._recheck_after = JWKS_LIFESPAN if self._jwks is not None else float("inf")

    async def authenticate(self, token: str) -> Actor:
        """``verify`` for the API: a fetch of the identity provider's key set it needs runs off the event loop, so
        a slow or absent provider never stalls the other requests (nor, under ``casework up``, the worker)."""
        if self._jwks is not None:
            known = self._verified.get(token)
            if known is None or time.monotonic() >= known[2]:
                await self._jwks.fetch_if_due(token)
        return self.verify(token)

    def verify(self, token: str) -> Actor:
        """Check signature, expiry, issuer and audience, and read the actor.

        Raises:
            AuthError: with a reason that never echoes the token.
        """
        known = self._verified.get(token)
        if known is not None:
            actor, exp, recheck_at = known
            if exp <= datetime.now(tz=UTC).timestamp():  # as PyJWT decides it (no leeway)
                self._verified.pop(token, None)
                raise AuthError("token expired")
            if time.monotonic() < recheck_at:
                return actor
            self._verified.pop(token, None)  # verified in full again below: the key may have been withdrawn
        actor, exp = self._verify(token)
        if len(self._verified) >= _VERIFIED_MAX:
            self._verified.clear()
        self._verified[token] = (actor, exp, time.monotonic() + self._recheck_after)
        return actor

    def _verify(self, token: str) -> tuple[Actor, float]:
        try:
            key = self._jwks.key_for(token) if self._jwks else self._key
            claims = jwt.decode(
                token,
                key,  # type: ignore[arg-type]
                algorithms=self._algorithms,
                audience=self._audience,
                issuer=self._issuer,
                options={"require": ["sub", "exp", "iat", "iss", "aud"]},
            )
        except jwt.ExpiredSignatureError:
            raise AuthError("token expired") from None
        except jwt.PyJWTError as err:
            raise AuthError(f"invalid token: {type(err).__name__}") from None
        try:
            actor = Actor(id=claims["sub"], role=claims.get("role"), jurisdiction=claims.get("jurisdiction"))
        except ValidationError:
            raise AuthError("invalid token: role or jurisdiction claim missing or invalid") from None
        if actor.role not in HUMAN_ROLES:
            raise AuthError("invalid token: role claim missing or invalid")
        return actor, float(claims["exp"])
