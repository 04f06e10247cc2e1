"""一门受理 (one intake, S5 item 23; S4 Art. 60; issue 16 item 7): the township window records a household's
situation once; the engine screens it against every programme with the pure domain (each answer with its
explanation and what is missing) and keeps the screening; the window opens the case(s) chosen with
``POST /v1/cases`` and ``intake_id`` (the application pre-filled from ``GET /v1/intakes/{intake_id}``). One
active case per person per programme stays the rule (409); a household may hold cases of several programmes.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

import structlog
from fastapi import APIRouter, Depends, Response, status
from pydantic import BaseModel, Field

from adapters.db.intakes import PgIntakes
from api.deps import ClockDep, LedgerDep, ParametersDep, PoolDep, require
from api.errors import IntakeNotFound
from api.policy import Permission
from api.schemas import DeclarationCreate, MemberCreate, Problem, RequestBody, TemporaryRequestCreate, VillageCode
from domain.actors import Actor
from domain.divisions import township_of
from domain.errors import NotPermitted
from domain.household import MAX_MEMBERS, AreaType, Declaration, Member, Program
from domain.intake import Intake, Screening
from domain.kernel.clock import CHINA_TZ
from domain.parameters import resolve
from domain.programmes import screen
from domain.temporary import TemporaryRequest
from services.audit.access import log_access

router = APIRouter(prefix="/v1/intakes", tags=["intakes"])
log = structlog.get_logger(__name__)

_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": Problem, "description": "missing or invalid token"},
    403: {"model": Problem, "description": "role or jurisdiction does not allow it"},
}


class IntakeCreate(RequestBody):
    """A household's situation, told once."""

    village_code: VillageCode
    area_type: AreaType
    members: Annotated[list[MemberCreate], Field(min_length=1, max_length=MAX_MEMBERS)]
    declaration: DeclarationCreate = DeclarationCreate()
    temporary: TemporaryRequestCreate | None = None


class OpenedCase(BaseModel):
    program: Program
    case_id: UUID
    opened_at: datetime
    stage: str | None = None
    outcome: str | None = None
    pending_step: str | None = None
    #: For a programme applied for by one person: the applicant's resident ID number (kept in PostgreSQL with
    #: the link; not in the answer), to tell which person's draft the case was opened from.
    person: str = Field("", exclude=True)


class ApplicationDraft(BaseModel):
    """The body of ``POST /v1/cases`` that opens the programme's case from the intake."""

    intake_id: UUID
    program: Program
    village_code: str
    area_type: AreaType
    members: list[Member]
    declaration: Declaration
    temporary: TemporaryRequest | None = None
    #: The console's name for the draft (``tekun:2``: 特困 for the intake's second member; ``dibao``: the
    #: household's) and whether a case was opened from it already; not in the answer, which is a request body.
    key: str = Field("", exclude=True)
    opened: bool = Field(False, exclude=True)


class IntakePublic(BaseModel):
    intake_id: UUID
    village_code: str
    created_at: datetime
    parameter_set_version: str
    screening: list[Screening]
    #: Pre-filled applications for the programmes the household may qualify for (or that miss only a detail).
    applications: list[ApplicationDraft]
    #: The cases opened from the intake, where each stands now.
    cases: list[OpenedCase]


def _drafts(intake_id: UUID, household: dict[str, Any], screening: list[Screening],
            opened: set[tuple[Program, str]]) -> list[ApplicationDraft]:
    """An application per programme the household may qualify for (or that misses only a detail) — per person
    where the programme is applied for by one person (the person as its applicant), none where it opens no case
    from an application (高龄津贴's enrolment) or where the application would lack what it must name (临时救助
    without the emergency or the expenditure). ``opened``: the (programme, person) pairs the intake's cases were
    opened for (person: the applicant's resident ID number for a programme one person applies for, else "")."""
    out = []
    for s in screening:
        if s.outcome not in {"may_qualify", "incomplete"} or not s.by_application:
            continue
        if s.program is Program.TEMPORARY and not household.get("temporary"):
            continue  # no emergency or expenditure told: nothing a 临时救助 application could name (S8 §二(一))
        people = ([(f"{s.program.value}:{i + 1}", [{**household["members"][i], "relation": "applicant"}])
                   for i in s.applicants] if s.applicants else [(s.program.value, household["members"])])
        for key, members in people:
            draft = ApplicationDraft(
                intake_id=intake_id, program=s.program, village_code=household["village_code"],
                area_type=household["area_type"], members=members, declaration=household["declaration"],
                temporary=household.get("temporary") if s.program is Program.TEMPORARY else None, key=key)
            draft.opened = (s.program, draft.members[0].resident_id if s.applicants else "") in opened
            out.append(draft)
    return out


