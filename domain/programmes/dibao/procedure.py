"""Dibao's application procedure, S1 (《最低生活保障审核确认办法》, 2021) as written up in SPEC §3: application and
the one-time list of missing materials, acceptance, investigation, information check, village review or its
recorded exemption, 初审意见, 公示 with objections, confirmation review with complaints, approval or refusal,
公布; non-cooperation, extension, withdrawal. The 2012 profile (SPEC §3.7) makes 民主评议 mandatory.

Each handler checks a command against the state, the actor, the parameters and the clock in the context and
drafts the events it produces (the kernel numbers them), or raises a :class:`domain.errors.DomainError`.
"""

from __future__ import annotations

from datetime import timedelta

from domain import commands as c
from domain import events as e
from domain.actors import Role
from domain.divisions import validate_village_code
from domain.errors import DomainError, InvalidInput, InvalidTransition, NotPermitted
from domain.kernel.clock import CHINA_TZ, end_of_day
from domain.kernel.context import DecisionContext
from domain.kernel.drafts import Draft, draft
from domain.kernel.guards import (
    CASEWORKER,
    COUNTY_APPROVER,
    COUNTY_REVIEWER,
    SUPERVISOR,
    TOWNSHIP_APPROVER,
    VILLAGE_COMMITTEE,
    WINDOW,
    need_params,
    need_role,
    need_stage,
    not_maker,
    team,
)
from domain.kernel.programme import Handler
from domain.months import month_after
from domain.parameters import ProcedureProfile, PublicityUnit, ResolvedParameters
from domain.place import competent_place
from domain.programmes.dibao.rules import (
    assessment_for,
    confirming_roles,
    devolved,
    publicity_closes_at,
    review_schedule,
    validated_members,
)
from domain.programmes.dibao.stages import INVESTIGATION_STAGES, PRE_DECISION, Stage
from domain.programmes.dibao.state import DibaoState

#: Who may hand in an application: the window, or the village committee as agent (S1 Arts. 4, 6; S4 Art. 60).
SUBMIT_ROLES = frozenset({Role.FRONT_OFFICE, Role.VILLAGE_COMMITTEE})

#: Materials that may not be demanded because the window can fetch them from government platforms
#: (S1 Art. 10; S5 item 24). LOCAL PARAMETER in practice; these two are obtainable in Yunnan (UNCONFIRMED).
PLATFORM_OBTAINABLE = frozenset({c.Material.HUKOU_RECORD, c.Material.DISABILITY_CERTIFICATE})

#: Recorded refusals before the procedure may be ended for non-cooperation (S1 Art. 29). UNCONFIRMED.
NON_COOPERATION_REFUSALS = 2


def submit_application(_: None, cmd: c.SubmitApplication, ctx: DecisionContext) -> list[Draft]:
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
    members = validated_members(cmd.members, ctx)
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
    basis = (
        ("S1 Art. 4", "S1 Art. 6", "S1 Art. 9")
        if ctx.actor.role == Role.VILLAGE_COMMITTEE
        else ("S1 Art. 4", "S1 Art. 9")
    )
    if competence is not None and "S1 Art. 5" in competence.legal_basis[0]:
        basis = (*basis, *competence.legal_basis)
    return [
        draft(
            e.ApplicationSubmitted,
            *basis,
            program=cmd.program,
            village_code=cmd.village_code,
            area_type=cmd.area_type,
            members=members,
            declaration=cmd.declaration,
        )
    ]


def _notify_missing(state: DibaoState, cmd: c.NotifyMissingMaterials, ctx: DecisionContext) -> list[Draft]:
    need_role(ctx, WINDOW, "issue the list of missing materials")
    if state.deficiency_notified:
        raise InvalidTransition("the one-time list of missing materials was already issued (S1 Art. 10)")
    need_stage(state, {Stage.SUBMITTED}, "notifying missing materials")
    for i, item in enumerate(cmd.items):
        if item in PLATFORM_OBTAINABLE:
            raise InvalidInput(
                f"{item.value} is obtainable from government platforms and may not be demanded (S1 Art. 10)",
                field=("items", i),
            )
    if len(set(cmd.items)) != len(cmd.items):
        raise InvalidInput("an item is listed twice", field=("items",))
    return [draft(e.MaterialsDeficiencyNotified, "S1 Art. 10", items=tuple(cmd.items))]


