"""Case behaviour as three pure functions: ``decide``, ``evolve`` and ``project`` (STYLE guideline 1).

``decide`` checks a command against the state, the actor, the parameters and the clock given in the context
and returns the events it produces, or raises a :class:`domain.errors.DomainError`. The API calls it to
validate before anything is written; the workflow's Update validators call it again before history is
written, and the Update handlers once more, authoritatively, with fresh parameters. ``evolve`` applies one
event. The procedure is S1 (《最低生活保障审核确认办法》, 2021) as written up in SPEC §3; the 2012 profile
(SPEC §3.7) makes 民主评议 mandatory.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any
from uuid import UUID

from domain import commands as c
from domain import events as e
from domain.actors import Actor, Role
from domain.benefit import Assessment, assess
from domain.divisions import county_of, township_of, validate_village_code
from domain.errors import DomainError, InvalidInput, InvalidTransition, NotPermitted
from domain.household import Declaration, IncomeItem, Member, PropertyItem, Relation
from domain.identity import parse_resident_id
from domain.months import month_after
from domain.parameters import ProcedureProfile, PublicityUnit, ResolvedParameters
from domain.place import competent_place
from domain.state import (
    ACTIVE_STAGES,
    BenefitPeriod,
    CaseState,
    Complaint,
    Deadline,
    Objection,
    PaidMonth,
    PendingStep,
    Stage,
)
from domain.verification import InfoCheckReport

#: China Standard Time (no daylight saving): dates in the law are local dates.
CHINA_TZ = timezone(timedelta(hours=8), "Asia/Shanghai")

#: Who may hand in an application: the window, or the village committee as agent (S1 Arts. 4, 6; S4 Art. 60).
SUBMIT_ROLES = frozenset({Role.FRONT_OFFICE, Role.VILLAGE_COMMITTEE})

#: The engine's own actor for natural transitions, deadlines and escalations.
SYSTEM_ACTOR = Actor(id="casework-engine", role=Role.SYSTEM, jurisdiction="000000")

#: Materials that may not be demanded because the window can fetch them from government platforms
#: (S1 Art. 10; S5 item 24). LOCAL PARAMETER in practice; these two are obtainable in Yunnan (UNCONFIRMED).
PLATFORM_OBTAINABLE = frozenset({c.Material.HUKOU_RECORD, c.Material.DISABILITY_CERTIFICATE})

#: Recorded refusals before the procedure may be ended for non-cooperation (S1 Art. 29). UNCONFIRMED.
NON_COOPERATION_REFUSALS = 2

PRE_DECISION = frozenset(
    {Stage.SUBMITTED, Stage.MATERIALS_INCOMPLETE, Stage.ACCEPTED, Stage.INVESTIGATING,
     Stage.INFO_CHECK_NEGATIVE_NOTIFIED, Stage.DEMOCRATIC_APPRAISAL, Stage.PRELIM_OPINION_ISSUED,
     Stage.PUBLICITY, Stage.OBJECTION_RECEIVED, Stage.REINVESTIGATION, Stage.SUBMITTED_TO_COUNTY,
     Stage.COUNTY_REVIEW}
)
INVESTIGATION_STAGES = frozenset({Stage.INVESTIGATING, Stage.REINVESTIGATION})

WINDOW = frozenset({Role.FRONT_OFFICE})
CASEWORKER = frozenset({Role.TOWNSHIP_CASEWORKER})
TOWNSHIP_APPROVER = frozenset({Role.TOWNSHIP_APPROVER})
COUNTY_REVIEWER = frozenset({Role.COUNTY_REVIEWER})
COUNTY_APPROVER = frozenset({Role.COUNTY_APPROVER})


@dataclass(frozen=True, slots=True)
class DecisionContext:
    """What a decision needs from outside the domain.

    Attributes:
        now: timezone-aware current time (``workflow.now()`` in workflows, an injected clock in the API).
        actor: the authenticated actor.
        case_id: the case the command is for.
        params: the parameters in force for the case's village today (decisions that compute need them).
        publicity_ends_on: the last day of a working-day 公示 being started (from the calendar activity).
        payments: months already on a payment roll for the case (for stops and decreases that reach back).
    """

    now: datetime
    actor: Actor
    case_id: UUID
    params: ResolvedParameters | None = None
    publicity_ends_on: date | None = None
    payments: tuple[PaidMonth, ...] = ()

    def __post_init__(self) -> None:
        if self.now.tzinfo is None:
            raise ValueError("DecisionContext.now must be timezone-aware")

    @property
    def local_now(self) -> datetime:
        return self.now.astimezone(CHINA_TZ)

    @property
    def today(self) -> date:
        return self.local_now.date()


# --- helpers -----------------------------------------------------------------------------------------


def _meta(state: CaseState | None, ctx: DecisionContext, offset: int, *basis: str, reason: str | None = None,
          version: str | None = None) -> dict[str, Any]:
    return {
        "case_id": ctx.case_id if state is None else state.case_id,
        "seq": (state.version if state else 0) + offset,
        "at": ctx.now,
        "actor": ctx.actor,
        "legal_basis": basis,
        "reason": reason,
        # Every decision records the parameter-set version it was taken under (issue: decision records).
        "parameter_set_version": version or (ctx.params.version if ctx.params else None),
    }


def _need_stage(state: CaseState, allowed: Iterable[Stage], what: str) -> None:
    allowed = frozenset(allowed)
    if state.stage not in allowed:
        raise InvalidTransition(
            f"{what} is not possible in stage {state.stage.value}; allowed in: "
            + ", ".join(sorted(s.value for s in allowed))
        )


def _need_role(ctx: DecisionContext, roles: frozenset[Role], what: str) -> None:
    if ctx.actor.role not in roles:
        raise NotPermitted(f"role {ctx.actor.role.value} may not {what}; needs " + " or ".join(sorted(roles)))


def _need_params(ctx: DecisionContext) -> ResolvedParameters:
    if ctx.params is None:
        raise DomainError("this decision needs the parameters in force")  # a wiring error, not a user one
    return ctx.params


def _devolved(ctx: DecisionContext) -> bool:
    return ctx.params is not None and ctx.params.values.confirmation_devolved_to_township


def confirming_roles(ctx: DecisionContext) -> tuple[frozenset[Role], frozenset[Role]]:
    """(reviewer roles, approver roles) for 审核确认: the county, or the township where devolved (S1 Art. 2)."""
    if _devolved(ctx):
        return TOWNSHIP_APPROVER, TOWNSHIP_APPROVER
    return COUNTY_REVIEWER, COUNTY_APPROVER


def _team(ids: Iterable[str], field_name: str) -> tuple[str, ...]:
    team = tuple(dict.fromkeys(i.strip() for i in ids))
    if len(team) < 2:
        raise InvalidInput("at least two different investigators are required (S1 Art. 16)", field=(field_name,))
    return team


def _not_maker(state: CaseState, ctx: DecisionContext) -> None:
    if ctx.actor.id in state.investigators:
        raise NotPermitted("maker ≠ checker: an investigator of this case may not take this decision")


def assessed_declaration(declared: Declaration, report: InfoCheckReport | None) -> Declaration:
    """The declaration corrected by the information check: per kind, the larger of declared and found.

    S1 Art. 17-18: the check's findings prevail unless the applicant's objection succeeds; we take the
    higher of the two so that neither an under-declaration nor a stale record lowers the assessed income.
    """
    if report is None:
        return declared
    income: dict[Any, Decimal] = {}
    for item in declared.income:
        income[item.kind] = income.get(item.kind, Decimal("0")) + item.amount
    found_income: dict[Any, Decimal] = {}
    for item in report.found_income:
        found_income[item.kind] = found_income.get(item.kind, Decimal("0")) + item.amount
    merged_income = [
        IncomeItem(kind=k, amount=max(income.get(k, Decimal("0")), found_income.get(k, Decimal("0"))))
        for k in sorted(set(income) | set(found_income))
    ]
    prop = list(declared.property)
    declared_kinds = {p.kind for p in declared.property}
    for kind in sorted({p.kind for p in report.found_property}):
        found = [p for p in report.found_property if p.kind == kind]
        value = sum((p.value for p in found), Decimal("0"))
        count = sum(p.count for p in found)
        if kind not in declared_kinds:
            prop.append(PropertyItem(kind=kind, value=value, count=count))
            continue
        mine = [p for p in prop if p.kind == kind and not p.exempt_reason]
        d_value = sum((p.value for p in mine), Decimal("0"))
        d_count = sum(p.count for p in mine)
        if value > d_value or count > d_count:
            prop = [p for p in prop if not (p.kind == kind and not p.exempt_reason)]
            prop.append(PropertyItem(kind=kind, value=max(value, d_value), count=max(count, d_count)))
    return Declaration(income=merged_income, property=prop)


def assessment_for(state: CaseState, params: ResolvedParameters) -> Assessment:
    """Assess the household with the declaration as corrected by the information check."""
    return assess(state.members, state.area_type, assessed_declaration(state.declaration, state.info_check), params)


def end_of_day(day: date) -> datetime:
    """The instant a day ends in China: deadlines and the 公示 window run to the end of their last day."""
    return datetime(day.year, day.month, day.day, tzinfo=CHINA_TZ) + timedelta(days=1)


def publicity_closes_at(state: CaseState) -> datetime:
    """When the current 公示 window closes."""
    if state.publicity_ends_at is not None:
        return state.publicity_ends_at
    assert state.publicity_ends_on is not None
    return end_of_day(state.publicity_ends_on)


# --- decide ------------------------------------------------------------------------------------------


def decide(state: CaseState | None, command: Any, ctx: DecisionContext) -> list[e.CaseEvent]:
    """Decide what a command does to a case.

    Args:
        state: the current state, or None for a case that does not exist yet.
        command: a :mod:`domain.commands` command.
        ctx: clock, actor, case id and (for computed decisions) the parameters in force.

    Returns:
        The events the command produces, in order.

    Raises:
        NotPermitted: the actor's role or jurisdiction does not allow it (or maker ≠ checker).
        InvalidTransition: the command does not fit the current stage.
        InvalidInput: the command's content breaks a rule; ``field`` names the input.
    """
    if isinstance(command, c.SubmitApplication):
        return _submit_application(state, command, ctx)
    if state is None:
        raise InvalidTransition("the case does not exist")
    if ctx.actor.role is Role.SYSTEM:
        if not isinstance(command, c.SystemCommand):
            raise NotPermitted("the engine issues only system commands")
    else:
        if isinstance(command, c.SystemCommand):
            raise NotPermitted("system commands are issued by the engine only")
        if not ctx.actor.covers(state.village_code):
            raise NotPermitted("the case lies outside the actor's jurisdiction")
    handler = _HANDLERS.get(type(command))
    if handler is None:
        from domain.dynamic import HANDLERS  # the in-payment rules build on this module

        handler = HANDLERS.get(type(command))
    if handler is None:
        raise InvalidInput(f"unknown command {type(command).__name__}")
    return handler(state, command, ctx)


def _submit_application(state: CaseState | None, cmd: c.SubmitApplication, ctx: DecisionContext) -> list[e.CaseEvent]:
    if state is not None:
        raise InvalidTransition(f"case already exists in stage {state.stage}")
    if ctx.actor.role not in SUBMIT_ROLES:
        raise NotPermitted(
            f"role {ctx.actor.role} may not submit applications; needs one of " + ", ".join(sorted(SUBMIT_ROLES))
        )
    try:
        validate_village_code(cmd.village_code)
    except InvalidInput as err:
        raise InvalidInput(err.message, field=("village_code",)) from None
    if not ctx.actor.covers(cmd.village_code):
        raise NotPermitted("village_code lies outside the actor's jurisdiction")
    members = _validated_members(cmd.members, ctx)
    competence = competent_place(members)
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
    basis = ("S1 Art. 4", "S1 Art. 6", "S1 Art. 9") if ctx.actor.role == Role.VILLAGE_COMMITTEE else (
        "S1 Art. 4", "S1 Art. 9")
    if competence is not None and "S1 Art. 5" in competence.legal_basis[0]:
        basis = (*basis, *competence.legal_basis)
    return [
        e.ApplicationSubmitted(
            **_meta(None, ctx, 1, *basis),
            program=cmd.program,
            village_code=cmd.village_code,
            area_type=cmd.area_type,
            members=members,
            declaration=cmd.declaration,
        )
    ]


def _validated_members(members: Iterable[Member], ctx: DecisionContext) -> tuple[Member, ...]:
    out = validated_ids(members, ctx, "members")
    applicants = [i for i, m in enumerate(out) if m.relation == Relation.APPLICANT]
    if len(applicants) != 1:
        raise InvalidInput(
            f"exactly one member must have relation 'applicant' (S1 Art. 4), found {len(applicants)}",
            field=("members",),
        )
    return out


def validated_ids(members: Iterable[Member], ctx: DecisionContext, field_name: str) -> tuple[Member, ...]:
    """Members with checked, normalised resident ID numbers (GB 11643), none twice, none born in the future."""
    today = ctx.today
    seen: set[str] = set()
    out: list[Member] = []
    for i, member in enumerate(members):
        fld = (field_name, i, "resident_id")
        try:
            rid = parse_resident_id(member.resident_id)
        except InvalidInput as err:
            raise InvalidInput(err.message, field=fld) from None
        if rid.birth_date > today:
            raise InvalidInput("birth date (positions 7-14) lies in the future", field=fld)
        if rid.value in seen:
            raise InvalidInput("the same resident ID number appears twice in the household", field=fld)
        seen.add(rid.value)
        out.append(member.model_copy(update={"resident_id": rid.value}))
    return tuple(out)


def _notify_missing(state: CaseState, cmd: c.NotifyMissingMaterials, ctx: DecisionContext) -> list[e.CaseEvent]:
    _need_role(ctx, WINDOW, "issue the list of missing materials")
    if state.deficiency_notified:
        raise InvalidTransition("the one-time list of missing materials was already issued (S1 Art. 10)")
    _need_stage(state, {Stage.SUBMITTED}, "notifying missing materials")
    for i, item in enumerate(cmd.items):
        if item in PLATFORM_OBTAINABLE:
            raise InvalidInput(
                f"{item.value} is obtainable from government platforms and may not be demanded (S1 Art. 10)",
                field=("items", i),
            )
    if len(set(cmd.items)) != len(cmd.items):
        raise InvalidInput("an item is listed twice", field=("items",))
    return [e.MaterialsDeficiencyNotified(**_meta(state, ctx, 1, "S1 Art. 10"), items=tuple(cmd.items))]


def _accept(state: CaseState, cmd: c.AcceptApplication, ctx: DecisionContext) -> list[e.CaseEvent]:
    _need_role(ctx, WINDOW, "accept applications")
    _need_stage(state, {Stage.SUBMITTED, Stage.MATERIALS_INCOMPLETE}, "acceptance")
    out: list[e.CaseEvent] = [e.ApplicationAccepted(**_meta(state, ctx, 1, "S1 Art. 10"), t0=ctx.today)]
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
            e.CloseRelativeFiled(**_meta(state, ctx, 1 + len(out), "S1 Art. 11", reason=rel.note),
                                 member_index=rel.member_index, related_to=rel.related_to)
        )
    return out


def _start_investigation(state: CaseState, cmd: c.StartInvestigation, ctx: DecisionContext) -> list[e.CaseEvent]:
    _need_role(ctx, CASEWORKER, "start the investigation")
    _need_stage(state, {Stage.ACCEPTED}, "starting the investigation")
    team = _team(cmd.investigators, "investigators")
    return [e.InvestigationStarted(**_meta(state, ctx, 1, "S1 Art. 15", "S1 Art. 16"), investigators=team)]


def _home_visit(state: CaseState, cmd: c.RecordHomeVisit, ctx: DecisionContext) -> list[e.CaseEvent]:
    _need_role(ctx, CASEWORKER, "record a home visit")
    _need_stage(state, INVESTIGATION_STAGES, "recording a home visit")
    team = _team(cmd.investigators, "investigators")
    if not cmd.household_signed:
        raise InvalidInput("the household members present must sign the home-visit record (S1 Art. 16(1))",
                           field=("household_signed",))
    return [e.HomeVisitRecorded(**_meta(state, ctx, 1, "S1 Art. 16"), investigators=team, remote=cmd.remote,
                                findings=cmd.findings, evidence_sha256=tuple(cmd.evidence_sha256))]


def _neighbour_visit(state: CaseState, cmd: c.RecordNeighbourVisit, ctx: DecisionContext) -> list[e.CaseEvent]:
    _need_role(ctx, CASEWORKER, "record a neighbour visit")
    _need_stage(state, INVESTIGATION_STAGES, "recording a neighbour visit")
    return [e.NeighbourVisitRecorded(**_meta(state, ctx, 1, "S1 Art. 16"), notes=cmd.notes)]


def _letter(state: CaseState, cmd: c.RecordLetterEvidence, ctx: DecisionContext) -> list[e.CaseEvent]:
    _need_role(ctx, CASEWORKER, "record letter evidence")
    _need_stage(state, INVESTIGATION_STAGES, "recording letter evidence")
    return [e.LetterEvidenceRecorded(**_meta(state, ctx, 1, "S1 Art. 16"), notes=cmd.notes)]


def _request_info_check(state: CaseState, _: c.RequestInfoCheck, ctx: DecisionContext) -> list[e.CaseEvent]:
    _need_role(ctx, CASEWORKER, "request the information check")
    _need_stage(state, INVESTIGATION_STAGES, "requesting the information check")
    if state.info_check_requested and state.info_check is None:
        raise InvalidTransition("an information check is already running")
    return [e.InfoCheckRequested(**_meta(state, ctx, 1, "S1 Art. 17"))]


def _complete_info_check(state: CaseState, cmd: c.CompleteInfoCheck, ctx: DecisionContext) -> list[e.CaseEvent]:
    if not state.info_check_requested:
        raise InvalidTransition("no information check was requested")
    return [e.InfoCheckCompleted(**_meta(state, ctx, 1, "S1 Art. 17"), report=cmd.report)]


def _notify_check_negative(state: CaseState, cmd: c.NotifyInfoCheckIneligible,
                           ctx: DecisionContext) -> list[e.CaseEvent]:
    _need_role(ctx, CASEWORKER, "notify an ineligible check result")
    _need_stage(state, INVESTIGATION_STAGES, "notifying the check result")
    if state.info_check is None:
        raise InvalidTransition("the information check has not completed")
    return [e.IneligibilityByInfoCheckNotified(**_meta(state, ctx, 1, "S1 Art. 18"), reasons=tuple(cmd.reasons))]


def _object_to_check(state: CaseState, cmd: c.ObjectToCheckResult, ctx: DecisionContext) -> list[e.CaseEvent]:
    _need_role(ctx, WINDOW | CASEWORKER, "log the applicant's objection to the check result")
    _need_stage(state, {Stage.INFO_CHECK_NEGATIVE_NOTIFIED}, "objecting to the check result")
    return [e.CheckResultObjected(**_meta(state, ctx, 1, "S1 Art. 18"), evidence=cmd.evidence)]


def _investigation_complete(state: CaseState) -> None:
    if state.home_visits == 0:
        raise InvalidTransition("no home visit is on record (S1 Art. 16)")
    if state.info_check is None:
        raise InvalidTransition("the information check has not completed (S1 Art. 17)")


def _village_review(state: CaseState, cmd: c.DecideVillageReview, ctx: DecisionContext) -> list[e.CaseEvent]:
    params = _need_params(ctx)
    _need_role(ctx, TOWNSHIP_APPROVER, "decide on village review")
    _need_stage(state, {Stage.INVESTIGATING}, "the village-review decision")
    _investigation_complete(state)
    if state.village_review is not None:
        raise InvalidTransition("the village-review decision was already taken")
    if cmd.disputed:
        return [e.DemocraticAppraisalOrdered(**_meta(state, ctx, 1, "S1 Art. 19", "S5 item 24", reason=cmd.reason,
                                                     version=params.version))]
    if params.values.procedure_profile is ProcedureProfile.P2012:
        raise InvalidInput("the 2012 procedure profile makes 民主评议 mandatory (S2 Art. 21)", field=("disputed",))
    return [e.VillageReviewExempted(**_meta(state, ctx, 1, "S5 item 24", reason=cmd.reason, version=params.version))]


def _appraisal(state: CaseState, cmd: c.RecordDemocraticAppraisal, ctx: DecisionContext) -> list[e.CaseEvent]:
    params = _need_params(ctx)
    _need_role(ctx, CASEWORKER | TOWNSHIP_APPROVER, "record a 民主评议")
    _need_stage(state, {Stage.DEMOCRATIC_APPRAISAL}, "recording a 民主评议")
    if not cmd.signed:
        raise InvalidInput("the appraisal record must be signed by the participants", field=("signed",))
    basis: tuple[str, ...] = ("S1 Art. 19",)
    if params.values.procedure_profile is ProcedureProfile.P2012:
        reps = sum(1 for a in cmd.attendance if a.villager_representative)
        num, den = (int(x) for x in params.values.appraisal_villager_share_min.split("/"))
        if reps * den < num * len(cmd.attendance):
            raise InvalidInput("villager representatives must be at least two thirds of participants (S2 Art. 22)",
                               field=("attendance",))
        basis = ("S1 Art. 19", "S2 Arts. 22-23")
    return [e.DemocraticAppraisalHeld(**_meta(state, ctx, 1, *basis, version=params.version), minutes=cmd.minutes,
                                      attendance=tuple(cmd.attendance), conclusion=cmd.conclusion)]


def _prelim_opinion(state: CaseState, cmd: c.IssuePrelimOpinion, ctx: DecisionContext) -> list[e.CaseEvent]:
    params = _need_params(ctx)
    _need_role(ctx, TOWNSHIP_APPROVER, "issue the 初审意见")
    reissue = state.prelim_eligible is not None
    if state.stage is Stage.INVESTIGATING:
        _investigation_complete(state)
        if state.village_review != "exempted":
            raise InvalidTransition("the village-review decision (exemption or 民主评议) is not on record")
    elif state.stage is Stage.DEMOCRATIC_APPRAISAL:
        if state.village_review != "appraisal_held":
            raise InvalidTransition("the 民主评议 record is not on file (S1 Art. 19 para 2)")
    elif state.stage is Stage.REINVESTIGATION:
        if state.home_visits == 0:
            raise InvalidTransition("no home visit is on record (S1 Art. 16)")
    elif state.stage is Stage.INFO_CHECK_NEGATIVE_NOTIFIED:
        # No objection from the applicant: the township may conclude 'not eligible' (SPEC §3.3 row 8).
        if cmd.eligible:
            raise InvalidTransition("after a negative check only an 'ineligible' opinion is possible, or a "
                                    "recheck on the applicant's objection (S1 Art. 18)")
    else:
        _need_stage(state, {Stage.INVESTIGATING, Stage.DEMOCRATIC_APPRAISAL, Stage.REINVESTIGATION,
                            Stage.INFO_CHECK_NEGATIVE_NOTIFIED}, "the 初审意见")
    _not_maker(state, ctx)
    assessment = assessment_for(state, params)
    if cmd.eligible and not assessment.eligible:
        raise InvalidInput("an 'eligible' opinion contradicts the assessment; see its criteria", field=("eligible",))
    if not cmd.eligible and not cmd.reasons:
        raise InvalidInput("an 'ineligible' opinion needs reasons", field=("reasons",))
    out: list[e.CaseEvent] = [
        e.PrelimOpinionIssued(**_meta(state, ctx, 1, "S1 Art. 19", version=params.version), eligible=cmd.eligible,
                              reasons=tuple(cmd.reasons), reissued=reissue, assessment=assessment)
    ]
    if reissue and not params.values.republish_after_objection:
        # S1 requires no second 公示 for dibao (SPEC §3.3 row 15): the package goes to the county.
        out.append(e.CaseSubmittedToCounty(**_meta(state, ctx, 2, "S1 Art. 19 para 2", version=params.version)))
    return out


def _start_publicity(state: CaseState, cmd: c.StartPublicity, ctx: DecisionContext) -> list[e.CaseEvent]:
    params = _need_params(ctx)
    _need_role(ctx, CASEWORKER, "post the 公示")
    _need_stage(state, {Stage.PRELIM_OPINION_ISSUED}, "starting the 公示")
    if not state.prelim_eligible:
        raise InvalidTransition("only an 'eligible' opinion is posted for 公示; send an ineligible one to the county")
    unit = params.values.publicity_unit
    if unit is PublicityUnit.SECOND:
        ends_at = ctx.now + timedelta(seconds=params.values.publicity_period)
        ends_on = ends_at.astimezone(CHINA_TZ).date()
    else:
        # The posting day is day 1; the window runs to the end of its last day (China time).
        if unit is PublicityUnit.CALENDAR_DAY:
            ends_on = ctx.today + timedelta(days=params.values.publicity_period - 1)
        elif ctx.publicity_ends_on is not None:
            ends_on = ctx.publicity_ends_on
        else:
            raise DomainError("a working-day 公示 needs its end date from the calendar")
        ends_at = end_of_day(ends_on)
    return [e.PublicityStarted(**_meta(state, ctx, 1, "S1 Art. 19", "S6 §四(二)", version=params.version),
                               location=cmd.location, starts_on=ctx.today, ends_on=ends_on, ends_at=ends_at,
                               unit=unit.value, notice_sha256=cmd.notice_sha256)]


def _log_objection(state: CaseState, cmd: c.LogObjection, ctx: DecisionContext) -> list[e.CaseEvent]:
    _need_role(ctx, WINDOW | CASEWORKER | frozenset({Role.VILLAGE_COMMITTEE}), "log an objection")
    _need_stage(state, {Stage.PUBLICITY}, "logging a 公示 objection")
    if ctx.now >= publicity_closes_at(state):
        raise InvalidTransition("the 公示 window has closed")
    return [e.PublicityObjectionLogged(**_meta(state, ctx, 1, "S1 Art. 19", "S1 Art. 37"), real_name=cmd.real_name,
                                       content=cmd.content)]


def _close_publicity(state: CaseState, _: c.ClosePublicity, ctx: DecisionContext) -> list[e.CaseEvent]:
    _need_stage(state, {Stage.PUBLICITY}, "closing the 公示")
    out: list[e.CaseEvent] = [
        e.PublicityWindowElapsed(**_meta(state, ctx, 1, "S1 Art. 19"), objections=state.open_objections)
    ]
    if state.open_objections == 0:
        out.append(e.CaseSubmittedToCounty(**_meta(state, ctx, 2, "S1 Art. 19")))
    return out


def _resolve_objection(state: CaseState, cmd: c.ResolveObjection, ctx: DecisionContext) -> list[e.CaseEvent]:
    _need_role(ctx, TOWNSHIP_APPROVER, "choose how an objection is resolved")
    # The window runs to its end (SPEC §3.3 row 13); the township answers the objections afterwards.
    _need_stage(state, {Stage.OBJECTION_RECEIVED}, "resolving an objection")
    if state.open_objections == 0:
        raise InvalidTransition("no open objection is on record")
    if cmd.path == "reinvestigation":
        return [e.ReinvestigationOrdered(**_meta(state, ctx, 1, "S1 Art. 19 para 2", reason=cmd.reason))]
    return [e.DemocraticAppraisalOrdered(**_meta(state, ctx, 1, "S1 Art. 19 para 2", reason=cmd.reason))]


def _submit_to_county(state: CaseState, _: c.SubmitToCounty, ctx: DecisionContext) -> list[e.CaseEvent]:
    _need_role(ctx, CASEWORKER, "submit the package")
    _need_stage(state, {Stage.PRELIM_OPINION_ISSUED}, "submitting to the county")
    if state.prelim_eligible:
        raise InvalidTransition("an 'eligible' opinion must first go through 公示 (S1 Art. 19)")
    return [e.CaseSubmittedToCounty(**_meta(state, ctx, 1, "S1 Art. 19"))]


def _start_county_review(state: CaseState, _: c.StartCountyReview, ctx: DecisionContext) -> list[e.CaseEvent]:
    reviewers, _approvers = confirming_roles(ctx)
    _need_role(ctx, reviewers, "start the confirmation review")
    _need_stage(state, {Stage.SUBMITTED_TO_COUNTY}, "starting the review")
    if state.village_review == "appraisal_ordered":
        raise InvalidTransition("the 民主评议 record is not on file (S1 Art. 19 para 2)")
    return [e.CountyReviewStarted(**_meta(state, ctx, 1, "S1 Art. 20"))]


def _county_home_visit(state: CaseState, cmd: c.RecordCountyHomeVisit, ctx: DecisionContext) -> list[e.CaseEvent]:
    reviewers, _approvers = confirming_roles(ctx)
    _need_role(ctx, reviewers, "record the review home visit")
    _need_stage(state, {Stage.COUNTY_REVIEW}, "recording the review home visit")
    team = _team(cmd.investigators, "investigators")
    return [e.CountyHomeVisitRecorded(**_meta(state, ctx, 1, "S1 Art. 20"), investigators=team,
                                      findings=cmd.findings)]


def _log_complaint(state: CaseState, cmd: c.LogComplaint, ctx: DecisionContext) -> list[e.CaseEvent]:
    _need_role(ctx, WINDOW | CASEWORKER | COUNTY_REVIEWER | frozenset({Role.SUPERVISOR}), "log a complaint")
    _need_stage(state, {Stage.SUBMITTED_TO_COUNTY, Stage.COUNTY_REVIEW}, "logging a complaint")
    return [e.ComplaintReceived(**_meta(state, ctx, 1, "S1 Art. 20", "S1 Art. 36"), real_name=cmd.real_name,
                                content=cmd.content)]


def _resolve_complaint(state: CaseState, cmd: c.ResolveComplaint, ctx: DecisionContext) -> list[e.CaseEvent]:
    reviewers, _approvers = confirming_roles(ctx)
    _need_role(ctx, reviewers, "resolve a complaint")
    _need_stage(state, {Stage.COUNTY_REVIEW}, "resolving a complaint")
    open_ = [x for x in state.complaints if not x.resolved]
    if not open_:
        raise InvalidTransition("no open complaint")
    if open_[0].real_name and not cmd.feedback_sent:
        raise InvalidInput("a real-name reporter must get feedback (S1 Art. 37)", field=("feedback_sent",))
    return [e.ComplaintResolved(**_meta(state, ctx, 1, "S1 Art. 37"), feedback_sent=cmd.feedback_sent,
                                finding=cmd.finding)]


def _decision_preconditions(state: CaseState, ctx: DecisionContext, what: str) -> ResolvedParameters:
    params = _need_params(ctx)
    _reviewers, approvers = confirming_roles(ctx)
    _need_role(ctx, approvers, what)
    _need_stage(state, {Stage.COUNTY_REVIEW}, what)
    _not_maker(state, ctx)
    if state.open_complaints:
        raise InvalidTransition("an open complaint must be resolved first (S1 Arts. 20, 37)")
    return params


def _approve(state: CaseState, cmd: c.Approve, ctx: DecisionContext) -> list[e.CaseEvent]:
    params = _decision_preconditions(state, ctx, "approve")
    if (state.close_relatives or state.complaints) and not state.county_home_visit:
        raise InvalidTransition("a county home visit is mandatory for close-relative and complained cases "
                                "(S1 Art. 20 para 2) and is not on record")
    if state.prelim_eligible is not True:
        raise InvalidTransition("the 初审意见 on record is not 'eligible'")
    if state.publicity_rounds == 0:
        raise InvalidTransition("no finished 公示 is on record (S1 Art. 19)")
    if state.open_objections:
        raise InvalidTransition("an objection from the 公示 is still open (S1 Art. 19)")
    assessment = assessment_for(state, params)
    if not assessment.eligible:
        raise InvalidInput("the household is not eligible under the parameters in force; see the assessment",
                           field=("reason",))
    basis = ("S1 Art. 2", "S1 Art. 21", "S6 §四(一)") if _devolved(ctx) else ("S1 Art. 20", "S1 Art. 21")
    from domain.dynamic import review_schedule  # the in-payment rules build on this module

    return [e.ApplicationApproved(**_meta(state, ctx, 1, *basis, "S1 Art. 23", reason=cmd.reason,
                                          version=params.version),
                                  monthly_amount=assessment.monthly_amount,
                                  first_payment_month=month_after(ctx.today), assessment=assessment),
            review_schedule(state, ctx, 2)]


def _reject(state: CaseState, cmd: c.Reject, ctx: DecisionContext) -> list[e.CaseEvent]:
    params = _decision_preconditions(state, ctx, "reject")
    assessment = assessment_for(state, params)
    return [e.ApplicationRejected(**_meta(state, ctx, 1, "S1 Art. 21", "S1 Art. 38", reason="; ".join(cmd.reasons),
                                          version=params.version),
                                  reasons=tuple(cmd.reasons), assessment=assessment)]


def _serve_rejection(state: CaseState, _: c.ServeRejectionNotice, ctx: DecisionContext) -> list[e.CaseEvent]:
    _need_role(ctx, CASEWORKER, "serve the refusal notice")
    _need_stage(state, {Stage.REJECTED}, "serving the refusal notice")
    if state.rejection_notice_served:
        raise InvalidTransition("the refusal notice was already served")
    return [e.RejectionNoticeServed(**_meta(state, ctx, 1, "S1 Art. 21", "S1 Art. 38"))]


def _post_publication(state: CaseState, cmd: c.PostPublication, ctx: DecisionContext) -> list[e.CaseEvent]:
    _need_role(ctx, CASEWORKER | frozenset({Role.VILLAGE_COMMITTEE}), "post the 公布")
    _need_stage(state, {Stage.APPROVED}, "posting the 公布")
    assert state.first_payment_month is not None and state.monthly_amount is not None
    return [
        e.PublicationPosted(**_meta(state, ctx, 1, "S1 Art. 24"), location=cmd.location),
        e.PaymentScheduled(**_meta(state, ctx, 2, "S1 Art. 21", "S1 Art. 25"),
                           first_payment_month=state.first_payment_month, monthly_amount=state.monthly_amount),
    ]


def _non_cooperation(state: CaseState, cmd: c.RecordNonCooperation, ctx: DecisionContext) -> list[e.CaseEvent]:
    _need_role(ctx, CASEWORKER | COUNTY_REVIEWER, "record non-cooperation")
    _need_stage(state, PRE_DECISION, "recording non-cooperation")
    return [e.NonCooperationRecorded(**_meta(state, ctx, 1, "S1 Art. 29"), note=cmd.note)]


def _terminate(state: CaseState, cmd: c.TerminateForNonCooperation, ctx: DecisionContext) -> list[e.CaseEvent]:
    _need_role(ctx, TOWNSHIP_APPROVER | COUNTY_APPROVER, "end the procedure for non-cooperation")
    _need_stage(state, PRE_DECISION, "ending the procedure")
    if state.non_cooperation_count < NON_COOPERATION_REFUSALS:
        raise InvalidTransition(
            f"{NON_COOPERATION_REFUSALS} recorded refusals to cooperate are needed (S1 Art. 29); "
            f"{state.non_cooperation_count} on record"
        )
    return [e.ReviewTerminatedForNonCooperation(**_meta(state, ctx, 1, "S1 Art. 29", reason=cmd.reason))]


def _extend(state: CaseState, cmd: c.ExtendDeadline, ctx: DecisionContext) -> list[e.CaseEvent]:
    _need_role(ctx, TOWNSHIP_APPROVER | COUNTY_APPROVER, "extend the overall time limit")
    _need_stage(state, PRE_DECISION - {Stage.SUBMITTED, Stage.MATERIALS_INCOMPLETE}, "extending the time limit")
    if state.extension_ground is not None:
        raise InvalidTransition("the time limit was already extended")
    if _devolved(ctx):
        raise InvalidTransition("no extension is provided where confirmation is devolved (S6 §四(一): 20 wd)")
    if cmd.ground is c.ExtensionGround.PUBLICITY_OBJECTION and not state.objections:
        raise InvalidInput("no 公示 objection is on record", field=("ground",))
    return [e.DeadlineExtended(**_meta(state, ctx, 1, "S1 Art. 22", "S6 §四(一)", reason=cmd.reason),
                               ground=cmd.ground)]


def _withdraw(state: CaseState, cmd: c.WithdrawApplication, ctx: DecisionContext) -> list[e.CaseEvent]:
    _need_role(ctx, WINDOW, "record a withdrawal")
    _need_stage(state, PRE_DECISION, "withdrawal")
    return [e.ApplicationWithdrawn(**_meta(state, ctx, 1, reason=cmd.reason))]


def _set_deadline(state: CaseState, cmd: c.SetDeadline, ctx: DecisionContext) -> list[e.CaseEvent]:
    return [e.DeadlineSet(**_meta(state, ctx, 1, *DEADLINE_BASIS.get(cmd.step, ())), step=cmd.step, due=cmd.due,
                          calendar_version=cmd.calendar_version)]


def _raise_escalation(state: CaseState, cmd: c.RaiseEscalation, ctx: DecisionContext) -> list[e.CaseEvent]:
    deadline = state.deadlines.get(cmd.step)
    if deadline is None or deadline.escalated:
        raise InvalidTransition("nothing to escalate")
    return [e.EscalationRaised(**_meta(state, ctx, 1, *DEADLINE_BASIS.get(cmd.step, ())), step=cmd.step,
                               due=deadline.due)]


_HANDLERS: dict[type, Callable[[CaseState, Any, DecisionContext], list[e.CaseEvent]]] = {
    c.NotifyMissingMaterials: _notify_missing,
    c.AcceptApplication: _accept,
    c.StartInvestigation: _start_investigation,
    c.RecordHomeVisit: _home_visit,
    c.RecordNeighbourVisit: _neighbour_visit,
    c.RecordLetterEvidence: _letter,
    c.RequestInfoCheck: _request_info_check,
    c.CompleteInfoCheck: _complete_info_check,
    c.NotifyInfoCheckIneligible: _notify_check_negative,
    c.ObjectToCheckResult: _object_to_check,
    c.DecideVillageReview: _village_review,
    c.RecordDemocraticAppraisal: _appraisal,
    c.IssuePrelimOpinion: _prelim_opinion,
    c.StartPublicity: _start_publicity,
    c.LogObjection: _log_objection,
    c.ClosePublicity: _close_publicity,
    c.ResolveObjection: _resolve_objection,
    c.SubmitToCounty: _submit_to_county,
    c.StartCountyReview: _start_county_review,
    c.RecordCountyHomeVisit: _county_home_visit,
    c.LogComplaint: _log_complaint,
    c.ResolveComplaint: _resolve_complaint,
    c.Approve: _approve,
    c.Reject: _reject,
    c.ServeRejectionNotice: _serve_rejection,
    c.PostPublication: _post_publication,
    c.RecordNonCooperation: _non_cooperation,
    c.TerminateForNonCooperation: _terminate,
    c.ExtendDeadline: _extend,
    c.WithdrawApplication: _withdraw,
    c.SetDeadline: _set_deadline,
    c.RaiseEscalation: _raise_escalation,
}

#: Commands whose decision computes with, or depends on, the parameters in force.
NEEDS_PARAMS: frozenset[type] = frozenset(
    {c.AcceptApplication, c.DecideVillageReview, c.RecordDemocraticAppraisal, c.IssuePrelimOpinion,
     c.StartPublicity, c.StartCountyReview, c.RecordCountyHomeVisit, c.ResolveComplaint, c.Approve, c.Reject,
     c.ExtendDeadline, c.ReportChange, c.RaiseDataAlert, c.DecideReview, c.ReduceMemberShare, c.RecordFraudFinding, c.StopBenefit,
     c.ApplyStandardChange}
)

#: Legal basis of each step's time limit.
DEADLINE_BASIS: dict[str, tuple[str, ...]] = {
    "acceptance": ("S1 Art. 10",),
    "start_investigation": ("S1 Art. 15",),
    "prelim_opinion": ("S6 §四(一)",),
    "county_decision": ("S1 Art. 20",),
    "rejection_notice": ("S1 Art. 21",),
    "overall": ("S1 Art. 22",),
    "review": ("S1 Art. 31",),
    "death_resolution": ("S6 §一(三)",),
    "stop_notice": ("S1 Art. 32",),
}


# --- evolve ------------------------------------------------------------------------------------------


def _to(state: CaseState, event: e.EventBase, stage: Stage | None = None, **changes: Any) -> CaseState:
    update: dict[str, Any] = {"version": event.seq, "updated_at": event.at, **changes}
    if stage is not None and stage is not state.stage:
        update |= {"stage": stage, "stage_since": event.at}
    return state.model_copy(update=update)


def evolve(state: CaseState | None, event: e.CaseEvent) -> CaseState:
    """Apply one event to the state.

    Raises:
        DomainError: the event does not follow from the state (a corrupted stream).
    """
    if isinstance(event, e.ApplicationSubmitted):
        if state is not None:
            raise DomainError("application_submitted on an existing case")
        return CaseState(
            case_id=event.case_id, program=event.program, stage=Stage.SUBMITTED, village_code=event.village_code,
            township_code=township_of(event.village_code), county_code=county_of(event.village_code),
            area_type=event.area_type, members=event.members, declaration=event.declaration, version=event.seq,
            opened_at=event.at, stage_since=event.at, updated_at=event.at,
        )
    if state is None:
        raise DomainError(f"{event.type} before the application")
    if event.seq != state.version + 1:
        raise DomainError(f"event seq {event.seq} does not follow version {state.version}")
    match event:
        case e.MaterialsDeficiencyNotified():
            return _to(state, event, Stage.MATERIALS_INCOMPLETE, materials_missing=event.items,
                       deficiency_notified=True)
        case e.ApplicationAccepted():
            return _to(state, event, Stage.ACCEPTED, t0=event.t0, materials_missing=())
        case e.CloseRelativeFiled():
            return _to(state, event, close_relatives=(*state.close_relatives, event.member_index))
        case e.InvestigationStarted():
            return _to(state, event, Stage.INVESTIGATING, investigation_team=event.investigators,
                       investigators=tuple(dict.fromkeys((*state.investigators, *event.investigators))))
        case e.HomeVisitRecorded():
            return _to(state, event, home_visits=state.home_visits + 1,
                       investigators=tuple(dict.fromkeys((*state.investigators, *event.investigators))))
        case e.NeighbourVisitRecorded() | e.LetterEvidenceRecorded():
            return _to(state, event)
        case e.InfoCheckRequested():
            return _to(state, event, info_check_requested=True, info_check=None)
        case e.InfoCheckCompleted():
            return _to(state, event, info_check=event.report)
        case e.IneligibilityByInfoCheckNotified():
            return _to(state, event, Stage.INFO_CHECK_NEGATIVE_NOTIFIED, info_check_negative=True)
        case e.CheckResultObjected():
            # The recheck (复查) resumes the investigation; T0 and the 30-wd clock are not reset (S1 Art. 18).
            return _to(state, event, Stage.INVESTIGATING, rechecks=state.rechecks + 1, info_check_negative=False,
                       info_check_requested=False, info_check=None)
        case e.VillageReviewExempted():
            return _to(state, event, village_review="exempted")
        case e.DemocraticAppraisalOrdered():
            return _to(state, event, Stage.DEMOCRATIC_APPRAISAL, village_review="appraisal_ordered",
                       objections=tuple(o.model_copy(update={"resolved": True}) for o in state.objections))
        case e.DemocraticAppraisalHeld():
            return _to(state, event, village_review="appraisal_held", appraisal_conclusion=event.conclusion)
        case e.PrelimOpinionIssued():
            return _to(state, event, Stage.PRELIM_OPINION_ISSUED, prelim_eligible=event.eligible,
                       prelim_assessment=event.assessment)
        case e.PublicityStarted():
            return _to(state, event, Stage.PUBLICITY, publicity_starts_on=event.starts_on,
                       publicity_ends_on=event.ends_on, publicity_ends_at=event.ends_at or end_of_day(event.ends_on))
        case e.PublicityObjectionLogged():
            return _to(state, event, objections=(*state.objections, Objection(seq=event.seq,
                                                                              real_name=event.real_name)))
        case e.PublicityWindowElapsed():
            stage = Stage.OBJECTION_RECEIVED if event.objections else state.stage
            return _to(state, event, stage, publicity_rounds=state.publicity_rounds + 1)
        case e.ReinvestigationOrdered():
            return _to(state, event, Stage.REINVESTIGATION,
                       objections=tuple(o.model_copy(update={"resolved": True}) for o in state.objections))
        case e.CaseSubmittedToCounty():
            return _to(state, event, Stage.SUBMITTED_TO_COUNTY)
        case e.CountyReviewStarted():
            return _to(state, event, Stage.COUNTY_REVIEW)
        case e.CountyHomeVisitRecorded():
            return _to(state, event, county_home_visit=True,
                       investigators=tuple(dict.fromkeys((*state.investigators, *event.investigators))))
        case e.ComplaintReceived():
            return _to(state, event, county_home_visit=False,
                       complaints=(*state.complaints, Complaint(seq=event.seq, real_name=event.real_name)))
        case e.ComplaintResolved():
            first_open = next(i for i, x in enumerate(state.complaints) if not x.resolved)
            complaints = list(state.complaints)
            complaints[first_open] = complaints[first_open].model_copy(
                update={"resolved": True, "feedback_sent": event.feedback_sent})
            return _to(state, event, complaints=tuple(complaints))
        case e.ApplicationApproved():
            period = BenefitPeriod(from_month=event.first_payment_month, monthly_amount=event.monthly_amount,
                                   household_size=event.assessment.household_size,
                                   parameter_set_version=event.parameter_set_version, seq=event.seq)
            return _to(state, event, Stage.APPROVED, monthly_amount=event.monthly_amount,
                       first_payment_month=event.first_payment_month, decision_assessment=event.assessment,
                       decided_at=event.at, benefit_periods=(period,))
        case e.ApplicationRejected():
            return _to(state, event, Stage.REJECTED, rejection_reasons=event.reasons,
                       decision_assessment=event.assessment, decided_at=event.at)
        case e.RejectionNoticeServed():
            return _to(state, event, rejection_notice_served=True)
        case e.PublicationPosted():
            return _to(state, event, published_at=event.at)
        case e.PaymentScheduled():
            return _to(state, event, Stage.IN_PAYMENT)
        case e.NonCooperationRecorded():
            return _to(state, event, non_cooperation_count=state.non_cooperation_count + 1)
        case e.ReviewTerminatedForNonCooperation():
            return _to(state, event, Stage.TERMINATED_NONCOOPERATION, decided_at=event.at)
        case e.DeadlineExtended():
            return _to(state, event, extension_ground=event.ground)
        case e.ApplicationWithdrawn():
            return _to(state, event, Stage.WITHDRAWN)
        case e.DeadlineSet():
            deadlines = dict(state.deadlines)
            deadlines[event.step] = Deadline(step=event.step, due=event.due, calendar_version=event.calendar_version)
            return _to(state, event, deadlines=deadlines)
        case e.EscalationRaised():
            deadlines = dict(state.deadlines)
            deadlines[event.step] = deadlines[event.step].model_copy(update={"escalated": True})
            return _to(state, event, deadlines=deadlines)
    from domain.dynamic import evolve_in_payment  # the in-payment rules build on this module

    return evolve_in_payment(state, event)


def project(events: Iterable[e.CaseEvent], state: CaseState | None = None) -> CaseState | None:
    """Fold events into a state, starting from ``state``."""
    return functools.reduce(evolve, events, state)


# --- what is pending ---------------------------------------------------------------------------------

#: The step each stage waits for, and the deadline that governs it.
_PENDING: dict[Stage, tuple[str, frozenset[Role], str | None]] = {
    Stage.SUBMITTED: ("completeness_check", WINDOW, None),
    Stage.MATERIALS_INCOMPLETE: ("acceptance", WINDOW, "acceptance"),
    Stage.ACCEPTED: ("start_investigation", CASEWORKER, "start_investigation"),
    Stage.INVESTIGATING: ("investigation", CASEWORKER | TOWNSHIP_APPROVER, "prelim_opinion"),
    Stage.INFO_CHECK_NEGATIVE_NOTIFIED: ("applicant_response", WINDOW | CASEWORKER | TOWNSHIP_APPROVER, "overall"),
    Stage.DEMOCRATIC_APPRAISAL: ("democratic_appraisal", CASEWORKER | TOWNSHIP_APPROVER, "overall"),
    Stage.PRELIM_OPINION_ISSUED: ("start_publicity", CASEWORKER, "overall"),
    Stage.PUBLICITY: ("publicity_window", frozenset(), None),
    Stage.OBJECTION_RECEIVED: ("resolve_objection", TOWNSHIP_APPROVER, "overall"),
    Stage.REINVESTIGATION: ("reinvestigation", CASEWORKER | TOWNSHIP_APPROVER, "overall"),
    Stage.SUBMITTED_TO_COUNTY: ("start_county_review", COUNTY_REVIEWER, "county_decision"),
    Stage.COUNTY_REVIEW: ("county_decision", COUNTY_REVIEWER | COUNTY_APPROVER, "county_decision"),
    Stage.APPROVED: ("post_publication", CASEWORKER, None),
    Stage.REJECTED: ("serve_rejection_notice", CASEWORKER, "rejection_notice"),
    Stage.UNDER_REVIEW: ("review_decision", CASEWORKER | TOWNSHIP_APPROVER | COUNTY_APPROVER, "review"),
    Stage.EXITED: ("serve_stop_notice", CASEWORKER, "stop_notice"),
}


def pending_step(state: CaseState) -> PendingStep | None:
    """Who must act next and by when; None for a closed case or one handed over to payment."""
    if state.is_closed or state.stage in {Stage.IN_PAYMENT, Stage.GRADUAL_EXIT}:
        return None
    step, roles, deadline_key = _PENDING[state.stage]
    deadline = state.deadlines.get(deadline_key) if deadline_key else None
    if state.stage is Stage.PUBLICITY:
        return PendingStep(step=step, roles=(), due=state.publicity_ends_on)
    return PendingStep(step=step, roles=tuple(sorted(roles)), due=deadline.due if deadline else None,
                       overdue_escalated=bool(deadline and deadline.escalated))


def is_overdue(state: CaseState) -> bool:
    """Whether an escalated deadline's step is still pending (the case is overdue)."""
    return any(d.escalated and deadline_open(state, d.step) for d in state.deadlines.values())


