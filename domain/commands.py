"""Commands: what an actor asks the case to do (imperative names). The actor travels in the context."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from domain.household import MAX_MEMBERS, AreaType, Member, Program


class SubmitApplication(BaseModel):
    """Hand in an application at the township window or through the village committee as agent.

    S1 Arts. 4, 6, 9: the household applies through one member, or an agent such as the village committee.
    """

    model_config = ConfigDict(frozen=True)

    type: Literal["submit_application"] = "submit_application"
    program: Program
    village_code: str
    area_type: AreaType
    members: Annotated[list[Member], Field(min_length=1, max_length=MAX_MEMBERS)]


CaseCommand = SubmitApplication