def _accept(state: DibaoState, cmd: c.AcceptApplication, ctx: DecisionContext) -> list[Draft]:
    need_role(ctx, WINDOW, "accept applications")
    need_stage(state, {Stage.SUBMITTED, Stage.MATERIALS_INCOMPLETE}, "acceptance")
    out: list[Draft] = [draft(e.ApplicationAccepted, "S1 Art. 10", t0=ctx.today)]
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
                "S1 Art. 11",
                reason=rel.note,
                member_index=rel.member_index,
                related_to=rel.related_to,
            )
        )
    return out


def _start_investigation(state: DibaoState, cmd: c.StartInvestigation, ctx: DecisionContext) -> list[Draft]:
    need_role(ctx, CASEWORKER, "start the investigation")
    need_stage(state, {Stage.ACCEPTED}, "starting the investigation")
    investigators = team(cmd.investigators, "investigators", "S1 Art. 16")
    return [draft(e.InvestigationStarted, "S1 Art. 15", "S1 Art. 16", investigators=investigators)]


def _home_visit(state: DibaoState, cmd: c.RecordHomeVisit, ctx: DecisionContext) -> list[Draft]:
    need_role(ctx, CASEWORKER, "record a home visit")
    need_stage(state, INVESTIGATION_STAGES, "recording a home visit")
    investigators = team(cmd.investigators, "investigators", "S1 Art. 16")
    if not cmd.household_signed:
        raise InvalidInput(
            "the household members present must sign the home-visit record (S1 Art. 16(1))", field=("household_signed",)
        )
    return [
        draft(
            e.HomeVisitRecorded,
            "S1 Art. 16",
            investigators=investigators,
            remote=cmd.remote,
            findings=cmd.findings,
            evidence_sha256=tuple(cmd.evidence_sha256),
        )
    ]


def _neighbour_visit(state: DibaoState, cmd: c.RecordNeighbourVisit, ctx: DecisionContext) -> list[Draft]:
    need_role(ctx, CASEWORKER, "record a neighbour visit")
    need_stage(state, INVESTIGATION_STAGES, "recording a neighbour visit")
    return [draft(e.NeighbourVisitRecorded, "S1 Art. 16", notes=cmd.notes)]


def _letter(state: DibaoState, cmd: c.RecordLetterEvidence, ctx: DecisionContext) -> list[Draft]:
    need_role(ctx, CASEWORKER, "record letter evidence")
    need_stage(state, INVESTIGATION_STAGES, "recording letter evidence")
    return [draft(e.LetterEvidenceRecorded, "S1 Art. 16", notes=cmd.notes)]


def _request_info_check(state: DibaoState, _: c.RequestInfoCheck, ctx: DecisionContext) -> list[Draft]:
    need_role(ctx, CASEWORKER, "request the information check")
    need_stage(state, INVESTIGATION_STAGES, "requesting the information check")
    if state.info_check_requested and state.info_check is None:
        raise InvalidTransition("an information check is already running")
    return [draft(e.InfoCheckRequested, "S1 Art. 17")]


def _complete_info_check(state: DibaoState, cmd: c.CompleteInfoCheck, _ctx: DecisionContext) -> list[Draft]:
    if not state.info_check_requested:
        raise InvalidTransition("no information check was requested")
    return [draft(e.InfoCheckCompleted, "S1 Art. 17", report=cmd.report)]


def _notify_check_negative(state: DibaoState, cmd: c.NotifyInfoCheckIneligible, ctx: DecisionContext) -> list[Draft]:
    need_role(ctx, CASEWORKER, "notify an ineligible check result")
    need_stage(state, INVESTIGATION_STAGES, "notifying the check result")
    if state.info_check is None:
        raise InvalidTransition("the information check has not completed")
    return [draft(e.IneligibilityByInfoCheckNotified, "S1 Art. 18", reasons=tuple(cmd.reasons))]


