"""残疾人两项补贴 on the kernel: application at the township window, township review against the disability
certificate, county confirmation, monthly payment; 跨省通办 forwarding; reviews when the household leaves dibao
and the care-subsidy exclusion when the person enters 特困 (the kernel's links); stop on death
(S12: 云政发〔2016〕5号, 云民发〔2026〕2号; SPEC §6.2)."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from domain import commands as c
from domain import events as e
from domain.divisions import county_of, township_of, validate_village_code
from domain.errors import DomainError, InvalidInput, InvalidTransition, NotPermitted
from domain.household import Program
from domain.kernel import links
from domain.kernel.clock import local_date
from domain.kernel.context import DecisionContext
from domain.kernel.deadlines import DeadlineBook, DeadlineRule, deadline_handlers, deadline_mutators
from domain.kernel.drafts import Draft, draft
from domain.kernel.guards import (
    CASEWORKER,
    COUNTY_APPROVER,
    TOWNSHIP_APPROVER,
    VILLAGE_COMMITTEE,
    WINDOW,
    need_role,
    need_stage,
)
from domain.kernel.mutators import Mutators, merged, moved
from domain.kernel.programme import NOTHING, Needs, Programme
from domain.kernel.state import PendingStep
from domain.programmes.allowance import kit
from domain.programmes.allowance import notices as allowance_notices
from domain.programmes.disability_subsidies import rules, screening
from domain.programmes.disability_subsidies.stages import ACTIVE_STAGES, STAGE_LABELS, Stage

#: The legal basis of every step: the Yunnan scheme and its 2026 standards (S12), as SPEC §6.2 reads them.
BASIS = ("S12 云政发〔2016〕5号",)
STANDARDS = ("S12 云民发〔2026〕2号",)
LINKED = (*BASIS, *links.BASIS)

STAGES = kit.AllowanceStages(opened=Stage.SUBMITTED, in_payment=Stage.IN_PAYMENT, under_review=Stage.UNDER_REVIEW,
                             held=None, rejected=Stage.REJECTED, withdrawn=Stage.WITHDRAWN, exited=Stage.EXITED,
                             undecided=frozenset({Stage.TOWNSHIP_REVIEWED}))


class DisabilityState(kit.AllowanceState):
    """A 两项补贴 case: the applicant (``members[0]``), the certificate's facts as the township found them, the
    grants, and the 跨省通办 record."""

    stage: Stage
    program: Literal[Program.DISABILITY_SUBSIDIES] = Program.DISABILITY_SUBSIDIES
    disability_kind: c.DisabilityKind | None = None
    grade: int | None = None
    certificate_number: str | None = None
    long_term_care: bool = False
    work_injury_care: bool = False
    in_dibao: bool = False
    in_tekun: bool = False
    #: The household's dibao case has exited since a lookup last found it in dibao (a ``left_programme`` link
    #: from dibao for this person): the living subsidy's basis is gone until a lookup finds the household in
    #: dibao again (the township review; a confirmation or review decision granting the living subsidy).
    #: ``in_dibao`` stays the township review's finding (the fallback of histories recorded before
    #: RELATED_AUTHORITATIVE_PATCH reads it).
    dibao_left: bool = False
    forwarded_to: str | None = None
    forward_status: str | None = None
    received_in_code: str | None = None
    received_on: date | None = None

    @property
    def is_closed(self) -> bool:
        if self.stage is Stage.FORWARDED:
            return self.forward_status in {"accepted", "returned"}
        return self.stage in {Stage.REJECTED, Stage.WITHDRAWN, Stage.EXITED}

    def facts(self, related: tuple[Any, ...] | None = None, *, in_dibao: bool | None = None,
              in_tekun: bool | None = None) -> rules.Facts:
        """The facts the subsidies rest on. ``related``: the person's other cases as looked up (authoritative:
        empty = in neither dibao nor 特困); None where no lookup happened (the flags the township review found).
        ``in_dibao`` / ``in_tekun``: what the deciding step knows better."""
        assert self.grade is not None
        if in_dibao is None:
            in_dibao = (rules.paying(related, self.person, Program.DIBAO.value) if related is not None
                        else self.in_dibao)
        return rules.Facts(
            grade=self.grade, long_term_care=self.long_term_care, work_injury_care=self.work_injury_care,
            in_dibao=in_dibao,
            in_tekun=in_tekun if in_tekun is not None else (
                rules.paying(related, self.person, "tekun") if related is not None else self.in_tekun),
        )


#: The lookup of the person's other cases is authoritative when it was made: an empty answer is the household
#: after its dibao case has exited (its membership no longer active), not "unknown". Histories recorded before
#: this fix fell back to the township review's flags there and keep doing so on replay.
RELATED_AUTHORITATIVE_PATCH = "case-disability-related-authoritative-v1"
#: A decision without a lookup (the 特困 link's care exclusion) takes the household's dibao exit the case was
#: told of (``dibao_left``) over the township review's flag, so it never grants the living subsidy again after
#: the dibao case exited (云政发〔2016〕5号; issue 17 item 3). Histories recorded before it recomputed from the
#: review's flag and keep doing so on replay.
LATEST_DIBAO_PATCH = "case-disability-link-latest-dibao-v1"


def _looked_up_facts(state: DisabilityState, ctx: DecisionContext) -> rules.Facts:
    """The facts for a command that looked the person's other cases up (``needs.related``)."""
    if not ctx.related and (state.in_dibao or state.in_tekun) and not ctx.patched(RELATED_AUTHORITATIVE_PATCH):
        return state.facts()
    return state.facts(ctx.related)