def deadline_open(state: CaseState, step: str) -> bool:
    """Whether the step a deadline governs is still pending (so passing it raises an escalation)."""
    match step:
        case "acceptance":
            return state.stage is Stage.MATERIALS_INCOMPLETE
        case "start_investigation":
            return state.stage is Stage.ACCEPTED
        case "prelim_opinion":
            return state.stage in {Stage.INVESTIGATING, Stage.INFO_CHECK_NEGATIVE_NOTIFIED,
                                   Stage.DEMOCRATIC_APPRAISAL} and state.prelim_eligible is None
        case "county_decision":
            return state.stage in {Stage.SUBMITTED_TO_COUNTY, Stage.COUNTY_REVIEW}
        case "rejection_notice":
            return state.stage is Stage.REJECTED and not state.rejection_notice_served
        case "overall":
            return state.stage in PRE_DECISION
        case "review":
            return state.stage is Stage.UNDER_REVIEW
        case "death_resolution":
            return bool(state.unresolved_deaths) and state.stage in ACTIVE_STAGES
        case "stop_notice":
            return state.stage is Stage.EXITED and not state.stop_notice_served
    return False


def deadlines_to_set(state: CaseState, new_events: Iterable[e.CaseEvent],
                     params: ResolvedParameters) -> list[tuple[str, date, int]]:
    """Deadlines a batch of events starts: (step, start date, working days) for the calendar to compute.

    Limits: S1 Arts. 15 (3 wd to start investigating), 20 (10 wd county decision), 21 (3 wd refusal notice),
    22 (30 wd overall, 45 with a ground); S6 §四(一) (20 wd where devolved); the rest are LOCAL PARAMETERS.
    """
    d = params.values.deadlines
    out: list[tuple[str, date, int]] = []
    for ev in new_events:
        local = ev.at.astimezone(CHINA_TZ).date()
        match ev:
            case e.MaterialsDeficiencyNotified():
                out.append(("acceptance", local, d.deficiency_overdue_wd))
            case e.ApplicationAccepted():
                out.append(("start_investigation", ev.t0, d.investigation_start_wd))
                total = d.total_devolved_wd if params.values.confirmation_devolved_to_township else d.total_wd
                out.append(("overall", ev.t0, total))
            case e.InvestigationStarted():
                assert state.t0 is not None
                out.append(("prelim_opinion", state.t0, d.prelim_opinion_wd))
            case e.CaseSubmittedToCounty():
                out.append(("county_decision", local, d.county_decision_wd))
            case e.ApplicationRejected():
                out.append(("rejection_notice", local, d.rejection_notice_wd))
            case e.DeadlineExtended():
                assert state.t0 is not None
                out.append(("overall", state.t0, d.total_extended_wd))
            case e.PeriodicReviewDue() | e.AdHocReviewOpened():
                out.append(("review", local, params.values.dynamic.review_completion_wd))
            case e.BenefitStopped():
                out.append(("stop_notice", local, params.values.dynamic.stop_notice_wd))
    return out