def _object_to_check(state: DibaoState, cmd: c.ObjectToCheckResult, ctx: DecisionContext) -> list[Draft]:
    need_role(ctx, WINDOW | CASEWORKER, "log the applicant's objection to the check result")
    need_stage(state, {Stage.INFO_CHECK_NEGATIVE_NOTIFIED}, "objecting to the check result")
    return [draft(e.CheckResultObjected, "S1 Art. 18", evidence=cmd.evidence)]


def _investigation_complete(state: DibaoState) -> None:
    if state.home_visits == 0:
        raise InvalidTransition("no home visit is on record (S1 Art. 16)")
    if state.info_check is None:
        raise InvalidTransition("the information check has not completed (S1 Art. 17)")


def _village_review(state: DibaoState, cmd: c.DecideVillageReview, ctx: DecisionContext) -> list[Draft]:
    params = need_params(ctx)
    need_role(ctx, TOWNSHIP_APPROVER, "decide on village review")
    need_stage(state, {Stage.INVESTIGATING}, "the village-review decision")
    _investigation_complete(state)
    if state.village_review is not None:
        raise InvalidTransition("the village-review decision was already taken")
    if cmd.disputed:
        return [
            draft(
                e.DemocraticAppraisalOrdered,
                "S1 Art. 19",
                "S5 item 24",
                reason=cmd.reason,
                params_version=params.version,
            )
        ]
    if params.values.procedure_profile is ProcedureProfile.P2012:
        raise InvalidInput("the 2012 procedure profile makes 民主评议 mandatory (S2 Art. 21)", field=("disputed",))
    return [draft(e.VillageReviewExempted, "S5 item 24", reason=cmd.reason, params_version=params.version)]


def _appraisal(state: DibaoState, cmd: c.RecordDemocraticAppraisal, ctx: DecisionContext) -> list[Draft]:
    params = need_params(ctx)
    need_role(ctx, CASEWORKER | TOWNSHIP_APPROVER, "record a 民主评议")
    need_stage(state, {Stage.DEMOCRATIC_APPRAISAL}, "recording a 民主评议")
    if not cmd.signed:
        raise InvalidInput("the appraisal record must be signed by the participants", field=("signed",))
    basis: tuple[str, ...] = ("S1 Art. 19",)
    if params.values.procedure_profile is ProcedureProfile.P2012:
        reps = sum(1 for a in cmd.attendance if a.villager_representative)
        num, den = (int(x) for x in params.values.appraisal_villager_share_min.split("/"))
        if reps * den < num * len(cmd.attendance):
            raise InvalidInput(
                "villager representatives must be at least two thirds of participants (S2 Art. 22)",
                field=("attendance",),
            )
        basis = ("S1 Art. 19", "S2 Arts. 22-23")
    return [
        draft(
            e.DemocraticAppraisalHeld,
            *basis,
            params_version=params.version,
            minutes=cmd.minutes,
            attendance=tuple(cmd.attendance),
            conclusion=cmd.conclusion,
        )
    ]


def _prelim_opinion(state: DibaoState, cmd: c.IssuePrelimOpinion, ctx: DecisionContext) -> list[Draft]:
    params = need_params(ctx)
    need_role(ctx, TOWNSHIP_APPROVER, "issue the 初审意见")
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
            raise InvalidTransition(
                "after a negative check only an 'ineligible' opinion is possible, or a "
                "recheck on the applicant's objection (S1 Art. 18)"
            )
    else:
        need_stage(
            state,
            {
                Stage.INVESTIGATING,
                Stage.DEMOCRATIC_APPRAISAL,
                Stage.REINVESTIGATION,
                Stage.INFO_CHECK_NEGATIVE_NOTIFIED,
            },
            "the 初审意见",
        )
    not_maker(state.investigators, ctx)
    assessment = assessment_for(state, params)
    if cmd.eligible and not assessment.eligible:
        raise InvalidInput("an 'eligible' opinion contradicts the assessment; see its criteria", field=("eligible",))
    if not cmd.eligible and not cmd.reasons:
        raise InvalidInput("an 'ineligible' opinion needs reasons", field=("reasons",))
    out: list[Draft] = [
        draft(
            e.PrelimOpinionIssued,
            "S1 Art. 19",
            params_version=params.version,
            eligible=cmd.eligible,
            reasons=tuple(cmd.reasons),
            reissued=reissue,
            assessment=assessment,
        )
    ]
    if reissue and not params.values.republish_after_objection:
        # S1 requires no second 公示 for dibao (SPEC §3.3 row 15): the package goes to the county.
        out.append(draft(e.CaseSubmittedToCounty, "S1 Art. 19 para 2", params_version=params.version))
    return out


