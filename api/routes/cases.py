"""Case endpoints: start a case, read where it stands, run a step of the procedure, read the trail."""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from datetime import timedelta
from typing import Annotated, Any
from uuid import UUID

import structlog
from fastapi import APIRouter, Depends, Header, Response, status
from pydantic import BaseModel, Field, ValidationError

from adapters.db.cases import (
    MemberAlreadyInCase,
    PgCaseMembers,
    PgCaseStore,
    RequestMismatch,
    remember_command,
)
from adapters.db.intakes import IntakeProgramOpened, PgIntakes
from adapters.db.referrals import PgReferrals, ReferralTaken
from api.deps import ClockDep, LedgerDep, ParametersDep, PoolDep, SettingsDep, TemporalDep, require
from api.errors import CaseClosed, CaseNotFound, CaseNotYetRecorded, ConflictWithCase
from api.policy import Permission
from api.reads import recorded_case
from api.schemas import (
    CaseCreate,
    CaseDetail,
    CommandCreate,
    CommandOutcome,
    DeclarationCreate,
    MemberCreate,
    Problem,
    RequestBody,
    TemporaryRequestCreate,
    TrailEntry,
    VillageCode,
)
from api.unavailable import UNAVAILABLE
from domain.actors import Actor
from domain.commands import SubmitApplication
from domain.errors import ConflictOfInterest, InvalidInput, InvalidTransition, NotPermitted, ReserveFundShort
from domain.household import MAX_MEMBERS, AreaType, Member, Program
from domain.ids import workflow_id_for
from domain.intake import IntakeLink
from domain.kernel.context import DecisionContext
from domain.programmes import decide, parse_state, pending_step, project
from domain.temporary import TemporaryRequest
from services import cases as gateway
from services.audit.access import log_access, log_refusal
from services.audit.trail import case_trail
from services.cases import CaseGateway
from services.tekun import bed_reserved
from workflows.case import search_attributes_for
from workflows.models import CaseSnapshot, CaseWorkflowInput, CommandInput

router = APIRouter(prefix="/v1/cases", tags=["cases"])
log = structlog.get_logger(__name__)

#: Namespace for case ids derived from an Idempotency-Key (with the caller's id: never personal data).
_IDEMPOTENCY_NS = uuid.UUID("6f1c1f3e-8d55-4a53-9a43-3c2d5b0e7a11")

_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": Problem, "description": "missing or invalid token"},
    403: {"model": Problem, "description": "role or jurisdiction does not allow it"},
}


#: How long a read of a case opened a moment ago (an enrolment, a referral: not yet recorded) waits for its
#: workflow to answer with its opening state before it answers 503 "retry".
OPENING_READ_WAIT = timedelta(seconds=3)


async def _snapshot(temporal: TemporalDep, case_id: UUID, rpc_timeout: timedelta | None = None) -> CaseSnapshot:
    try:
        return await CaseGateway(temporal).snapshot(case_id, rpc_timeout=rpc_timeout)
    except gateway.CaseNotFound:
        raise CaseNotFound from None


