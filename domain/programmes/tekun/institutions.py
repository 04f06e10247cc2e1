"""特困 support institutions (供养服务机构: the county's 敬老院 and regional 养老服务中心) as reference data with bed
counts (S4 Art. 19: 集中供养 in an institution chosen by the person). Pure: the list is read by an adapter."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from domain.errors import InvalidTransition


class Institution(BaseModel):
    model_config = ConfigDict(frozen=True)

    institution_id: Annotated[str, Field(min_length=1, max_length=64)]
    name: str
    township_code: Annotated[str, Field(pattern=r"^[0-9]{9}$")]
    kind: Literal["nursing_home", "regional_centre"]
    beds: Annotated[int, Field(ge=0)]


class InstitutionRegister(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    county_code: str
    label: str
    institutions: list[Institution]

    def get(self, institution_id: str) -> Institution | None:
        return next((i for i in self.institutions if i.institution_id == institution_id), None)


class InstitutionFull(InvalidTransition):
    """Every bed of the chosen institution is taken (409): the case waits on its list (S4 Art. 19)."""

    code = "institution_full"

    def __init__(self, institution: Institution, occupied: int, position: int) -> None:
        super().__init__(
            f"{institution.name} has no free bed ({occupied} of {institution.beds} taken): the case is on its "
            f"waiting list at position {position} (S4 Art. 19)",
            field=("command", "institution_id"),
        )
        self.occupied = occupied
        self.position = position