def _start_publicity(state: DibaoState, cmd: c.StartPublicity, ctx: DecisionContext) -> list[Draft]:
    params = need_params(ctx)
    need_role(ctx, CASEWORKER, "post the 公示")
    need_stage(state, {Stage.PRELIM_OPINION_ISSUED}, "starting the 公示")
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
    return [
        draft(
            e.PublicityStarted,
            "S1 Art. 19",
            "S6 §四(二)",
            params_version=params.version,
            location=cmd.location,
            starts_on=ctx.today,
            ends_on=ends_on,
            ends_at=ends_at,
            unit=unit.value,
            notice_sha256=cmd.notice_sha256,
        )
    ]


def _log_objection(state: DibaoState, cmd: c.LogObjection, ctx: DecisionContext) -> list[Draft]:
    need_role(ctx, WINDOW | CASEWORKER | VILLAGE_COMMITTEE, "log an objection")
    need_stage(state, {Stage.PUBLICITY}, "logging a 公示 objection")
    if ctx.now >= publicity_closes_at(state):
        raise InvalidTransition("the 公示 window has closed")
    return [draft(e.PublicityObjectionLogged, "S1 Art. 19", "S1 Art. 37", real_name=cmd.real_name, content=cmd.content)]


def _close_publicity(state: DibaoState, _: c.ClosePublicity, _ctx: DecisionContext) -> list[Draft]:
    need_stage(state, {Stage.PUBLICITY}, "closing the 公示")
    out: list[Draft] = [draft(e.PublicityWindowElapsed, "S1 Art. 19", objections=state.open_objections)]
    if state.open_objections == 0:
        out.append(draft(e.CaseSubmittedToCounty, "S1 Art. 19"))
    return out


def _resolve_objection(state: DibaoState, cmd: c.ResolveObjection, ctx: DecisionContext) -> list[Draft]:
    need_role(ctx, TOWNSHIP_APPROVER, "choose how an objection is resolved")
    # The window runs to its end (SPEC §3.3 row 13); the township answers the objections afterwards.
    need_stage(state, {Stage.OBJECTION_RECEIVED}, "resolving an objection")
    if state.open_objections == 0:
        raise InvalidTransition("no open objection is on record")
    if cmd.path == "reinvestigation":
        return [draft(e.ReinvestigationOrdered, "S1 Art. 19 para 2", reason=cmd.reason)]
    return [draft(e.DemocraticAppraisalOrdered, "S1 Art. 19 para 2", reason=cmd.reason)]


def _submit_to_county(state: DibaoState, _: c.SubmitToCounty, ctx: DecisionContext) -> list[Draft]:
    need_role(ctx, CASEWORKER, "submit the package")
    need_stage(state, {Stage.PRELIM_OPINION_ISSUED}, "submitting to the county")
    if state.prelim_eligible:
        raise InvalidTransition("an 'eligible' opinion must first go through 公示 (S1 Art. 19)")
    return [draft(e.CaseSubmittedToCounty, "S1 Art. 19")]


def _start_county_review(state: DibaoState, _: c.StartCountyReview, ctx: DecisionContext) -> list[Draft]:
    reviewers, _approvers = confirming_roles(ctx)
    need_role(ctx, reviewers, "start the confirmation review")
    need_stage(state, {Stage.SUBMITTED_TO_COUNTY}, "starting the review")
    if state.village_review == "appraisal_ordered":
        raise InvalidTransition("the 民主评议 record is not on file (S1 Art. 19 para 2)")
    return [draft(e.CountyReviewStarted, "S1 Art. 20")]


