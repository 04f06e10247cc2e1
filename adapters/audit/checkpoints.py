"""Signed checkpoints of the ledger's head, kept outside the database.

The hash chain shows that no entry was changed in place; it cannot show that someone with the database did
not rewrite every entry from some point on, or cut off the newest ones. A checkpoint — the head's position
and hash, signed with an Ed25519 key the database operator does not hold — written to a place the operator
cannot write (a WORM share, another office's server; ``CASEWORK_LEDGER_CHECKPOINT_DIR``) closes both gaps:
``casework audit verify`` checks each checkpoint's signature and that the ledger still holds that hash at that
position.

One JSON object per line in ``checkpoints.jsonl``, appended; the file is never rewritten.
"""

from __future__ import annotations

import base64
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from pydantic import AwareDatetime, BaseModel

from adapters.audit.chain import canonical_json, digest
from adapters.keyfiles import create_once
from adapters.settings import Settings

CHECKPOINT_FILE = "checkpoints.jsonl"


class Checkpoint(BaseModel):
    """The ledger's head at a moment, signed."""

    position: int
    entry_hash: str
    signed_at: AwareDatetime
    key_id: str
    signature: str = ""

    def signed_text(self) -> bytes:
        return canonical_json({"position": self.position, "entry_hash": self.entry_hash,
                               "signed_at": self.signed_at.astimezone(UTC).isoformat(), "key_id": self.key_id}).encode()


def key_id(public_key: Ed25519PublicKey) -> str:
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return digest("sha256", raw)[:16]


def signing_key(settings: Settings) -> Ed25519PrivateKey:
    """The configured signing key; without one configured, the development key under ``var/keys`` (made on
    first use, mode 0600).

    Raises:
        FileNotFoundError: a configured key file does not exist.
    """
    path = settings.effective_ledger_signing_key_file
    if not path.exists():
        if settings.ledger_signing_key_file is not None:
            raise FileNotFoundError(f"ledger signing key {path} not found")
        create_once(path, Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path} is not an Ed25519 private key")
    return key


def verify_key(settings: Settings) -> Ed25519PublicKey:
    """The public key checkpoints are checked with: the configured one, else the signing key's."""
    if settings.ledger_verify_key_file is not None:
        key = serialization.load_pem_public_key(settings.ledger_verify_key_file.read_bytes())
        if not isinstance(key, Ed25519PublicKey):
            raise ValueError(f"{settings.ledger_verify_key_file} is not an Ed25519 public key")
        return key
    return signing_key(settings).public_key()


def sign(private_key: Ed25519PrivateKey, position: int, entry_hash: str, signed_at: datetime) -> Checkpoint:
    cp = Checkpoint(position=position, entry_hash=entry_hash, signed_at=signed_at,
                    key_id=key_id(private_key.public_key()))
    return cp.model_copy(update={"signature": base64.b64encode(private_key.sign(cp.signed_text())).decode()})


def signature_valid(public_key: Ed25519PublicKey, cp: Checkpoint) -> bool:
    try:
        public_key.verify(base64.b64decode(cp.signature), cp.signed_text())
    except (InvalidSignature, ValueError):
        return False
    return True


async def take_checkpoint(pool: asyncpg.Pool, settings: Settings, *, now: datetime | None = None) -> Checkpoint | None:
    """Sign the ledger's head and append it to the checkpoint file (None: the ledger is empty)."""
    head = await pool.fetchrow("SELECT position, entry_hash FROM audit_ledger ORDER BY position DESC LIMIT 1")
    if head is None:
        return None
    cp = sign(signing_key(settings), head["position"], head["entry_hash"], now or datetime.now(UTC))
    directory = settings.effective_ledger_checkpoint_dir
    directory.mkdir(parents=True, exist_ok=True)
    with (directory / CHECKPOINT_FILE).open("a", encoding="utf-8") as f:
        f.write(cp.model_dump_json() + "\n")
        f.flush()
        os.fsync(f.fileno())
    return cp


def read_checkpoints(directory: Path) -> list[Checkpoint]:
    path = directory / CHECKPOINT_FILE
    if not path.exists():
        return []
    return [Checkpoint.model_validate_json(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


async def check_checkpoints(pool: asyncpg.Pool, checkpoints: list[Checkpoint],
                            public_key: Ed25519PublicKey) -> list[dict[str, Any]]:
    """Problems found: a bad signature, a position the ledger no longer reaches, a different hash there."""
    problems: list[dict[str, Any]] = []
    for cp in checkpoints:
        if not signature_valid(public_key, cp):
            problems.append({"position": cp.position, "problem": "checkpoint_signature_invalid"})
            continue
        stored = await pool.fetchval("SELECT entry_hash FROM audit_ledger WHERE position = $1", cp.position)
        if stored is None:
            problems.append({"position": cp.position, "problem": "entry_missing_since_checkpoint"})
        elif stored != cp.entry_hash:
            problems.append({"position": cp.position, "problem": "entry_differs_from_checkpoint"})
    return problems
