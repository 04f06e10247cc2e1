"""``casework keys``: the payload encryption keys (issue 7).

    casework keys show                     key ids, ciphers and which is active (never the keys)
    casework keys rotate [--cipher C]      add a new key and make it active; old keys stay to decrypt

After a rotation restart the workers and API processes (they read the key file at start). Payloads written
under an old key keep decrypting as long as that key stays in the file: never remove a key while any history
encrypted with it may still be read (Temporal's retention, and exported histories).
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any


def register(subparsers: Any) -> None:
    keys = subparsers.add_parser("keys", help="payload encryption keys: show, rotate")
    sub = keys.add_subparsers(dest="keys_command", required=True)
    sub.add_parser("show", help="key ids, ciphers and the active key").set_defaults(func=_cmd_show)
    r = sub.add_parser("rotate", help="add a new key and make it active")
    r.add_argument("--cipher", choices=["aes-256-gcm", "sm4-gcm"], default="aes-256-gcm")
    r.add_argument("--key-id", default=None, help="the new key's id (default: k<n+1>)")
    r.set_defaults(func=_cmd_rotate)


def _ring() -> tuple[Any, Any]:
    from adapters.settings import Settings
    from adapters.temporal.codec import load_or_create_key_file

    settings = Settings()
    path = settings.effective_payload_keys_file
    return path, load_or_create_key_file(path, create=settings.payload_keys_file is None)


def _cmd_show(_: argparse.Namespace) -> int:
    path, ring = _ring()
    sys.stdout.write(f"{path}\n")
    for key in ring.keys.values():
        sys.stdout.write(f"{'*' if key.key_id == ring.active else ' '} {key.key_id}  {key.cipher}\n")
    return 0


def _cmd_rotate(args: argparse.Namespace) -> int:
    path, ring = _ring()
    key_id = args.key_id or f"k{len(ring.keys) + 1}"
    try:
        rotated = ring.rotated(key_id, args.cipher)
    except ValueError as err:
        sys.stderr.write(f"casework keys: {err}\n")
        return 2
    tmp = path.with_name(f".{path.name}.rotate")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(rotated.to_json())
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    sys.stdout.write(f"active key is now {key_id} ({args.cipher}); restart workers and API processes\n")
    return 0
