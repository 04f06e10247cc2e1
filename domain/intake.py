"""一门受理 (one intake, S5 item 23; S4 Art. 60): a household tells its situation once — members, income,
property, the emergency or the essential expenditure if any — and the engine screens it against every
programme's eligibility with the pure domain, answering which programmes it may qualify for, each with its
explanation (the criteria) and what is still missing. A screening decides nothing: the window then opens the
case(s) chosen, each on its own procedure.
"""

from __future__ import annotations

from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from domain.benefit import Criterion
from domain.household import AreaType, Declaration, Member, Program
from domain.temporary import TemporaryRequest


class Intake(BaseModel):
    """What the household told the window once."""

    model_config = ConfigDict(frozen=True)

    village_code: str
    area_type: AreaType
    members: tuple[Member, ...]
    declaration: Declaration = Declaration()
    temporary: TemporaryRequest | None = None


class Screening(BaseModel):
    """One programme's answer to an intake.

    Attributes:
        program: the programme.
        title: its zh-CN name.
        outcome: ``may_qualify`` / ``does_not_qualify`` / ``incomplete`` (something missing to tell) /
            ``not_screened`` (the engine runs no lifecycle for it yet: the window screens it by hand).
        summary: one line in zh-CN for the window.
        criteria: the explanation, criterion by criterion with its article.
        missing: what the household still has to tell or bring (zh-CN).
        applicants: for a programme applied for by one person (特困, 残疾人两项补贴), the members (indexes into
            the intake's members) who may qualify: the window opens one application for each. Empty: one
            application for the household.
        by_application: False where the programme opens no case from an application (高龄津贴: enrolled from
            the hukou extract and confirmed by the township): the window opens nothing from the intake.
    """

    model_config = ConfigDict(frozen=True)

    program: Program
    title: str
    outcome: Literal["may_qualify", "does_not_qualify", "incomplete", "not_screened"]
    summary: str
    criteria: tuple[Criterion, ...] = ()
    missing: tuple[str, ...] = ()
    applicants: tuple[int, ...] = ()
    by_application: bool = True


#: The articles an intake and its link to the cases opened from it rest on.
INTAKE_BASIS: tuple[str, ...] = ("S5 item 23", "S4 Art. 60")


class IntakeLink(BaseModel):
    """The intake a case is opened from, as the engine found it (never the caller's): its id, the parameter
    version it was screened with and each programme's outcome — recorded on the case's trail."""

    model_config = ConfigDict(frozen=True)

    intake_id: UUID
    screened_with: str
    outcomes: dict[str, str]