# --- decide ----------------------------------------------------------------------------------------------


def _open(_: None, cmd: c.SubmitApplication, ctx: DecisionContext) -> list[Draft]:
    need_role(ctx, WINDOW | VILLAGE_COMMITTEE, "submit an application")
    try:
        validate_village_code(cmd.village_code)
    except InvalidInput as err:
        raise InvalidInput(err.message, field=("village_code",)) from None
    if not ctx.actor.covers(cmd.village_code):
        raise NotPermitted("village_code lies outside the actor's jurisdiction")
    kit.checked_person(cmd.members, ctx)
    if cmd.members[0].disability_grade is None:
        raise InvalidInput("the applicant's disability grade (残疾人证) is required", field=("members", 0,
                                                                                         "disability_grade"))
    return [draft(e.ApplicationSubmitted, *BASIS, program=cmd.program, village_code=cmd.village_code,
                  area_type=cmd.area_type, members=tuple(cmd.members), declaration=cmd.declaration)]


def _review(state: DisabilityState, cmd: c.ReviewAllowance, ctx: DecisionContext) -> list[Draft]:
    """乡镇审核 against the certificate (S12): the facts, the person's dibao / 特困 status from this engine."""
    need_role(ctx, CASEWORKER | TOWNSHIP_APPROVER, "review the application")
    need_stage(state, {Stage.SUBMITTED}, "the township review")
    p = kit.params_of(ctx)
    facts = rules.Facts(grade=cmd.grade, long_term_care=cmd.long_term_care, work_injury_care=cmd.work_injury_care,
                        in_dibao=rules.paying(ctx.related, state.person, Program.DIBAO.value),
                        in_tekun=rules.paying(ctx.related, state.person, "tekun"))
    proposed, why = rules.grants(facts, p)
    if cmd.recommend and not proposed:
        raise InvalidInput("no subsidy applies (" + "；".join(why) + "); record the opinion as not recommended",
                           field=("recommend",))
    out = [draft(e.AllowanceReviewed, *BASIS, reason=cmd.note, disability_kind=cmd.disability_kind,
                 grade=cmd.grade, certificate_number=cmd.certificate_number, long_term_care=cmd.long_term_care,
                 work_injury_care=cmd.work_injury_care, in_dibao=facts.in_dibao, in_tekun=facts.in_tekun,
                 recommend=cmd.recommend, proposed=proposed)]
    if not cmd.recommend:
        out.append(draft(e.AllowanceRefused, *BASIS, reasons=(cmd.note, *why)))
    return out


def _confirm(state: DisabilityState, cmd: c.ConfirmAllowance, ctx: DecisionContext) -> list[Draft]:
    """县级确认: granted from next month at the standards in force, dibao / 特困 as they stand today."""
    need_role(ctx, COUNTY_APPROVER, "confirm the subsidies")
    need_stage(state, {Stage.TOWNSHIP_REVIEWED}, "the county confirmation")
    granted, why = rules.grants(_looked_up_facts(state, ctx), kit.params_of(ctx))
    if not granted:
        raise InvalidTransition("no subsidy applies any more (" + "；".join(why) + "); refuse instead")
    return [draft(e.AllowanceGranted, *STANDARDS, reason=cmd.note, grants=granted,
                  first_payment_month=kit.next_month_of(ctx))]