def _county_home_visit(state: DibaoState, cmd: c.RecordCountyHomeVisit, ctx: DecisionContext) -> list[Draft]:
    reviewers, _approvers = confirming_roles(ctx)
    need_role(ctx, reviewers, "record the review home visit")
    need_stage(state, {Stage.COUNTY_REVIEW}, "recording the review home visit")
    investigators = team(cmd.investigators, "investigators", "S1 Art. 16")
    return [draft(e.CountyHomeVisitRecorded, "S1 Art. 20", investigators=investigators, findings=cmd.findings)]


def _log_complaint(state: DibaoState, cmd: c.LogComplaint, ctx: DecisionContext) -> list[Draft]:
    need_role(ctx, WINDOW | CASEWORKER | COUNTY_REVIEWER | SUPERVISOR, "log a complaint")
    need_stage(state, {Stage.SUBMITTED_TO_COUNTY, Stage.COUNTY_REVIEW}, "logging a complaint")
    return [draft(e.ComplaintReceived, "S1 Art. 20", "S1 Art. 36", real_name=cmd.real_name, content=cmd.content)]


def _resolve_complaint(state: DibaoState, cmd: c.ResolveComplaint, ctx: DecisionContext) -> list[Draft]:
    reviewers, _approvers = confirming_roles(ctx)
    need_role(ctx, reviewers, "resolve a complaint")
    need_stage(state, {Stage.COUNTY_REVIEW}, "resolving a complaint")
    open_ = [x for x in state.complaints if not x.resolved]
    if not open_:
        raise InvalidTransition("no open complaint")
    if open_[0].real_name and not cmd.feedback_sent:
        raise InvalidInput("a real-name reporter must get feedback (S1 Art. 37)", field=("feedback_sent",))
    return [draft(e.ComplaintResolved, "S1 Art. 37", feedback_sent=cmd.feedback_sent, finding=cmd.finding)]


def _decision_preconditions(state: DibaoState, ctx: DecisionContext, what: str) -> ResolvedParameters:
    params = need_params(ctx)
    _reviewers, approvers = confirming_roles(ctx)
    need_role(ctx, approvers, what)
    need_stage(state, {Stage.COUNTY_REVIEW}, what)
    not_maker(state.investigators, ctx)
    if state.open_complaints:
        raise InvalidTransition("an open complaint must be resolved first (S1 Arts. 20, 37)")
    return params


def _approve(state: DibaoState, cmd: c.Approve, ctx: DecisionContext) -> list[Draft]:
    params = _decision_preconditions(state, ctx, "approve")
    if (state.close_relatives or state.complaints) and not state.county_home_visit:
        raise InvalidTransition(
            "a county home visit is mandatory for close-relative and complained cases "
            "(S1 Art. 20 para 2) and is not on record"
        )
    if state.prelim_eligible is not True:
        raise InvalidTransition("the 初审意见 on record is not 'eligible'")
    if state.publicity_rounds == 0:
        raise InvalidTransition("no finished 公示 is on record (S1 Art. 19)")
    if state.open_objections:
        raise InvalidTransition("an objection from the 公示 is still open (S1 Art. 19)")
    assessment = assessment_for(state, params)
    if not assessment.eligible:
        raise InvalidInput(
            "the household is not eligible under the parameters in force; see the assessment", field=("reason",)
        )
    basis = ("S1 Art. 2", "S1 Art. 21", "S6 §四(一)") if devolved(ctx) else ("S1 Art. 20", "S1 Art. 21")
    return [
        draft(
            e.ApplicationApproved,
            *basis,
            "S1 Art. 23",
            reason=cmd.reason,
            params_version=params.version,
            monthly_amount=assessment.monthly_amount,
            first_payment_month=month_after(ctx.today),
            assessment=assessment,
        ),
        review_schedule(state, ctx),
    ]


