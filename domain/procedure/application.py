"""The application and what may end it early: submission, the one-time list of missing materials, acceptance
with close relatives filed (and the staff they name recused, 回避), non-cooperation, the extension of the time
limit, withdrawal (S1 Arts. 4-11, 22, 29; S3 Arts. 10-12)."""

from __future__ import annotations

from functools import partial
from typing import Any

from domain import commands as c
from domain import events as e
from domain.actors import Role
from domain.divisions import county_of, township_of, validate_village_code
from domain.errors import ConflictOfInterest, InvalidInput, InvalidTransition, NotPermitted
from domain.intake import INTAKE_BASIS
from domain.kernel.context import DecisionContext
from domain.kernel.drafts import Draft, draft
from domain.kernel.guards import (
    CASEWORKER,
    COUNTY_APPROVER,
    COUNTY_REVIEWER,
    TOWNSHIP_APPROVER,
    WINDOW,
    need_role,
    need_stage,
)
from domain.kernel.mutators import Mutators, moved
from domain.kernel.programme import Handler
from domain.place import competent_place
from domain.procedure.spec import ProcedureSpec

#: The state fields this step reads and writes.
FIELDS = frozenset(
    {
        "declaration",
        "area_type",
        "t0",
        "materials_missing",
        "deficiency_notified",
        "close_relatives",
        "recused_staff",
        "non_cooperation_count",
        "extension_ground",
        "objections",
        "earlier_cases",
    }
)
#: The article keys this step cites.
ARTICLE_KEYS = frozenset(
    {
        "submit",
        "submit_by_agent",
        "competence",
        "deficiency",
        "accept",
        "close_relative",
        "recusal",
        "non_cooperation",
        "extend",
        "withdraw",
        "earlier_cases",
    }
)


def submit(spec: ProcedureSpec, _: None, cmd: c.SubmitApplication, ctx: DecisionContext) -> list[Draft]:
    if ctx.actor.role not in spec.submit_roles:
        raise NotPermitted(
            f"role {ctx.actor.role} may not submit applications; needs one of " + ", ".join(sorted(spec.submit_roles))
        )
    try:
        validate_village_code(cmd.village_code)
    except InvalidInput as err:
        raise InvalidInput(err.message, field=("village_code",)) from None
    if not ctx.actor.covers(cmd.village_code):
        raise NotPermitted("village_code lies outside the actor's jurisdiction")
    members = spec.validate_members(cmd.members, ctx)
    competence = competent_place(members) if spec.competent_place else None
    if competence is not None and not competence.allows(cmd.village_code):
        raise InvalidInput(
            f"not the competent place of application ({competence.rule}, {', '.join(competence.legal_basis)}): "
            "apply where the members' hukou rule points",
            field=("village_code",),
        )
    n = len(members)
    for i, item in enumerate(cmd.declaration.income):
        if item.member_index is not None and item.member_index >= n:
            raise InvalidInput("member_index names no member", field=("declaration", "income", i, "member_index"))
    basis = spec.basis("submit_by_agent" if ctx.actor.role == Role.VILLAGE_COMMITTEE else "submit")
    if competence is not None and spec.basis("competence")[0] in competence.legal_basis[0]:
        basis = (*basis, *competence.legal_basis)
    if cmd.referral_id is not None:  # opened from another programme's referral (转办, S4 Art. 60)
        basis = (*basis, "S4 Art. 60")
    submitted = draft(
        e.ApplicationSubmitted,
        *basis,
        program=cmd.program,
        village_code=cmd.village_code,
        area_type=cmd.area_type,
        members=members,
        declaration=cmd.declaration,
        referral_id=cmd.referral_id,
    )
    return [submitted, *_earlier_cases(spec, cmd, n), *_intake(cmd)]


def _intake(cmd: c.SubmitApplication) -> list[Draft]:
    """一门受理: the intake the application is opened from, on the trail from the start (nothing without one)."""
    link = getattr(cmd, "intake", None)
    if link is None:
        return []
    return [draft(e.IntakeLinked, *INTAKE_BASIS, intake_id=link.intake_id, screened_with=link.screened_with,
                  outcomes=dict(link.outcomes))]


def _earlier_cases(spec: ProcedureSpec, cmd: c.SubmitApplication, n: int) -> list[Draft]:
    """The link to the members' earlier cases that the engine found at intake: recorded with the application,
    in the same decision, so the trail shows it from the start (nothing when there are none)."""
    if not cmd.earlier_cases:
        return []
    if len({earlier.case_id for earlier in cmd.earlier_cases}) != len(cmd.earlier_cases):
        raise InvalidInput("an earlier case is linked twice", field=("earlier_cases",))
    for i, earlier in enumerate(cmd.earlier_cases):
        if not earlier.member_indexes or any(not 0 <= m < n for m in earlier.member_indexes):
            raise InvalidInput("member_indexes must name members of this application",
                               field=("earlier_cases", i, "member_indexes"))
    return [draft(e.EarlierCasesLinked, *spec.basis("earlier_cases"), earlier_cases=cmd.earlier_cases)]


