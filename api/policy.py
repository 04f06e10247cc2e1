"""Who may call what: one table, read by the route dependencies (and by the authorization-matrix tests).

Object-level checks (is this case inside the actor's jurisdiction?) happen in the routes and the domain.
"""

from __future__ import annotations

from enum import StrEnum
from types import MappingProxyType

from domain.actors import HUMAN_ROLES, Role
from domain.case import SUBMIT_ROLES


class Permission(StrEnum):
    CASE_CREATE = "case.create"
    CASE_READ = "case.read"
    CASE_COMMAND = "case.command"


POLICY: MappingProxyType[Permission, frozenset[Role]] = MappingProxyType(
    {
        Permission.CASE_CREATE: SUBMIT_ROLES,
        Permission.CASE_READ: HUMAN_ROLES,
        # Which role may take which step is the domain's rule (domain/case.py); auditors only read.
        Permission.CASE_COMMAND: HUMAN_ROLES - {Role.AUDITOR},
    }
)
