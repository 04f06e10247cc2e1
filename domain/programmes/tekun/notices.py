"""特困's notices (filled in below)."""

from __future__ import annotations

from typing import Any

from domain.errors import InvalidTransition

NOTICE_KINDS: tuple[str, ...] = ()
EVENT_NOTICE_KINDS: frozenset[str] = frozenset()


def notice_for(state: Any, kind: str, **_options: Any) -> Any:
    raise InvalidTransition(f"no {kind} notice is issued in this programme")