def _notify_missing(
    spec: ProcedureSpec, state: Any, cmd: c.NotifyMissingMaterials, ctx: DecisionContext
) -> list[Draft]:
    need_role(ctx, WINDOW, "issue the list of missing materials")
    if state.deficiency_notified:
        raise InvalidTransition(
            f"the one-time list of missing materials was already issued ({spec.cite('deficiency')})"
        )
    need_stage(state, {spec.stages.submitted}, "notifying missing materials")
    for i, item in enumerate(cmd.items):
        if item in spec.platform_obtainable:
            raise InvalidInput(
                f"{item.value} is obtainable from government platforms and may not be demanded "
                f"({spec.cite('deficiency')})",
                field=("items", i),
            )
    if len(set(cmd.items)) != len(cmd.items):
        raise InvalidInput("an item is listed twice", field=("items",))
    return [draft(e.MaterialsDeficiencyNotified, *spec.basis("deficiency"), items=tuple(cmd.items))]


def _accept(spec: ProcedureSpec, state: Any, cmd: c.AcceptApplication, ctx: DecisionContext) -> list[Draft]:
    """受理 with the close relatives filed (S1 Arts. 10, 11). A filing that names a staff member recuses them
    (``StaffRecused`` after the filing): from then on the kernel refuses their commands on the case. Whoever
    accepts must not be named: a window officer who is the relative hands the acceptance to a colleague
    (the submission before it is only the household's application handed in, and is not undone)."""
    need_role(ctx, WINDOW, "accept applications")
    need_stage(state, {spec.stages.submitted, spec.stages.materials_incomplete}, "acceptance")
    out: list[Draft] = [draft(e.ApplicationAccepted, *spec.basis("accept"), t0=ctx.today)]
    public_officials = ctx.params is not None and ctx.params.values.close_relatives_of_public_officials
    for i, rel in enumerate(cmd.close_relatives):
        if rel.member_index >= len(state.members):
            raise InvalidInput("member_index names no member", field=("close_relatives", i, "member_index"))
        if rel.related_to == "public_official" and not public_officials:
            raise InvalidInput(
                "filing relatives of public officials is not enabled by the parameters in force (SPEC §3.3 row 3)",
                field=("close_relatives", i, "related_to"),
            )
        out.append(
            draft(
                e.CloseRelativeFiled,
                *spec.basis("close_relative"),
                reason=rel.note,
                member_index=rel.member_index,
                related_to=rel.related_to,
            )
        )
        if rel.staff_id is None:
            continue
        staff_id = rel.staff_id.strip()
        if not staff_id:
            raise InvalidInput("staff_id must not be blank", field=("close_relatives", i, "staff_id"))
        if staff_id == ctx.actor.id:
            raise ConflictOfInterest(
                "the actor is the staff member this filing names and may not accept the application; another "
                f"officer of the window accepts it (回避; {spec.cite('recusal')})",
                field=("close_relatives", i, "staff_id"),
            )
        out.append(
            draft(
                e.StaffRecused,
                *spec.basis("recusal"),
                staff_id=staff_id,
                member_index=rel.member_index,
                related_to=rel.related_to,
            )
        )
    return out


def _non_cooperation(spec: ProcedureSpec, state: Any, cmd: c.RecordNonCooperation, ctx: DecisionContext) -> list[Draft]:
    need_role(ctx, CASEWORKER | COUNTY_REVIEWER, "record non-cooperation")
    need_stage(state, spec.stages.pre_decision, "recording non-cooperation")
    return [draft(e.NonCooperationRecorded, *spec.basis("non_cooperation"), note=cmd.note)]


def _terminate(spec: ProcedureSpec, state: Any, cmd: c.TerminateForNonCooperation, ctx: DecisionContext) -> list[Draft]:
    need_role(ctx, TOWNSHIP_APPROVER | COUNTY_APPROVER, "end the procedure for non-cooperation")
    need_stage(state, spec.stages.pre_decision, "ending the procedure")
    if state.non_cooperation_count < spec.non_cooperation_refusals:
        raise InvalidTransition(
            f"{spec.non_cooperation_refusals} recorded refusals to cooperate are needed "
            f"({spec.cite('non_cooperation')}); {state.non_cooperation_count} on record"
        )
    return [draft(e.ReviewTerminatedForNonCooperation, *spec.basis("non_cooperation"), reason=cmd.reason)]