async def current_snapshot(temporal: TemporalDep, pool: PoolDep, case_id: UUID) -> CaseSnapshot:
    """The case as its last record left it: the state the workflow wrote to the read model with its events, and
    the pending step computed from it as the workflow's ``snapshot`` query computes it (issue 18).

    The workflow records every decision in PostgreSQL before it takes the new state and before the Update that
    made it answers, so the row is never behind the workflow. It can be ahead for a moment: a workflow task lost
    after its local record committed decides the step again and adopts what was recorded (``CaseWorkflow._commit``),
    so the read shows the decision a little before the workflow holds it; after an operator's Temporal reset the
    row keeps what was recorded until the projection is rebuilt (services/projection.py). Reading it costs one
    indexed row instead of a workflow query (a task on the worker; on a closed or evicted workflow a replay of its
    whole history) and never puts a task beside the case's own (a query arriving while a decision's task runs made
    the server start another). A case with no row (none being opened), or whose stored state today's model cannot
    read, is asked of its workflow, which says whether it exists.

    Raises:
        CaseNotFound: no such case (404). CaseNotYetRecorded: opened a moment ago, not yet recorded, and its
            workflow did not answer within OPENING_READ_WAIT (503).
    """
    try:
        row = await recorded_case(pool, case_id)
    except CaseNotFound:
        return await _snapshot(temporal, case_id)
    except CaseNotYetRecorded:
        # Started a moment ago by something that does not wait for the first record (an enrolment import, a
        # referral's batch): its workflow answers its opening state once its first task runs, as reads always did.
        try:
            return await _snapshot(temporal, case_id, rpc_timeout=OPENING_READ_WAIT)
        except gateway.TemporalUnavailable:  # not answered in time (the server says DEADLINE_EXCEEDED), or down
            raise CaseNotYetRecorded from None
    if row.get("state") is None:
        return await _snapshot(temporal, case_id)
    try:
        state = parse_state(row["state"])
    except ValidationError:
        # A row written by older code that today's model no longer reads: the workflow answers (it holds the
        # state as its own code evolved it). Only the case id is logged, never the stored state.
        log.warning("case.read_model_state_unreadable", case_id=str(case_id))
        return await _snapshot(temporal, case_id)
    return CaseSnapshot(state=state, pending=pending_step(state))


async def readable_snapshot(temporal: TemporalDep, case_id: UUID, actor: Actor, pool: PoolDep) -> CaseSnapshot:
    """The case's current snapshot (:func:`current_snapshot`), if it lies inside the actor's jurisdiction (404 /
    403 otherwise)."""
    snap = await current_snapshot(temporal, pool, case_id)
    if not actor.covers(snap.state.village_code):
        raise NotPermitted("case lies outside the actor's jurisdiction")
    return snap


def _sha256(model: BaseModel) -> str:
    return hashlib.sha256(model.model_dump_json().encode()).hexdigest()


@router.post("", status_code=status.HTTP_201_CREATED, response_model=CaseDetail,
             responses={**_ERRORS, 409: {"model": Problem, "description": "a member is in another active case"},
                        202: {"model": CaseDetail, "description": "started, but not yet readable everywhere "
                                                                  "(rare: the first record was slow); retry reads"}})
