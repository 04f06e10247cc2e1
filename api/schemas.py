"""API request and response shapes (``…Create`` in, ``…Public`` out). Requests reject unknown fields."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, field_validator

from domain.divisions import validate_village_code
from domain.errors import InvalidInput
from domain.household import MAX_MEMBERS, AreaType, Program, Relation
from domain.identity import parse_resident_id
from domain.state import CaseState, Stage


class MemberCreate(BaseModel):
    """A household member as the window enters it."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: Annotated[str, Field(min_length=1, max_length=50)]
    resident_id: Annotated[
        str, Field(min_length=18, max_length=18, description="18-character resident ID number (GB 11643-1999)")
    ]
    relation: Relation

    @field_validator("resident_id")
    @classmethod
    def _gb11643(cls, value: str) -> str:
        try:
            return parse_resident_id(value).value
        except InvalidInput as err:
            raise ValueError(err.message) from None


class CaseCreate(BaseModel):
    """An application handed in at the township window (or by the village committee as agent)."""

    model_config = ConfigDict(extra="forbid")

    program: Program = Program.DIBAO
    village_code: Annotated[str, Field(description="12-digit village (村/社区) code, 统计用区划代码")]
    area_type: AreaType
    members: Annotated[list[MemberCreate], Field(min_length=1, max_length=MAX_MEMBERS)]

    @field_validator("village_code")
    @classmethod
    def _village(cls, value: str) -> str:
        try:
            return validate_village_code(value)
        except InvalidInput as err:
            raise ValueError(err.message) from None


class CasePublic(BaseModel):
    """A case as the API shows it: where it stands, nothing personal."""

    case_id: UUID
    workflow_id: str
    program: Program
    stage: Stage
    village_code: str
    township_code: str
    county_code: str
    household_size: int
    version: int
    opened_at: datetime
    stage_since: datetime
    updated_at: datetime

    @classmethod
    def of(cls, state: CaseState, workflow_id: str) -> CasePublic:
        return cls(
            case_id=state.case_id,
            workflow_id=workflow_id,
            program=state.program,
            stage=state.stage,
            village_code=state.village_code,
            township_code=state.township_code,
            county_code=state.county_code,
            household_size=len(state.members),
            version=state.version,
            opened_at=state.opened_at,
            stage_since=state.stage_since,
            updated_at=state.updated_at,
        )


class Problem(BaseModel):
    """Error body for 401, 403, 404, 409 and 503."""

    detail: str


class DependencyStatus(BaseModel):
    status: str
    failing: list[str] = []