def _decide_review(state: DisabilityState, cmd: c.DecideAllowanceReview, ctx: DecisionContext) -> list[Draft]:
    """The review's outcome: the subsidies recomputed (still in dibao? still in 特困?); none left: stopped."""
    need_role(ctx, kit.REVIEW_ROLES, "decide the review")
    need_stage(state, {Stage.UNDER_REVIEW}, "the review's decision")
    granted, why = rules.grants(_looked_up_facts(state, ctx), kit.params_of(ctx))
    if not granted:
        return [kit.stopped(BASIS, c.StopReason.OTHER, (cmd.note, *why), kit.stop_month(ctx))]
    return [draft(e.AllowanceChanged, *STANDARDS, reason=cmd.note, grants=granted, from_month=kit.next_month_of(ctx),
                  cause="review")]


def _forward(state: DisabilityState, cmd: c.ForwardApplication, ctx: DecisionContext) -> list[Draft]:
    """跨省通办: the applicant's hukou is elsewhere; the application is recorded and forwarded there."""
    need_role(ctx, WINDOW, "forward an application")
    need_stage(state, {Stage.SUBMITTED}, "forwarding")
    if cmd.destination_code == county_of(state.village_code):
        raise InvalidInput("the destination is this county: review the application here", field=("destination_code",))
    return [draft(e.ApplicationForwarded, *BASIS, reason=cmd.note, destination_code=cmd.destination_code,
                  status="forwarded")]


def _forwarding_outcome(state: DisabilityState, cmd: c.RecordForwardingOutcome, ctx: DecisionContext) -> list[Draft]:
    need_role(ctx, WINDOW, "record the forwarding's outcome")
    need_stage(state, {Stage.FORWARDED}, "the forwarding's outcome")
    if state.forward_status != "forwarded":
        raise InvalidTransition(f"the forwarding's outcome is on record already ({state.forward_status})")
    assert state.forwarded_to is not None
    return [draft(e.ApplicationForwarded, *BASIS, reason=cmd.note, destination_code=state.forwarded_to,
                  status=cmd.status)]


def _offsite(state: DisabilityState, cmd: c.RecordOffsiteReceipt, ctx: DecisionContext) -> list[Draft]:
    """跨省通办 in: the application was received elsewhere for a resident of this county."""
    need_role(ctx, WINDOW, "record where the application was received")
    need_stage(state, {Stage.SUBMITTED}, "recording an application received elsewhere")
    if cmd.received_on > ctx.today:
        raise InvalidInput("the date lies in the future", field=("received_on",))
    return [draft(e.OffsiteReceiptRecorded, *BASIS, received_in_code=cmd.received_in_code,
                  received_on=cmd.received_on)]


def on_link(state: DisabilityState, cmd: c.ApplyLink, ctx: DecisionContext) -> list[Draft]:
    """A death stops the subsidies; the household leaving dibao opens a review of the living subsidy; the
    person entering 特困 loses the care subsidy where the parameters exclude it (the hook ``tekun`` names)."""
    if cmd.effect is c.LinkEffect.PERSON_DIED:
        return kit.died_from_link(state, STAGES, LINKED, cmd, ctx)
    if state.stage not in ACTIVE_STAGES or cmd.resident_id != state.person:
        return []
    kinds = {g.kind for g in state.grants}
    if cmd.effect is c.LinkEffect.LEFT_PROGRAMME and cmd.source_program == Program.DIBAO.value and "living" in kinds:
        return kit.review_opened(state, STAGES, LINKED, f"link:{cmd.source_program}:left")
    if cmd.effect is c.LinkEffect.ENTERED_PROGRAMME and cmd.source_program == "tekun" and "care" in kinds:
        # No lookup here: the dibao status is the latest the case knows (the review's flag, or the exit a
        # ``left_programme`` link from dibao reported since), never a stale flag re-granting the living subsidy.
        stale = state.in_dibao and state.dibao_left and ctx.patched(LATEST_DIBAO_PATCH)
        granted, why = rules.grants(state.facts(in_dibao=False if stale else None, in_tekun=True),
                                    kit.params_of(ctx))
        if granted == state.grants:
            return []
        if not granted:
            return [kit.stopped(LINKED, c.StopReason.OTHER, why, kit.stop_month(ctx))]
        return [draft(e.AllowanceChanged, *LINKED, reason="；".join(why), grants=granted,
                      from_month=kit.next_month_of(ctx), cause="exclusion")]
    return []


