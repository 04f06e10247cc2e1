"""Who acts: roles (SPEC §2) and the actor recorded with every decision."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, field_validator

from domain.divisions import covers, is_jurisdiction_code


class Role(StrEnum):
    """System roles. The legal body behind each is in SPEC §2."""

    FRONT_OFFICE = "front_office"  # 一门受理窗口 (township window), S4 Art. 60, S1 Art. 10
    VILLAGE_COMMITTEE = "village_committee"  # 村(居)民委员会, S1 Arts. 2, 6, 16
    TOWNSHIP_CASEWORKER = "township_caseworker"  # S1 Arts. 15, 16, 19
    TOWNSHIP_APPROVER = "township_approver"  # S1 Art. 2, 19
    COUNTY_REVIEWER = "county_reviewer"  # S1 Art. 20
    COUNTY_APPROVER = "county_approver"  # S1 Arts. 20, 21
    SUPERVISOR = "supervisor"  # S1 Arts. 35-37
    AUDITOR = "auditor"  # S4 Arts. 57, 63
    SYSTEM = "system"  # the engine itself (timers, deadlines); never in a token


#: Roles a person can hold (and a token can carry).
HUMAN_ROLES = frozenset(r for r in Role if r is not Role.SYSTEM)


class Actor(BaseModel):
    """The authenticated person behind a command: id, role and jurisdiction code.

    The id is an opaque staff identifier, never a resident ID number or a name.
    """

    model_config = ConfigDict(frozen=True)

    id: str
    role: Role
    jurisdiction: str

    @field_validator("jurisdiction")
    @classmethod
    def _jurisdiction_shape(cls, value: str) -> str:
        if not is_jurisdiction_code(value):
            raise ValueError("jurisdiction must be a 6-, 9- or 12-digit division code")
        return value

    def covers(self, code: str) -> bool:
        """Whether this actor's jurisdiction contains the division ``code``."""
        return covers(self.jurisdiction, code)