async def create_case(
    body: CaseCreate,
    actor: Annotated[Actor, Depends(require(Permission.CASE_CREATE))],
    temporal: TemporalDep,
    pool: PoolDep,
    settings: SettingsDep,
    clock: ClockDep,
    response: Response,
    idempotency_key: Annotated[str | None, Header(max_length=128)] = None,
) -> CaseDetail:
    """Hand in an application (S1 Arts. 4, 6, 9) and start its case workflow.

    The case id is random, or derived from the caller and the ``Idempotency-Key`` header, so the same
    request sent again returns the same case. Nothing is started when the application breaks a rule
    (the same pure ``decide`` the workflow runs is run here first), or when a member already belongs to an
    active case of the programme (409 naming it; a refused case holds its members no longer, S1 Art. 21).
    The members' earlier cases (any programme, any outcome) are looked up in the register and linked to the
    new case by the engine, recorded with the application (``earlier_cases_linked``).
    """
    case_id = uuid.uuid5(_IDEMPOTENCY_NS, f"{actor.id}\x1f{idempotency_key}") if idempotency_key else uuid.uuid4()
    if (body.temporary is not None) != (body.program is Program.TEMPORARY):
        raise InvalidInput("temporary is given exactly for a 临时救助 application (S8 §二(一))", field=("temporary",))
    command = SubmitApplication(
        program=body.program,
        village_code=body.village_code,
        area_type=body.area_type,
        members=[Member(**m.model_dump()) for m in body.members],
        declaration=body.declaration.to_domain(),
        referral_id=body.referral_id,
        temporary=TemporaryRequest(**body.temporary.model_dump()) if body.temporary is not None else None,
    )
    now = clock()
    intakes = PgIntakes(pool)
    per_person = False  # a programme applied for by one person: one case per person from the intake
    if body.intake_id is not None:
        intake = await intakes.get(body.intake_id)
        if intake is None or not actor.covers(intake["village_code"].strip()):
            raise InvalidInput("no such intake in your jurisdiction", field=("intake_id",))
        per_person = any(s["program"] == body.program.value and s.get("applicants") for s in intake["screening"])
        command = command.model_copy(update={"intake": IntakeLink(
            intake_id=body.intake_id, screened_with=intake["parameter_set_version"],
            outcomes={s["program"]: s["outcome"] for s in intake["screening"]})})
    referrals = PgReferrals(pool)
    if body.referral_id is not None:
        referral = await referrals.get(body.referral_id)
        if referral is None or not actor.covers(referral["village_code"]):
            raise InvalidInput("no such referral in your jurisdiction", field=("referral_id",))
        if referral["to_program"] != body.program.value:
            raise InvalidInput(f"the referral is to {referral['to_program']}, not {body.program.value}",
                               field=("referral_id",))
    events = decide(None, command, DecisionContext(now=now, actor=actor, case_id=case_id))
    state = project(events)
    assert state is not None
    workflow_id = workflow_id_for(case_id)
    structlog.contextvars.bind_contextvars(case_id=str(case_id), workflow_id=workflow_id)
    members = PgCaseMembers(pool)
    earlier = await members.earlier_cases(case_id, [m.resident_id for m in state.members])
    if earlier:  # the engine's link, never the caller's: decided again with it, as the workflow will decide
        command = command.model_copy(update={"earlier_cases": earlier})
        state = project(decide(None, command, DecisionContext(now=now, actor=actor, case_id=case_id)))
        assert state is not None
    request_sha256 = _sha256(body)
    try:
        await members.claim(case_id, state.program.value, [m.resident_id for m in state.members],
                            actor_id=actor.id, request_sha256=request_sha256)
    except MemberAlreadyInCase as err:
        held = await PgCaseStore(pool).get_case(err.case_id)
        # Another township's case is not named to this window (issue 19): only that it exists, and whom to ask.
        raise ConflictWithCase(err.case_id, visible=held is not None and actor.covers(held["village_code"])) from None
    except RequestMismatch:
        raise InvalidInput("this Idempotency-Key was already used for a different application",
                           field=("header", "idempotency-key")) from None
    if body.referral_id is not None:
        try:
            await referrals.take(body.referral_id, case_id, actor.id, now)
        except ReferralTaken as err:
            await members.forget(case_id)
            raise InvalidTransition(f"the referral was already taken up by case {err.case_id}") from None
    if body.intake_id is not None:
        try:
            person = state.members[0].resident_id if per_person else ""
            await intakes.link(body.intake_id, body.program.value, case_id, actor.id, person)
        except IntakeProgramOpened as err:
            await members.forget(case_id)
            if body.referral_id is not None:  # taken a moment ago for this case, which will not exist
                await referrals.release(body.referral_id, case_id)
            raise InvalidTransition(f"a {body.program.value} case was already opened from this intake: "
                                    f"{err.case_id}") from None
    try:
        await CaseGateway(temporal, settings.temporal_task_queue).start(
            CaseWorkflowInput(case_id=case_id, actor=actor, submitted_at=now, application=command),
            search_attributes_for(state),
        )
    except gateway.CaseAlreadyStarted:
        # The same Idempotency-Key again: answer with the case it created.
        snap = await _snapshot(temporal, case_id)
        response.status_code = status.HTTP_200_OK
        response.headers["Location"] = f"/v1/cases/{case_id}"
        return CaseDetail.of_snapshot(snap.state, snap.pending, workflow_id, reader=actor)
    except BaseException:
        await members.forget(case_id)
        if body.referral_id is not None:
            await referrals.release(body.referral_id, case_id)
        if body.intake_id is not None:
            await intakes.unlink(body.intake_id, body.program.value, case_id)
        raise
    log.info("case.started", stage=state.stage.value, township_code=state.township_code)
    response.headers["Location"] = f"/v1/cases/{case_id}"
    if not await _recorded(pool, case_id, settings.api_create_wait_seconds):
        # Started, but its first record is slower than we wait: say so (202) rather than answer 201 for a case
        # whose trail, lists and household page would not show it yet (reads in between answer 503).
        log.warning("case.not_yet_recorded", wait_seconds=settings.api_create_wait_seconds)
        response.status_code = status.HTTP_202_ACCEPTED
        response.headers["Retry-After"] = "1"
    return CaseDetail.of_snapshot(state, pending_step(state), workflow_id, reader=actor)