# --- evolve ----------------------------------------------------------------------------------------------

MUTATORS = Mutators()


def initial(ev: e.ApplicationSubmitted) -> DisabilityState:
    return DisabilityState(
        case_id=ev.case_id, program=ev.program, stage=Stage.SUBMITTED, village_code=ev.village_code,
        township_code=township_of(ev.village_code), county_code=county_of(ev.village_code), members=ev.members,
        version=ev.seq, opened_at=ev.at, stage_since=ev.at, updated_at=ev.at, area_type=ev.area_type,
    )


@MUTATORS.on(e.AllowanceReviewed)
def _reviewed(state: DisabilityState, ev: e.AllowanceReviewed) -> DisabilityState:
    return moved(state, ev, Stage.TOWNSHIP_REVIEWED, disability_kind=ev.disability_kind, grade=ev.grade,
                 certificate_number=ev.certificate_number, long_term_care=ev.long_term_care,
                 work_injury_care=ev.work_injury_care, in_dibao=ev.in_dibao, in_tekun=ev.in_tekun,
                 dibao_left=False)


_KERNEL_LINKS = links.mutators()


@MUTATORS.on(e.LinkReceived)
def _link_received(state: DisabilityState, ev: e.LinkReceived) -> DisabilityState:
    """The kernel's record, and what the case now knows: the person's household left dibao."""
    state = _KERNEL_LINKS.apply(state, ev)
    if (ev.effect is c.LinkEffect.LEFT_PROGRAMME and ev.source_program == Program.DIBAO.value
            and ev.resident_id == state.person):
        state = state.model_copy(update={"dibao_left": True})
    return state


def _dibao_known(_state: DisabilityState, ev: e.AllowanceGranted | e.AllowanceChanged) -> dict[str, Any]:
    """The county confirmation or a review decision granting the living subsidy: its lookup found the household
    in dibao (the 特困 link's change decides without a lookup and teaches nothing)."""
    looked_up = isinstance(ev, e.AllowanceGranted) or ev.cause == "review"
    return {"dibao_left": False} if looked_up and any(g.kind == "living" for g in ev.grants) else {}


@MUTATORS.on(e.ApplicationForwarded)
def _forwarded(state: DisabilityState, ev: e.ApplicationForwarded) -> DisabilityState:
    return moved(state, ev, Stage.FORWARDED, forwarded_to=ev.destination_code, forward_status=ev.status)


@MUTATORS.on(e.OffsiteReceiptRecorded)
def _offsite_recorded(state: DisabilityState, ev: e.OffsiteReceiptRecorded) -> DisabilityState:
    return moved(state, ev, received_in_code=ev.received_in_code, received_on=ev.received_on)


# --- the rest of the programme ---------------------------------------------------------------------------

DEADLINES = DeadlineBook([
    DeadlineRule(
        step="township_review",
        basis=("SPEC §6.2 (UNCONFIRMED: no day limit in the sources; a parameter)",),
        open_while=lambda s: s.stage is Stage.SUBMITTED,
        starts={e.ApplicationSubmitted: lambda _s, ev, p: (local_date(ev.at), _review_wd(p))},
    ),
])


def _review_wd(params: Any) -> int:
    values = params.values.allowances
    if values is None:
        raise DomainError("the parameters in force have no allowance standards")
    return values.township_review_wd


_PENDING: dict[Stage, tuple[str, frozenset[Any], str | None]] = {
    Stage.SUBMITTED: ("township_review", CASEWORKER | TOWNSHIP_APPROVER, "township_review"),
    Stage.TOWNSHIP_REVIEWED: ("county_confirmation", COUNTY_APPROVER, None),
    Stage.UNDER_REVIEW: ("review_decision", kit.REVIEW_ROLES, None),
    Stage.FORWARDED: ("forwarding_outcome", WINDOW, None),
}


def pending(state: DisabilityState) -> PendingStep | None:
    if state.is_closed or state.stage not in _PENDING:
        return None
    step, roles, key = _PENDING[state.stage]
    deadline = state.deadlines.get(key) if key else None
    return PendingStep(step=step, roles=tuple(sorted(roles)), due=deadline.due if deadline else None,
                       overdue_escalated=bool(deadline and deadline.escalated))


