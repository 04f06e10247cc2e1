"""Development key files: created once, private (0600), atomically — two processes starting together (a
worker and an API) never see a half-written key."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


def create_once(path: Path, content: bytes) -> bool:
    """Write ``content`` to ``path`` unless it exists. Returns whether this call created it.

    The content goes to a private temporary file in the same directory first and is then hard-linked into
    place, so the file appears complete or not at all, and a concurrent creator's file wins untouched.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(content)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o600)
        try:
            os.link(tmp, path)
        except FileExistsError:
            return False
        return True
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