async def _recorded(pool: PoolDep, case_id: UUID, wait_seconds: float) -> bool:
    """Wait (bounded) until the case's first record is in PostgreSQL, where the trail, the lists and the
    household page read it (issue 20 item 7: a 201 means every read finds the case)."""
    store = PgCaseStore(pool)
    delay = 0.01
    try:
        async with asyncio.timeout(wait_seconds):
            while await store.get_case(case_id) is None:
                await asyncio.sleep(delay)
                delay = min(delay * 2, 0.2)
    except (TimeoutError, *UNAVAILABLE):
        # The database went away after the start (the claim needed it a moment ago): the case is started, so
        # answer 202 rather than an error that would invite a second application.
        return False
    return True


@router.get("/{case_id}", response_model=CaseDetail, responses={**_ERRORS, 404: {"model": Problem}})
async def get_case(
    case_id: UUID,
    actor: Annotated[Actor, Depends(require(Permission.CASE_READ))],
    temporal: TemporalDep,
    pool: PoolDep,
) -> CaseDetail:
    """Where a case stands now, the pending step, who must act and by when — as its last recorded decision left
    it (the read model, written before the decision's command answers; see :func:`current_snapshot`)."""
    structlog.contextvars.bind_contextvars(case_id=str(case_id), workflow_id=workflow_id_for(case_id))
    snap = await readable_snapshot(temporal, case_id, actor, pool)
    return CaseDetail.of_snapshot(snap.state, snap.pending, workflow_id_for(case_id), reader=actor)


_STATUS_OF_CODE = {
    InvalidInput.code: InvalidInput,
    InvalidTransition.code: InvalidTransition,
    NotPermitted.code: NotPermitted,
    ConflictOfInterest.code: ConflictOfInterest,  # 回避: a 403 like any NotPermitted, with its own code
    ReserveFundShort.code: ReserveFundShort,  # 先行救助 the township's reserve fund cannot pay: a 409
}


@router.post("/{case_id}/commands", response_model=CommandOutcome,
             responses={**_ERRORS, 404: {"model": Problem}, 409: {"model": Problem}})
async def run_command(
    case_id: UUID,
    body: CommandCreate,
    actor: Annotated[Actor, Depends(require(Permission.CASE_COMMAND))],
    temporal: TemporalDep,
    pool: PoolDep,
    ledger: LedgerDep,
    parameters: ParametersDep,
    idempotency_key: Annotated[str | None, Header(max_length=128)] = None,
) -> CommandOutcome:
    """Run one step of the procedure as a Temporal Update. A refused step changes nothing: 403 (role,
    jurisdiction, maker ≠ checker; ``conflict_of_interest`` for staff filed as a close relative of the
    household, 回避), 409 (wrong stage) or 422 (content), each with a code and a message."""
    workflow_id = workflow_id_for(case_id)
    structlog.contextvars.bind_contextvars(case_id=str(case_id), workflow_id=workflow_id,
                                           command=body.command.type)
    if idempotency_key:
        try:
            await remember_command(pool, case_id, actor.id, idempotency_key, _sha256(body))
        except RequestMismatch:
            raise InvalidInput("this Idempotency-Key was already used for a different command",
                               field=("header", "idempotency-key")) from None
    try:
        cases = CaseGateway(temporal)
        # 特困 集中供养: a bed must be free in the chosen institution, else 409 and its waiting list (S4 Art. 19).
        async with bed_reserved(pool, cases, case_id, actor, body.command):
            result = await cases.execute(
                case_id, CommandInput(actor=actor, command=body.command, params_book=parameters.sha256()),
                update_id=f"{actor.id}:{idempotency_key}" if idempotency_key else None,
            )
    except gateway.CaseRefused as err:
        if err.code not in _STATUS_OF_CODE:
            raise
        refused = _STATUS_OF_CODE[err.code](err.message, field=err.field)
        await log_refusal(pool, ledger, actor, case_id, command=body.command.type, error=refused,
                          idempotency_key=idempotency_key, request_sha256=_sha256(body))
        raise refused from None
    except gateway.CaseClosed as err:
        row = await PgCaseStore(pool).get_case(case_id)
        if row is not None and not actor.covers(row["village_code"]):
            # Outside the jurisdiction, a closed case is refused like an open one: nothing about it leaks.
            raise NotPermitted("case lies outside the actor's jurisdiction") from None
        raise CaseClosed(err.status) from None
    except gateway.CaseNotFound:
        raise CaseNotFound from None
    log.info("case.command", events=result.events)
    return CommandOutcome(
        case=CaseDetail.of_snapshot(result.snapshot.state, result.snapshot.pending, workflow_id, reader=actor),
        events=result.events,
        first_seq=result.first_seq,
    )


