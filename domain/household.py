"""Household and members as they arrive in an application (SPEC §1, S1 Art. 7).

The lifecycle issue extends members with labour capacity, disability/illness flags, income and property;
this module holds what the first slice validates: identity, relation and place.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class Program(StrEnum):
    """Assistance programmes. Only 低保 has a lifecycle so far."""

    DIBAO = "dibao"  # 最低生活保障, S1


class AreaType(StrEnum):
    """Urban or rural household: selects the local standard (SPEC §0.1)."""

    URBAN = "urban"
    RURAL = "rural"


class Relation(StrEnum):
    """Relation of a member to the applicant (共同生活的家庭成员, S1 Art. 7)."""

    APPLICANT = "applicant"
    SPOUSE = "spouse"
    CHILD = "child"
    PARENT = "parent"
    SIBLING = "sibling"
    GRANDPARENT = "grandparent"
    GRANDCHILD = "grandchild"
    OTHER_DEPENDANT = "other_dependant"


class Member(BaseModel):
    """One household member. ``resident_id`` is normalised (upper-case X) by the domain."""

    model_config = ConfigDict(frozen=True, str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=50)
    resident_id: str
    relation: Relation


MAX_MEMBERS = 30
