"""The investigation and the township's opinion: the team of at least two, home and neighbour visits, letters,
the information check and the applicant's objection to it, the village review (民主评议) or its recorded
exemption, and the 初审意见 (S1 Arts. 15-19; S3 Arts. 13-14; S5 item 24)."""

from __future__ import annotations

from functools import partial
from typing import Any

from domain import commands as c
from domain import events as e
from domain.errors import InvalidInput, InvalidTransition
from domain.kernel.context import DecisionContext
from domain.kernel.drafts import Draft, draft
from domain.kernel.guards import (
    CASEWORKER,
    TOWNSHIP_APPROVER,
    WINDOW,
    need_params,
    need_role,
    need_stage,
    not_maker,
    team,
)
from domain.kernel.mutators import Mutators, moved
from domain.kernel.programme import Handler
from domain.parameters import ProcedureProfile
from domain.procedure.amendment import need_no_open_proposal
from domain.procedure.spec import ProcedureSpec

FIELDS = frozenset(
    {
        "investigation_team",
        "investigators",
        "home_visits",
        "info_check_requested",
        "info_check",
        "info_check_negative",
        "rechecks",
        "village_review",
        "appraisal_conclusion",
        "prelim_eligible",
        "prelim_assessment",
        "objections",
    }
)
ARTICLE_KEYS = frozenset(
    {
        "start_investigation",
        "team",
        "home_visit",
        "visit_evidence",
        "info_check",
        "check_negative",
        "village_review_disputed",
        "village_review_exempted",
        "appraisal",
        "appraisal_2012",
        "prelim_opinion",
        "objection_follow_up",
    }
)


def _team(spec: ProcedureSpec, ids: Any) -> tuple[str, ...]:
    return team(ids, "investigators", spec.cite("team"))


def _start(spec: ProcedureSpec, state: Any, cmd: c.StartInvestigation, ctx: DecisionContext) -> list[Draft]:
    need_role(ctx, CASEWORKER, "start the investigation")
    need_stage(state, {spec.stages.accepted}, "starting the investigation")
    investigators = _team(spec, cmd.investigators)
    return [draft(e.InvestigationStarted, *spec.basis("start_investigation"), investigators=investigators)]


def _home_visit(spec: ProcedureSpec, state: Any, cmd: c.RecordHomeVisit, ctx: DecisionContext) -> list[Draft]:
    need_role(ctx, CASEWORKER, "record a home visit")
    need_stage(state, spec.stages.investigation, "recording a home visit")
    investigators = _team(spec, cmd.investigators)
    if not cmd.household_signed:
        raise InvalidInput(
            f"the household members present must sign the home-visit record ({spec.cite('home_visit')}(1))",
            field=("household_signed",),
        )
    return [
        draft(
            e.HomeVisitRecorded,
            *spec.basis("home_visit"),
            investigators=investigators,
            remote=cmd.remote,
            findings=cmd.findings,
            evidence_sha256=tuple(cmd.evidence_sha256),
        )
    ]


def _neighbour_visit(spec: ProcedureSpec, state: Any, cmd: c.RecordNeighbourVisit, ctx: DecisionContext) -> list[Draft]:
    need_role(ctx, CASEWORKER, "record a neighbour visit")
    need_stage(state, spec.stages.investigation, "recording a neighbour visit")
    return [draft(e.NeighbourVisitRecorded, *spec.basis("visit_evidence"), notes=cmd.notes)]


def _letter(spec: ProcedureSpec, state: Any, cmd: c.RecordLetterEvidence, ctx: DecisionContext) -> list[Draft]:
    need_role(ctx, CASEWORKER, "record letter evidence")
    need_stage(state, spec.stages.investigation, "recording letter evidence")
    return [draft(e.LetterEvidenceRecorded, *spec.basis("visit_evidence"), notes=cmd.notes)]


def _request_info_check(spec: ProcedureSpec, state: Any, _: c.RequestInfoCheck, ctx: DecisionContext) -> list[Draft]:
    need_role(ctx, CASEWORKER, "request the information check")
    need_stage(state, spec.stages.investigation, "requesting the information check")
    if state.info_check_requested and state.info_check is None:
        raise InvalidTransition("an information check is already running")
    return [draft(e.InfoCheckRequested, *spec.basis("info_check"))]


def _complete_info_check(
    spec: ProcedureSpec, state: Any, cmd: c.CompleteInfoCheck, _ctx: DecisionContext
) -> list[Draft]:
    if not state.info_check_requested:
        raise InvalidTransition("no information check was requested")
    return [draft(e.InfoCheckCompleted, *spec.basis("info_check"), report=cmd.report)]