_RELATED = frozenset({c.ReviewAllowance, c.ConfirmAllowance, c.DecideAllowanceReview})
_PARAMS = _RELATED | {c.RaiseDataAlert, c.StopAllowance, c.ApplyLink}


def needs(cmd: Any) -> Needs:
    kind = type(cmd)
    return Needs(params=True, related=kind in _RELATED) if kind in _PARAMS else NOTHING


def outcome(state: DisabilityState) -> str | None:
    """The read model's outcome; a forwarded application's is ``forwarded`` (已转办: decided at the hukou place,
    the forwarding's own status is ``forward_status``; 跨省通办, SPEC §6.2)."""
    if state.stage in ACTIVE_STAGES:
        return "approved"
    return {Stage.REJECTED: "rejected", Stage.WITHDRAWN: "withdrawn", Stage.EXITED: "exited",
            Stage.FORWARDED: "forwarded"}.get(state.stage)


_HUMAN = (c.ReviewAllowance, c.ConfirmAllowance, c.RefuseAllowance, c.WithdrawApplication, c.ForwardApplication,
          c.RecordForwardingOutcome, c.RecordOffsiteReceipt, c.DecideAllowanceReview, c.StopAllowance,
          c.RaiseDataAlert)
_SYSTEM = (c.SetDeadline, c.RaiseEscalation, c.ApplyLink, c.RecordLinkDeliveries)

DISABILITY_SUBSIDIES = Programme(
    code=Program.DISABILITY_SUBSIDIES,
    title="残疾人两项补贴",
    state_type=DisabilityState,
    stages=Stage,
    stage_labels=STAGE_LABELS,
    submit=c.SubmitApplication,
    open=_open,
    handlers={
        c.ReviewAllowance: _review,
        c.ConfirmAllowance: _confirm,
        c.DecideAllowanceReview: _decide_review,
        c.ForwardApplication: _forward,
        c.RecordForwardingOutcome: _forwarding_outcome,
        c.RecordOffsiteReceipt: _offsite,
        **kit.handlers(STAGES, BASIS, TOWNSHIP_APPROVER | COUNTY_APPROVER),
        **deadline_handlers(DEADLINES, c.SetDeadline, c.RaiseEscalation, e.DeadlineSet, e.EscalationRaised),
        **links.handlers(on_link),
    },
    system_commands=frozenset(_SYSTEM),
    first_event=e.ApplicationSubmitted,
    initial=initial,
    mutators=merged([MUTATORS, kit.mutators(STAGES, _dibao_known),
                     deadline_mutators(e.DeadlineSet, e.EscalationRaised), _KERNEL_LINKS.without(e.LinkReceived)]),
    deadlines=DEADLINES,
    pending=pending,
    needs=needs,
    timers=lambda _state, _patched: [],
    follow_up=lambda _state: None,
    at_rest=lambda state: state.stage is Stage.IN_PAYMENT,
    cycles=lambda state: state.reviews_completed,
    outcome=outcome,
    amount_for=lambda state, month: state.amount_for(month),
    payable_stages=frozenset({*ACTIVE_STAGES, Stage.EXITED}),
    command_vocabulary=(c.SubmitApplication, *_HUMAN, *_SYSTEM),
    event_vocabulary=(e.ApplicationSubmitted, e.AllowanceReviewed, e.AllowanceGranted, e.AllowanceRefused,
                      e.AllowanceChanged, e.AllowanceReviewOpened, e.AllowanceStopped, e.ApplicationWithdrawn,
                      e.ApplicationForwarded, e.OffsiteReceiptRecorded, e.DataAlertRaised, e.DeadlineSet,
                      e.EscalationRaised, e.LinkReceived, e.LinksDelivered),
    active_stages=ACTIVE_STAGES,
    main_path=(Stage.SUBMITTED, Stage.TOWNSHIP_REVIEWED, Stage.IN_PAYMENT, Stage.EXITED),
    end_branches=frozenset({Stage.REJECTED, Stage.WITHDRAWN, Stage.FORWARDED}),
    links=kit.links_of,
    steps=((kit, kit.Articles({"allowance": BASIS})),),
    notice_kinds=allowance_notices.DISABILITY_NOTICE_KINDS,
    event_notice_kinds=frozenset(allowance_notices.DISABILITY_NOTICE_KINDS),
    notice_for=allowance_notices.disability_notice_for,
    screen=screening.screen,  # 一门受理 (S5 item 23)
)
