"""Identifiers. Case ids are random UUIDs and never derive from personal data."""

from __future__ import annotations

from typing import NewType
from uuid import UUID

CaseId = NewType("CaseId", UUID)
ActorId = NewType("ActorId", str)

WORKFLOW_ID_PREFIX = "case-"


def workflow_id_for(case_id: UUID) -> str:
    """The Temporal workflow id of a case: a fixed prefix and the random case id, nothing personal.

    Args:
        case_id: the case's random id.

    Returns:
        ``"case-<uuid>"``.
    """
    return f"{WORKFLOW_ID_PREFIX}{case_id}"