def _extend(spec: ProcedureSpec, state: Any, cmd: c.ExtendDeadline, ctx: DecisionContext) -> list[Draft]:
    need_role(ctx, TOWNSHIP_APPROVER | COUNTY_APPROVER, "extend the overall time limit")
    need_stage(
        state,
        spec.stages.pre_decision - {spec.stages.submitted, spec.stages.materials_incomplete},
        "extending the time limit",
    )
    if state.extension_ground is not None:
        raise InvalidTransition("the time limit was already extended")
    if spec.devolved(ctx):
        raise InvalidTransition("no extension is provided where confirmation is devolved (S6 §四(一): 20 wd)")
    if cmd.ground is c.ExtensionGround.PUBLICITY_OBJECTION and not state.objections:
        raise InvalidInput("no 公示 objection is on record", field=("ground",))
    return [draft(e.DeadlineExtended, *spec.basis("extend"), reason=cmd.reason, ground=cmd.ground)]


def _withdraw(spec: ProcedureSpec, state: Any, cmd: c.WithdrawApplication, ctx: DecisionContext) -> list[Draft]:
    need_role(ctx, WINDOW, "record a withdrawal")
    need_stage(state, spec.stages.pre_decision, "withdrawal")
    return [draft(e.ApplicationWithdrawn, *spec.basis("withdraw"), reason=cmd.reason)]


_HANDLERS = {
    c.NotifyMissingMaterials: _notify_missing,
    c.AcceptApplication: _accept,
    c.RecordNonCooperation: _non_cooperation,
    c.TerminateForNonCooperation: _terminate,
    c.ExtendDeadline: _extend,
    c.WithdrawApplication: _withdraw,
}


def handlers(spec: ProcedureSpec) -> dict[type, Handler]:
    return {t: partial(fn, spec) for t, fn in _HANDLERS.items()}


def opening(spec: ProcedureSpec) -> Handler:
    """The handler of the application (no state yet)."""
    return partial(submit, spec)


def mutators(spec: ProcedureSpec, state_type: type) -> tuple[Any, Mutators]:
    """(the fold of the application into a new state, the mutators of this step's other events)."""
    s = spec.stages
    m = Mutators()

    def initial(event: e.ApplicationSubmitted) -> Any:
        return state_type(
            case_id=event.case_id,
            program=event.program,
            stage=s.submitted,
            village_code=event.village_code,
            township_code=township_of(event.village_code),
            county_code=county_of(event.village_code),
            area_type=event.area_type,
            members=event.members,
            declaration=event.declaration,
            from_referral=event.referral_id,
            version=event.seq,
            opened_at=event.at,
            stage_since=event.at,
            updated_at=event.at,
        )

    @m.on(e.IntakeLinked)
    def _(state: Any, event: Any) -> Any:
        return moved(state, event)

    @m.on(e.EarlierCasesLinked)
    def _(state: Any, event: Any) -> Any:
        return moved(state, event, earlier_cases=event.earlier_cases)

    @m.on(e.MaterialsDeficiencyNotified)
    def _(state: Any, event: Any) -> Any:
        return moved(state, event, s.materials_incomplete, materials_missing=event.items, deficiency_notified=True)

    @m.on(e.ApplicationAccepted)
    def _(state: Any, event: Any) -> Any:
        return moved(state, event, s.accepted, t0=event.t0, materials_missing=())

    @m.on(e.CloseRelativeFiled)
    def _(state: Any, event: Any) -> Any:
        return moved(state, event, close_relatives=(*state.close_relatives, event.member_index))

    @m.on(e.StaffRecused)
    def _(state: Any, event: Any) -> Any:
        return moved(state, event, recused_staff=tuple(dict.fromkeys((*state.recused_staff, event.staff_id))))

    @m.on(e.NonCooperationRecorded)
    def _(state: Any, event: Any) -> Any:
        return moved(state, event, non_cooperation_count=state.non_cooperation_count + 1)

    @m.on(e.ReviewTerminatedForNonCooperation)
    def _(state: Any, event: Any) -> Any:
        return moved(state, event, s.terminated, decided_at=event.at)

    @m.on(e.DeadlineExtended)
    def _(state: Any, event: Any) -> Any:
        return moved(state, event, extension_ground=event.ground)

    @m.on(e.ApplicationWithdrawn)
    def _(state: Any, event: Any) -> Any:
        return moved(state, event, s.withdrawn)

    return initial, m