def _notify_check_negative(
    spec: ProcedureSpec, state: Any, cmd: c.NotifyInfoCheckIneligible, ctx: DecisionContext
) -> list[Draft]:
    need_role(ctx, CASEWORKER, "notify an ineligible check result")
    need_stage(state, spec.stages.investigation, "notifying the check result")
    if state.info_check is None:
        raise InvalidTransition("the information check has not completed")
    return [draft(e.IneligibilityByInfoCheckNotified, *spec.basis("check_negative"), reasons=tuple(cmd.reasons))]


def _object_to_check(spec: ProcedureSpec, state: Any, cmd: c.ObjectToCheckResult, ctx: DecisionContext) -> list[Draft]:
    need_role(ctx, WINDOW | CASEWORKER, "log the applicant's objection to the check result")
    need_stage(state, {spec.stages.info_check_negative}, "objecting to the check result")
    return [draft(e.CheckResultObjected, *spec.basis("check_negative"), evidence=cmd.evidence)]


def _investigation_complete(spec: ProcedureSpec, state: Any) -> None:
    if state.home_visits == 0:
        raise InvalidTransition(f"no home visit is on record ({spec.cite('home_visit')})")
    if state.info_check is None:
        raise InvalidTransition(f"the information check has not completed ({spec.cite('info_check')})")


def _village_review(spec: ProcedureSpec, state: Any, cmd: c.DecideVillageReview, ctx: DecisionContext) -> list[Draft]:
    params = need_params(ctx)
    need_role(ctx, TOWNSHIP_APPROVER, "decide on village review")
    need_stage(state, {spec.stages.investigating}, "the village-review decision")
    _investigation_complete(spec, state)
    if state.village_review is not None:
        raise InvalidTransition("the village-review decision was already taken")
    if cmd.disputed:
        return [
            draft(
                e.DemocraticAppraisalOrdered,
                *spec.basis("village_review_disputed"),
                reason=cmd.reason,
                params_version=params.version,
            )
        ]
    if params.values.procedure_profile is ProcedureProfile.P2012:
        raise InvalidInput("the 2012 procedure profile makes 民主评议 mandatory (S2 Art. 21)", field=("disputed",))
    return [
        draft(
            e.VillageReviewExempted,
            *spec.basis("village_review_exempted"),
            reason=cmd.reason,
            params_version=params.version,
        )
    ]


def _appraisal(spec: ProcedureSpec, state: Any, cmd: c.RecordDemocraticAppraisal, ctx: DecisionContext) -> list[Draft]:
    params = need_params(ctx)
    need_role(ctx, CASEWORKER | TOWNSHIP_APPROVER, "record a 民主评议")
    need_stage(state, {spec.stages.appraisal}, "recording a 民主评议")
    if not cmd.signed:
        raise InvalidInput("the appraisal record must be signed by the participants", field=("signed",))
    basis = spec.basis("appraisal")
    if params.values.procedure_profile is ProcedureProfile.P2012:
        reps = sum(1 for a in cmd.attendance if a.villager_representative)
        num, den = (int(x) for x in params.values.appraisal_villager_share_min.split("/"))
        if reps * den < num * len(cmd.attendance):
            raise InvalidInput(
                "villager representatives must be at least two thirds of participants (S2 Art. 22)",
                field=("attendance",),
            )
        basis = spec.basis("appraisal_2012")
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