def _reject(state: DibaoState, cmd: c.Reject, ctx: DecisionContext) -> list[Draft]:
    params = _decision_preconditions(state, ctx, "reject")
    assessment = assessment_for(state, params)
    return [
        draft(
            e.ApplicationRejected,
            "S1 Art. 21",
            "S1 Art. 38",
            reason="; ".join(cmd.reasons),
            params_version=params.version,
            reasons=tuple(cmd.reasons),
            assessment=assessment,
        )
    ]


def _serve_rejection(state: DibaoState, _: c.ServeRejectionNotice, ctx: DecisionContext) -> list[Draft]:
    need_role(ctx, CASEWORKER, "serve the refusal notice")
    need_stage(state, {Stage.REJECTED}, "serving the refusal notice")
    if state.rejection_notice_served:
        raise InvalidTransition("the refusal notice was already served")
    return [draft(e.RejectionNoticeServed, "S1 Art. 21", "S1 Art. 38")]


def _post_publication(state: DibaoState, cmd: c.PostPublication, ctx: DecisionContext) -> list[Draft]:
    need_role(ctx, CASEWORKER | VILLAGE_COMMITTEE, "post the 公布")
    need_stage(state, {Stage.APPROVED}, "posting the 公布")
    assert state.first_payment_month is not None
    assert state.monthly_amount is not None
    return [
        draft(e.PublicationPosted, "S1 Art. 24", location=cmd.location),
        draft(
            e.PaymentScheduled,
            "S1 Art. 21",
            "S1 Art. 25",
            first_payment_month=state.first_payment_month,
            monthly_amount=state.monthly_amount,
        ),
    ]


def _non_cooperation(state: DibaoState, cmd: c.RecordNonCooperation, ctx: DecisionContext) -> list[Draft]:
    need_role(ctx, CASEWORKER | COUNTY_REVIEWER, "record non-cooperation")
    need_stage(state, PRE_DECISION, "recording non-cooperation")
    return [draft(e.NonCooperationRecorded, "S1 Art. 29", note=cmd.note)]


def _terminate(state: DibaoState, cmd: c.TerminateForNonCooperation, ctx: DecisionContext) -> list[Draft]:
    need_role(ctx, TOWNSHIP_APPROVER | COUNTY_APPROVER, "end the procedure for non-cooperation")
    need_stage(state, PRE_DECISION, "ending the procedure")
    if state.non_cooperation_count < NON_COOPERATION_REFUSALS:
        raise InvalidTransition(
            f"{NON_COOPERATION_REFUSALS} recorded refusals to cooperate are needed (S1 Art. 29); "
            f"{state.non_cooperation_count} on record"
        )
    return [draft(e.ReviewTerminatedForNonCooperation, "S1 Art. 29", reason=cmd.reason)]


def _extend(state: DibaoState, cmd: c.ExtendDeadline, ctx: DecisionContext) -> list[Draft]:
    need_role(ctx, TOWNSHIP_APPROVER | COUNTY_APPROVER, "extend the overall time limit")
    need_stage(state, PRE_DECISION - {Stage.SUBMITTED, Stage.MATERIALS_INCOMPLETE}, "extending the time limit")
    if state.extension_ground is not None:
        raise InvalidTransition("the time limit was already extended")
    if devolved(ctx):
        raise InvalidTransition("no extension is provided where confirmation is devolved (S6 §四(一): 20 wd)")
    if cmd.ground is c.ExtensionGround.PUBLICITY_OBJECTION and not state.objections:
        raise InvalidInput("no 公示 objection is on record", field=("ground",))
    return [draft(e.DeadlineExtended, "S1 Art. 22", "S6 §四(一)", reason=cmd.reason, ground=cmd.ground)]


def _withdraw(state: DibaoState, cmd: c.WithdrawApplication, ctx: DecisionContext) -> list[Draft]:
    need_role(ctx, WINDOW, "record a withdrawal")
    need_stage(state, PRE_DECISION, "withdrawal")
    return [draft(e.ApplicationWithdrawn, reason=cmd.reason)]


#: The application procedure's commands and their handlers.
HANDLERS: dict[type, Handler] = {
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
}
