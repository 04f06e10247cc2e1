"""The test session's payload key file and the environment for ``casework`` subprocesses.

Every Temporal client of the tests encrypts payloads (adapters/temporal/codec.py) with one key ring made for
the session, so a `casework` subprocess (a worker, a CLI) started by a test must use the same key file:
``subprocess_env`` clears the caller's ``CASEWORK_*`` settings but keeps that one.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from adapters.temporal.codec import EncryptionCodec, KeyRing, new_key_ring

PAYLOAD_KEYS_FILE = Path(tempfile.mkdtemp(prefix="casework-test-keys-")) / "payload-keys.json"
PAYLOAD_KEYS_FILE.write_text(new_key_ring("test-k1").to_json())
PAYLOAD_KEYS_FILE.chmod(0o600)
os.environ["CASEWORK_PAYLOAD_KEYS_FILE"] = str(PAYLOAD_KEYS_FILE)


def key_ring() -> KeyRing:
    return KeyRing.from_json(PAYLOAD_KEYS_FILE.read_text())


def test_codec(namespace: str = "default") -> EncryptionCodec:
    return EncryptionCodec(key_ring(), namespace)


test_codec.__test__ = False  # type: ignore[attr-defined]  # not a test for pytest


def subprocess_env(**settings: str) -> dict[str, str]:
    """This process's environment without its ``CASEWORK_*`` settings, but with the session's payload key file,
    plus ``settings``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CASEWORK_")}
    return env | {"CASEWORK_PAYLOAD_KEYS_FILE": str(PAYLOAD_KEYS_FILE)} | settings