@router.get("/{case_id}/trail", response_model=list[TrailEntry], responses={**_ERRORS, 404: {"model": Problem}})
async def get_trail(
    case_id: UUID,
    actor: Annotated[Actor, Depends(require(Permission.CASE_READ))],
    pool: PoolDep,
    ledger: LedgerDep,
) -> list[TrailEntry]:
    """The whole trail of the case across all its workflow runs, oldest first: every recorded decision (actor,
    time, reason, legal basis, parameter version and, for computed decisions, the explanation — each criterion
    with inputs, parameters, result and article — and its ledger position and hash), and every command that
    was refused (who tried what, and why). Personal data (members, declarations, complaint texts) is not part
    of the trail. The read itself is written to the audit ledger."""
    row = await recorded_case(pool, case_id)
    if not actor.covers(row["village_code"]):
        raise NotPermitted("case lies outside the actor's jurisdiction")
    await log_access(pool, ledger, actor, case_id, "trail")
    return [TrailEntry(**step) for step in await case_trail(pool, case_id)]


class EmergencyReport(RequestBody):
    """An emergency reported for 先行救助 (SPEC §5.3; S8 §二(二); S5 item 14): by the household at the window, the
    village committee, the township's or the county's staff (a hotline call, a case found in data)."""

    village_code: VillageCode
    area_type: AreaType
    members: Annotated[list[MemberCreate], Field(min_length=1, max_length=MAX_MEMBERS)]
    declaration: DeclarationCreate = DeclarationCreate()
    temporary: TemporaryRequestCreate


emergency_router = APIRouter(prefix="/v1/emergencies", tags=["cases"])


@emergency_router.post("", status_code=status.HTTP_201_CREATED, response_model=CaseDetail,
                       responses={**_ERRORS, 409: {"model": Problem, "description": "a member is in another active "
                                                                                    "临时救助 case"}})
async def report_emergency(
    body: EmergencyReport,
    actor: Annotated[Actor, Depends(require(Permission.EMERGENCY_REPORT))],
    temporal: TemporalDep,
    pool: PoolDep,
    settings: SettingsDep,
    clock: ClockDep,
    response: Response,
    idempotency_key: Annotated[str | None, Header(max_length=128)] = None,
) -> CaseDetail:
    """Report an emergency for 先行救助: opens a 临时救助 case in ``urgent_reported`` where the emergency happened
    (S7 §四(三)), for the township approver or the county to grant at once (``grant_urgent_assistance``, paid
    from the township's reserve fund). ``temporary.urgent`` says how it was reported (self, village, hotline,
    discovered); it must be a 急难型 difficulty (422 otherwise)."""
    if body.temporary.urgent is None:
        raise InvalidInput("an emergency report says how it was reported (urgent: self, village, hotline, "
                           "discovered)", field=("temporary", "urgent"))
    case = CaseCreate(program=Program.TEMPORARY, village_code=body.village_code, area_type=body.area_type,
                      members=body.members, declaration=body.declaration, temporary=body.temporary)
    return await create_case(body=case, actor=actor, temporal=temporal, pool=pool, settings=settings, clock=clock,
                             response=response, idempotency_key=idempotency_key)