def _prelim_opinion(spec: ProcedureSpec, state: Any, cmd: c.IssuePrelimOpinion, ctx: DecisionContext) -> list[Draft]:
    params = need_params(ctx)
    s = spec.stages
    need_role(ctx, TOWNSHIP_APPROVER, "issue the 初审意见")
    reissue = state.prelim_eligible is not None
    if state.stage is s.investigating:
        _investigation_complete(spec, state)
        if state.village_review != "exempted":
            raise InvalidTransition("the village-review decision (exemption or 民主评议) is not on record")
    elif state.stage is s.appraisal:
        if state.village_review != "appraisal_held":
            raise InvalidTransition(f"the 民主评议 record is not on file ({spec.cite('objection_follow_up')})")
    elif state.stage is s.reinvestigation:
        if state.home_visits == 0:
            raise InvalidTransition(f"no home visit is on record ({spec.cite('home_visit')})")
    elif state.stage is s.info_check_negative:
        # No objection from the applicant: the township may conclude 'not eligible' (SPEC §3.3 row 8).
        if cmd.eligible:
            raise InvalidTransition(
                "after a negative check only an 'ineligible' opinion is possible, or a "
                f"recheck on the applicant's objection ({spec.cite('check_negative')})"
            )
    else:
        need_stage(state, {s.investigating, s.appraisal, s.reinvestigation, s.info_check_negative}, "the 初审意见")
    not_maker(state.investigators, ctx)
    need_no_open_proposal(state, spec, "the 初审意见")
    assessment = spec.assess(state, params)
    if cmd.eligible and not assessment.eligible:
        raise InvalidInput("an 'eligible' opinion contradicts the assessment; see its criteria", field=("eligible",))
    if not cmd.eligible and not cmd.reasons:
        raise InvalidInput("an 'ineligible' opinion needs reasons", field=("reasons",))
    out: list[Draft] = [
        draft(
            e.PrelimOpinionIssued,
            *spec.basis("prelim_opinion"),
            params_version=params.version,
            eligible=cmd.eligible,
            reasons=tuple(cmd.reasons),
            reissued=reissue,
            assessment=assessment,
        )
    ]
    # A fresh opinion after an amendment changed the last one follows its own parameter (the law is silent).
    after_objection = (spec.republish_after_objection(params) if spec.republish_after_objection is not None
                       else params.values.republish_after_objection)
    republish = (params.values.republish_after_amendment if getattr(state, "opinion_reopened_by_amendment", False)
                 else after_objection)
    if reissue and not republish:
        # No second 公示 where the parameters say so (dibao, SPEC §3.3 row 15): the package goes to confirmation.
        out.append(draft(e.CaseSubmittedToCounty, *spec.basis("objection_follow_up"), params_version=params.version))
    return out


_HANDLERS = {
    c.StartInvestigation: _start,
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
}


def handlers(spec: ProcedureSpec) -> dict[type, Handler]:
    return {t: partial(fn, spec) for t, fn in _HANDLERS.items()}


def _with_investigators(state: Any, ids: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys((*state.investigators, *ids)))


def mutators(spec: ProcedureSpec) -> Mutators:
    s = spec.stages
    m = Mutators()

    @m.on(e.InvestigationStarted)
    def _(state: Any, event: Any) -> Any:
        return moved(
            state,
            event,
            s.investigating,
            investigation_team=event.investigators,
            investigators=_with_investigators(state, event.investigators),
        )

    @m.on(e.HomeVisitRecorded)
    def _(state: Any, event: Any) -> Any:
        return moved(
            state,
            event,
            home_visits=state.home_visits + 1,
            investigators=_with_investigators(state, event.investigators),
        )

    @m.on(e.NeighbourVisitRecorded, e.LetterEvidenceRecorded)
    def _(state: Any, event: Any) -> Any:
        return moved(state, event)

    @m.on(e.InfoCheckRequested)
    def _(state: Any, event: Any) -> Any:
        return moved(state, event, info_check_requested=True, info_check=None)

    @m.on(e.InfoCheckCompleted)
    def _(state: Any, event: Any) -> Any:
        return moved(state, event, info_check=event.report)

    @m.on(e.IneligibilityByInfoCheckNotified)
    def _(state: Any, event: Any) -> Any:
        return moved(state, event, s.info_check_negative, info_check_negative=True)

    @m.on(e.CheckResultObjected)
    def _(state: Any, event: Any) -> Any:
        # The recheck (复查) resumes the investigation; T0 and the overall clock are not reset (S1 Art. 18).
        return moved(
            state,
            event,
            s.investigating,
            rechecks=state.rechecks + 1,
            info_check_negative=False,
            info_check_requested=False,
            info_check=None,
        )

    @m.on(e.VillageReviewExempted)
    def _(state: Any, event: Any) -> Any:
        return moved(state, event, village_review="exempted")

    @m.on(e.DemocraticAppraisalOrdered)
    def _(state: Any, event: Any) -> Any:
        return moved(
            state,
            event,
            s.appraisal,
            village_review="appraisal_ordered",
            objections=tuple(o.model_copy(update={"resolved": True}) for o in state.objections),
        )

    @m.on(e.DemocraticAppraisalHeld)
    def _(state: Any, event: Any) -> Any:
        return moved(state, event, village_review="appraisal_held", appraisal_conclusion=event.conclusion)

    @m.on(e.PrelimOpinionIssued)
    def _(state: Any, event: Any) -> Any:
        reopened = getattr(state, "opinion_reopened_by_amendment", False)
        reset = {"opinion_reopened_by_amendment": False} if reopened else {}
        return moved(state, event, s.prelim_opinion, prelim_eligible=event.eligible, prelim_assessment=event.assessment,
                     **reset)

    return m
