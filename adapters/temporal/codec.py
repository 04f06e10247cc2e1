"""Payload encryption for everything the engine sends to Temporal (issue 7): a ``PayloadCodec``.

Every payload — workflow inputs and results, update arguments, activity inputs and outputs, query answers,
memos — and, with :class:`DefaultFailureConverterWithEncodedAttributes`, every failure's message and stack
trace, is encrypted before it leaves the process:

* **AES-256-GCM** by default, **SM4-GCM** (GB/T 32907) selectable per key, for deployments under the
  commercial-cryptography rules;
* a random 96-bit nonce per payload; the **namespace** and the key id are the associated data, so a payload
  copied into another namespace does not decrypt;
* the **key id** travels in the payload's metadata, so rotation is adding a key and making it active: payloads
  written under an old key still decode while its key is kept;
* payloads without the encrypted encoding (histories recorded before encryption, the golden test histories)
  pass through unchanged.

Keys come from a JSON key file (``CASEWORK_PAYLOAD_KEYS_FILE``), never from the repository; ``make run``
generates a development file under ``var/keys``::

    {"active": "k2", "keys": {"k1": {"cipher": "aes-256-gcm", "key": "<base64>"},
                              "k2": {"cipher": "sm4-gcm", "key": "<base64>"}}}
"""

from __future__ import annotations

import base64
import dataclasses
import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from temporalio.api.common.v1 import Payload
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import DataConverter, DefaultFailureConverterWithEncodedAttributes, PayloadCodec

from adapters.keyfiles import create_once

ENCODING = b"binary/encrypted"
KEY_ID = "encryption-key-id"
CIPHER = "encryption-cipher"

Cipher_ = Literal["aes-256-gcm", "sm4-gcm"]
_KEY_BYTES = {"aes-256-gcm": 32, "sm4-gcm": 16}
_NONCE = 12
_TAG = 16


class CodecError(Exception):
    """A payload cannot be decrypted (unknown key id, wrong namespace, or tampered). Never names its content."""


@dataclass(frozen=True, slots=True)
class PayloadKey:
    key_id: str
    cipher: Cipher_
    key: bytes = dataclasses.field(repr=False)

    def __post_init__(self) -> None:
        if len(self.key) != _KEY_BYTES[self.cipher]:
            raise ValueError(f"key {self.key_id}: {self.cipher} needs {_KEY_BYTES[self.cipher]} bytes")

    def seal(self, plaintext: bytes, aad: bytes) -> bytes:
        nonce = secrets.token_bytes(_NONCE)
        if self.cipher == "aes-256-gcm":
            return nonce + AESGCM(self.key).encrypt(nonce, plaintext, aad)
        enc = Cipher(algorithms.SM4(self.key), modes.GCM(nonce)).encryptor()
        enc.authenticate_additional_data(aad)
        body = enc.update(plaintext) + enc.finalize()
        return nonce + body + enc.tag

    def open(self, sealed: bytes, aad: bytes) -> bytes:
        nonce, body = sealed[:_NONCE], sealed[_NONCE:]
        if self.cipher == "aes-256-gcm":
            return AESGCM(self.key).decrypt(nonce, body, aad)
        dec = Cipher(algorithms.SM4(self.key), modes.GCM(nonce, body[-_TAG:])).decryptor()
        dec.authenticate_additional_data(aad)
        return dec.update(body[:-_TAG]) + dec.finalize()


@dataclass(frozen=True, slots=True)
class KeyRing:
    """The keys a process may decrypt with, and the one it encrypts with."""

    active: str
    keys: dict[str, PayloadKey]

    def __post_init__(self) -> None:
        if self.active not in self.keys:
            raise ValueError(f"the active key {self.active!r} is not in the key file")

    @classmethod
    def from_json(cls, text: str) -> KeyRing:
        doc = json.loads(text)
        keys = {kid: PayloadKey(kid, k["cipher"], base64.b64decode(k["key"])) for kid, k in doc["keys"].items()}
        return cls(active=doc["active"], keys=keys)

    def to_json(self) -> str:
        return json.dumps({"active": self.active, "keys": {
            k.key_id: {"cipher": k.cipher, "key": base64.b64encode(k.key).decode()} for k in self.keys.values()}},
            indent=2)

    def rotated(self, key_id: str, cipher: Cipher_ = "aes-256-gcm") -> KeyRing:
        """A new active key; the old ones stay for decryption."""
        if key_id in self.keys:
            raise ValueError(f"key id {key_id!r} already exists")
        new = PayloadKey(key_id, cipher, secrets.token_bytes(_KEY_BYTES[cipher]))
        return KeyRing(active=key_id, keys={**self.keys, key_id: new})


def new_key_ring(key_id: str = "k1", cipher: Cipher_ = "aes-256-gcm") -> KeyRing:
    return KeyRing(active=key_id, keys={key_id: PayloadKey(key_id, cipher, secrets.token_bytes(_KEY_BYTES[cipher]))})


def load_or_create_key_file(path: Path, *, create: bool) -> KeyRing:
    """The key ring in ``path``; with ``create`` (the development default) a new one is written (0600) if the
    file does not exist.

    Raises:
        FileNotFoundError: the file is missing and ``create`` is false (a configured key file must exist).
    """
    if not path.exists():
        if not create:
            raise FileNotFoundError(f"payload key file {path} not found")
        create_once(path, new_key_ring().to_json().encode())  # another process may have made it first: fine
    return KeyRing.from_json(path.read_text())


class EncryptionCodec(PayloadCodec):
    """Encrypts every payload with the active key; decrypts with whichever key a payload names."""

    def __init__(self, ring: KeyRing, namespace: str) -> None:
        self._ring = ring
        self._namespace = namespace.encode()

    def _aad(self, key_id: str) -> bytes:
        return self._namespace + b"\x1f" + key_id.encode()

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        key = self._ring.keys[self._ring.active]
        return [
            Payload(metadata={"encoding": ENCODING, KEY_ID: key.key_id.encode(), CIPHER: key.cipher.encode()},
                    data=key.seal(p.SerializeToString(), self._aad(key.key_id)))
            for p in payloads
        ]

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        out = []
        for p in payloads:
            if p.metadata.get("encoding") != ENCODING:
                out.append(p)  # recorded before encryption: as it is
                continue
            key_id = p.metadata.get(KEY_ID, b"").decode()
            key = self._ring.keys.get(key_id)
            if key is None:
                raise CodecError(f"no key {key_id!r} to decrypt a payload with")
            try:
                out.append(Payload.FromString(key.open(p.data, self._aad(key_id))))
            except InvalidTag:
                raise CodecError(f"a payload does not decrypt with key {key_id!r} in this namespace") from None
        return out


def data_converter(codec: PayloadCodec | None) -> DataConverter:
    """The engine's converter: pydantic payloads; with a codec, encrypted payloads and encrypted failure
    messages and stack traces (the default failure converter would leave them in the clear)."""
    if codec is None:
        return pydantic_data_converter
    return dataclasses.replace(pydantic_data_converter, payload_codec=codec,
                               failure_converter_class=DefaultFailureConverterWithEncodedAttributes)