async def _public(pool: PoolDep, row: dict[str, Any]) -> IntakePublic:
    screening = [Screening.model_validate(s) for s in row["screening"]]
    cases = [OpenedCase(**c) for c in await PgIntakes(pool).cases(row["intake_id"])]
    applications = _drafts(row["intake_id"], row["household"], screening, {(c.program, c.person) for c in cases})
    return IntakePublic(
        intake_id=row["intake_id"], village_code=row["village_code"].strip(), created_at=row["created_at"],
        parameter_set_version=row["parameter_set_version"], screening=screening, applications=applications,
        cases=cases)


async def readable_intake(pool: PoolDep, intake_id: UUID, actor: Actor) -> dict[str, Any]:
    """The intake, if the actor's jurisdiction covers its village (404 otherwise: its existence is not told)."""
    row = await PgIntakes(pool).get(intake_id)
    if row is None or not actor.covers(row["village_code"].strip()):
        raise IntakeNotFound
    return row


@router.post("", status_code=status.HTTP_201_CREATED, response_model=IntakePublic, responses=_ERRORS)
async def create_intake(
    body: IntakeCreate,
    actor: Annotated[Actor, Depends(require(Permission.CASE_CREATE))],
    pool: PoolDep,
    ledger: LedgerDep,
    parameters: ParametersDep,
    clock: ClockDep,
    response: Response,
) -> IntakePublic:
    """Record a household's situation once and screen it against every programme (S5 item 23): each answer
    (``may_qualify`` / ``does_not_qualify`` / ``incomplete`` / ``not_screened``) with its criteria and what is
    missing. Decides nothing; the window then opens the cases chosen (``POST /v1/cases`` with ``intake_id``)."""
    if not actor.covers(body.village_code):
        raise NotPermitted("village_code lies outside the actor's jurisdiction")
    intake = Intake(village_code=body.village_code, area_type=body.area_type,
                    members=tuple(Member(**m.model_dump()) for m in body.members),
                    declaration=body.declaration.to_domain(),
                    temporary=TemporaryRequest(**body.temporary.model_dump()) if body.temporary else None)
    today = clock().astimezone(CHINA_TZ).date()
    params = resolve(parameters.book(), body.village_code, today)
    screening = screen(intake, params, today)
    intake_id = uuid.uuid4()
    household = intake.model_dump(mode="json")
    await PgIntakes(pool).create(intake_id, body.village_code, township_of(body.village_code), actor, params.version,
                                 household, [s.model_dump(mode="json") for s in screening])
    await log_access(pool, ledger, actor, None, f"intake_screened:{intake_id}")
    log.info("intake.screened", intake_id=str(intake_id),
             may_qualify=[s.program.value for s in screening if s.outcome == "may_qualify"])
    response.headers["Location"] = f"/v1/intakes/{intake_id}"
    response.headers["Cache-Control"] = "no-store"
    row = await PgIntakes(pool).get(intake_id)
    assert row is not None
    return await _public(pool, row)


@router.get("/{intake_id}", response_model=IntakePublic, responses={**_ERRORS, 404: {"model": Problem}})
async def get_intake(
    intake_id: UUID,
    actor: Annotated[Actor, Depends(require(Permission.CASE_CREATE))],
    pool: PoolDep,
    ledger: LedgerDep,
    response: Response,
) -> IntakePublic:
    """The intake on one page: its screening, the pre-filled applications, and every case opened from it with
    where it stands now (names and ID numbers: for the roles that open applications; the read is ledgered)."""
    row = await readable_intake(pool, intake_id, actor)
    await log_access(pool, ledger, actor, None, f"intake_read:{intake_id}")
    response.headers["Cache-Control"] = "no-store"
    return await _public(pool, row)
