"""高龄津贴 on the kernel: proactive enrolment from the hukou data (主动发现), the township's confirmation,
monthly payment, the move to the next band on the birthday (the case's own timer), the annual survival check
(生存认证) whose miss escalates (a deadline; a township approver then holds payment, never a stop) and whose
late completion resumes it with the months owed, and the stop on death from a data alert or another case of
the person (SPEC §6.3; every value a parameter)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any, Literal

from domain import commands as c
from domain import events as e
from domain.actors import Role
from domain.divisions import county_of, township_of, validate_village_code
from domain.errors import DomainError, InvalidInput, InvalidTransition, NotPermitted
from domain.household import Program
from domain.kernel import links
from domain.kernel.clock import local_date, start_of_day
from domain.kernel.context import DecisionContext
from domain.kernel.deadlines import DeadlineBook, DeadlineRule, deadline_handlers, deadline_mutators
from domain.kernel.drafts import Draft, draft
from domain.kernel.guards import CASEWORKER, COUNTY_REVIEWER, TOWNSHIP_APPROVER, need_role, need_stage
from domain.kernel.mutators import Mutators, merged, moved
from domain.kernel.programme import NOTHING, Needs, Programme, Timer
from domain.kernel.state import PendingStep
from domain.months import add_months, add_months_to_month, month_after, month_of
from domain.procedure.records import BenefitPeriod
from domain.programmes.allowance import kit
from domain.programmes.allowance import notices as allowance_notices
from domain.programmes.old_age_allowance import rules, screening
from domain.programmes.old_age_allowance.stages import ACTIVE_STAGES, STAGE_LABELS, Stage

#: No rule was found (SPEC §6.3): every step cites the section that says so; bands and amounts are parameters.
BASIS = ("SPEC §6.3 (UNCONFIRMED: no national or Yunnan rule found)",)
SURVIVAL = ("SPEC §6.3 (annual survival check; UNCONFIRMED)",)
#: The check's limit (a kernel deadline since the patch below): period and grace are parameters.
SURVIVAL_LIMIT = ("SPEC §6.3 (UNCONFIRMED: annual survival check; its period and grace are parameters)",)
LINKED = (*BASIS, *links.BASIS)
#: Behind this patch a missed survival check raises an escalation (the kernel's deadline ``survival_check``,
#: recorded with the grant and each check) and a township approver holds payment (``hold_payment``): a timer
#: never decides (SPEC §0.1). Cases granted or checked before it keep the case's own hold timer until their
#: next check (their recorded events re-derive unchanged).
SURVIVAL_ESCALATION_PATCH = "old-age-survival-escalation-v1"
SURVIVAL_STEP = "survival_check"
#: The survival check's limit is counted in calendar months and days (parameters), not working days.
CALENDAR_COUNT = "calendar_days"
#: Who may open an enrolment: the engine's import, or county / township staff running it.
ENROL_ROLES = frozenset({Role.SYSTEM}) | COUNTY_REVIEWER | CASEWORKER

STAGES = kit.AllowanceStages(opened=Stage.PROPOSED, in_payment=Stage.IN_PAYMENT, under_review=None,
                             held=Stage.PAYMENT_HELD, rejected=Stage.REJECTED, withdrawn=None, exited=Stage.EXITED)


class OldAgeState(kit.AllowanceState):
    """A 高龄津贴 case: the person, their birth date (from the ID number), the band paid, the band ages known at
    the grant (for the next band's timer), and the survival check (``survival_check_due``; payment held from
    ``hold_on`` when it is missed)."""

    stage: Stage
    program: Literal[Program.OLD_AGE_ALLOWANCE] = Program.OLD_AGE_ALLOWANCE
    birth_date: date
    band_min_age: int
    band_ages: tuple[int, ...] = ()
    survival_check_due: date | None = None
    hold_on: date | None = None

    @property
    def is_closed(self) -> bool:
        return self.stage in {Stage.REJECTED, Stage.EXITED}


def _grant(band: Any) -> tuple[e.Grant, ...]:
    return (e.Grant(kind="old_age", monthly=band.monthly, band_min_age=band.min_age),)


def _survival_due(ctx: DecisionContext, checked: date) -> tuple[date, date]:
    """The next check's due day and the day payment is held if it is missed (parameters)."""
    p = kit.params_of(ctx)
    due = add_months(checked, p.survival_check_months)
    return due, due + timedelta(days=p.survival_check_grace_days)


def _survival_deadline(ctx: DecisionContext, hold_on: date) -> list[Draft]:
    """Behind the patch: the check's limit as a kernel deadline, its last day the grace's (passed: escalated)."""
    if not ctx.patched(SURVIVAL_ESCALATION_PATCH):
        return []
    return [draft(e.DeadlineSet, *SURVIVAL_LIMIT, step=SURVIVAL_STEP, due=hold_on - timedelta(days=1),
                  calendar_version=CALENDAR_COUNT)]


def survival_escalates(state: OldAgeState) -> bool:
    """Whether the case's check is a kernel deadline (its miss escalates) rather than the old hold timer."""
    return SURVIVAL_STEP in state.deadlines


# --- decide ----------------------------------------------------------------------------------------------


def _open(_: None, cmd: c.ProposeEnrolment, ctx: DecisionContext) -> list[Draft]:
    """主动发现: a resident of the county who has reached a band, from the hukou extract (SPEC §6.3)."""
    need_role(ctx, ENROL_ROLES, "open an enrolment")
    try:
        validate_village_code(cmd.village_code)
    except InvalidInput as err:
        raise InvalidInput(err.message, field=("village_code",)) from None
    if ctx.actor.role is not Role.SYSTEM and not ctx.actor.covers(cmd.village_code):
        raise NotPermitted("village_code lies outside the actor's jurisdiction")
    kit.checked_person([cmd.member], ctx)
    born = rules.birth_date(cmd.member.resident_id)
    if rules.age_on(born, ctx.today) < cmd.band_min_age:
        raise InvalidInput("the person has not reached that band yet", field=("band_min_age",))
    return [draft(e.EnrolmentProposed, *BASIS, reason=cmd.source, program=cmd.program, village_code=cmd.village_code,
                  members=(cmd.member,), birth_date=born, band_min_age=cmd.band_min_age, source=cmd.source)]


def _confirm(state: OldAgeState, cmd: c.ConfirmAllowance, ctx: DecisionContext) -> list[Draft]:
    """The township confirms: paid from next month at the band reached today."""
    need_role(ctx, TOWNSHIP_APPROVER, "confirm the allowance")
    need_stage(state, {Stage.PROPOSED}, "the confirmation")
    p = kit.params_of(ctx)
    band = rules.band_for(state.birth_date, ctx.today, p)
    if band is None:
        raise InvalidTransition("the person has not reached the first band")
    due, hold_on = _survival_due(ctx, ctx.today)
    return [draft(e.AllowanceGranted, *BASIS, reason=cmd.note, grants=_grant(band),
                  first_payment_month=kit.next_month_of(ctx), band_ages=tuple(b.min_age for b in p.old_age_bands),
                  next_check_due=due, hold_on=hold_on), *_survival_deadline(ctx, hold_on)]


def _move_band(state: OldAgeState, cmd: c.MoveAgeBand, ctx: DecisionContext) -> list[Draft]:
    """The birthday that reaches the next band: the new amount from that month (SPEC §6.3)."""
    need_stage(state, ACTIVE_STAGES, "a band move")
    band = rules.band_for(state.birth_date, cmd.on, kit.params_of(ctx))
    if band is None or band.min_age <= state.band_min_age:
        raise InvalidTransition("no higher band is reached on that day")
    return [draft(e.AllowanceChanged, *BASIS, grants=_grant(band), from_month=month_of(cmd.on), cause="age_band")]


def _hold(state: OldAgeState, cmd: c.HoldForSurvivalCheck, ctx: DecisionContext) -> list[Draft]:
    """The check's grace ran out: hold payment from next month (the case's own timer: cases granted or checked
    before the patch ``old-age-survival-escalation-v1``; since then the miss escalates, :func:`_hold_payment`)."""
    need_stage(state, {Stage.IN_PAYMENT}, "holding payment")
    if state.survival_check_due != cmd.due or survival_escalates(state):
        raise InvalidTransition("that survival check is not the one due")
    return [draft(e.PaymentHeld, *SURVIVAL, reason="未按期完成生存认证，暂停发放", from_month=kit.next_month_of(ctx),
                  due=cmd.due)]


def _hold_payment(state: OldAgeState, cmd: c.HoldPayment, ctx: DecisionContext) -> list[Draft]:
    """暂停发放: the survival check's deadline passed and was escalated; a township approver holds payment from
    next month (SPEC §6.3: held, not stopped; a timer never decides, SPEC §0.1)."""
    need_role(ctx, TOWNSHIP_APPROVER, "hold payment")
    need_stage(state, {Stage.IN_PAYMENT}, "holding payment")
    deadline = state.deadlines.get(SURVIVAL_STEP)
    if deadline is None or not deadline.escalated or state.survival_check_due is None:
        raise InvalidTransition("the survival check is not overdue: nothing to hold")
    return [draft(e.PaymentHeld, *SURVIVAL, reason=cmd.reason, from_month=kit.next_month_of(ctx),
                  due=state.survival_check_due)]


def _survival_check(state: OldAgeState, cmd: c.RecordSurvivalCheck, ctx: DecisionContext) -> list[Draft]:
    """生存认证: the next one is due a period later; a held payment resumes, the held months owed (补发)."""
    need_role(ctx, CASEWORKER | TOWNSHIP_APPROVER, "record a survival check")
    need_stage(state, ACTIVE_STAGES, "a survival check")
    if cmd.checked_on > ctx.today:
        raise InvalidInput("the date lies in the future", field=("checked_on",))
    due, hold_on = _survival_due(ctx, cmd.checked_on)
    owed: list[str] = []
    if state.held_from_month is not None:
        month, resume = state.held_from_month, max(state.held_from_month, month_after(ctx.today))
        while month < resume:
            owed.append(month)
            month = add_months_to_month(month, 1)
    return [draft(e.SurvivalCheckRecorded, *SURVIVAL, checked_on=cmd.checked_on, method=cmd.method, next_due=due,
                  hold_on=hold_on, resumed_months=tuple(owed)), *_survival_deadline(ctx, hold_on)]


def on_link(state: OldAgeState, cmd: c.ApplyLink, ctx: DecisionContext) -> list[Draft]:
    if cmd.effect is c.LinkEffect.PERSON_DIED:
        return kit.died_from_link(state, STAGES, LINKED, cmd, ctx)
    return []


# --- evolve ----------------------------------------------------------------------------------------------

MUTATORS = Mutators()


def initial(ev: e.EnrolmentProposed) -> OldAgeState:
    return OldAgeState(
        case_id=ev.case_id, program=ev.program, stage=Stage.PROPOSED, village_code=ev.village_code,
        township_code=township_of(ev.village_code), county_code=county_of(ev.village_code), members=ev.members,
        version=ev.seq, opened_at=ev.at, stage_since=ev.at, updated_at=ev.at, birth_date=ev.birth_date,
        band_min_age=ev.band_min_age,
    )


def _band_of(grants: tuple[e.Grant, ...], default: int) -> int:
    return next((g.band_min_age for g in grants if g.band_min_age is not None), default)


def _band_and_check(state: OldAgeState, ev: Any) -> dict[str, Any]:
    """With a grant: the band paid, the band ages known and the first survival check; with a change: the band."""
    update: dict[str, Any] = {"band_min_age": _band_of(ev.grants, state.band_min_age)}
    if isinstance(ev, e.AllowanceGranted):
        update |= {"band_ages": ev.band_ages, "survival_check_due": ev.next_check_due, "hold_on": ev.hold_on}
    return update


@MUTATORS.on(e.PaymentHeld)
def _held(state: OldAgeState, ev: e.PaymentHeld) -> OldAgeState:
    periods = tuple(p for p in state.benefit_periods if p.from_month < ev.from_month)
    period = BenefitPeriod(from_month=ev.from_month, monthly_amount=kit.total(()), household_size=1,
                           parameter_set_version=ev.parameter_set_version, seq=ev.seq)
    return moved(state, ev, Stage.PAYMENT_HELD, held_from_month=ev.from_month, benefit_periods=(*periods, period))


@MUTATORS.on(e.SurvivalCheckRecorded)
def _checked(state: OldAgeState, ev: e.SurvivalCheckRecorded) -> OldAgeState:
    update: dict[str, Any] = {"survival_check_due": ev.next_due, "reviews_completed": state.reviews_completed + 1,
                              "held_from_month": None}
    if state.held_from_month is not None:
        resume = add_months_to_month(ev.resumed_months[-1], 1) if ev.resumed_months else state.held_from_month
        amount = kit.total(state.grants)
        periods = tuple(p for p in state.benefit_periods if p.from_month < resume)
        update["benefit_periods"] = (*periods, BenefitPeriod(from_month=resume, monthly_amount=amount,
                                                             household_size=1,
                                                             parameter_set_version=ev.parameter_set_version,
                                                             seq=ev.seq))
        update["back_pay_owed"] = {**state.back_pay_owed, **dict.fromkeys(ev.resumed_months, amount)}
    return moved(state, ev, Stage.IN_PAYMENT, hold_on=ev.hold_on, **update)


# --- the rest of the programme ---------------------------------------------------------------------------

DEADLINES = DeadlineBook([
    DeadlineRule(
        step="enrolment_confirmation",
        basis=("SPEC §6.3 (UNCONFIRMED: no day limit in the sources; a parameter)",),
        open_while=lambda s: s.stage is Stage.PROPOSED,
        starts={e.EnrolmentProposed: lambda _s, ev, p: (local_date(ev.at), _confirmation_wd(p))},
    ),
    # Set by the grant and by each check (counted in calendar months and days: no working-day start here).
    DeadlineRule(step=SURVIVAL_STEP, basis=SURVIVAL_LIMIT, open_while=lambda s: s.stage is Stage.IN_PAYMENT),
])


def _confirmation_wd(params: Any) -> int:
    values = params.values.allowances
    if values is None:
        raise DomainError("the parameters in force have no allowance standards")
    return values.enrolment_confirmation_wd


def timers(state: OldAgeState, _patched: Any) -> list[Timer]:
    """The next band's birthday; the day payment is held when the survival check is still not done."""
    out: list[Timer] = []
    if state.stage not in ACTIVE_STAGES:
        return out
    moves_on = rules.next_band_day(state.birth_date, state.band_ages, state.band_min_age)
    if moves_on is not None:
        out.append(Timer(at=start_of_day(moves_on), command=c.MoveAgeBand(on=moves_on), group="band"))
    if (state.stage is Stage.IN_PAYMENT and state.hold_on is not None and state.survival_check_due is not None
            and not survival_escalates(state)):
        out.append(Timer(at=start_of_day(state.hold_on), command=c.HoldForSurvivalCheck(due=state.survival_check_due),
                         group="survival"))
    return out


def pending(state: OldAgeState) -> PendingStep | None:
    """The township's confirmation; in payment, the survival check due (the console's due list)."""
    if state.stage is Stage.PROPOSED:
        deadline = state.deadlines.get("enrolment_confirmation")
        return PendingStep(step="confirm_enrolment", roles=(Role.TOWNSHIP_APPROVER,),
                           due=deadline.due if deadline else None,
                           overdue_escalated=bool(deadline and deadline.escalated))
    if state.stage in ACTIVE_STAGES:
        deadline = state.deadlines.get(SURVIVAL_STEP)
        missed = state.stage is Stage.PAYMENT_HELD or bool(deadline and deadline.escalated)
        return PendingStep(step="survival_check", roles=tuple(sorted(CASEWORKER | TOWNSHIP_APPROVER)),
                           due=state.survival_check_due, overdue_escalated=missed)
    return None


_PARAMS = frozenset({c.ConfirmAllowance, c.MoveAgeBand, c.RecordSurvivalCheck, c.RaiseDataAlert, c.StopAllowance,
                     c.ApplyLink})


def needs(cmd: Any) -> Needs:
    return Needs(params=True) if type(cmd) in _PARAMS else NOTHING


def outcome(state: OldAgeState) -> str | None:
    if state.stage in ACTIVE_STAGES:
        return "approved"
    return {Stage.REJECTED: "rejected", Stage.EXITED: "exited"}.get(state.stage)


_HUMAN = (c.ConfirmAllowance, c.RefuseAllowance, c.RecordSurvivalCheck, c.StopAllowance, c.RaiseDataAlert,
          c.HoldPayment)
_SYSTEM = (c.MoveAgeBand, c.HoldForSurvivalCheck, c.SetDeadline, c.RaiseEscalation, c.ApplyLink,
           c.RecordLinkDeliveries)
_KIT = kit.handlers(STAGES, BASIS, TOWNSHIP_APPROVER)
_KIT.pop(c.WithdrawApplication)  # nothing was applied for

OLD_AGE_ALLOWANCE = Programme(
    code=Program.OLD_AGE_ALLOWANCE,
    title="高龄津贴",
    state_type=OldAgeState,
    stages=Stage,
    stage_labels=STAGE_LABELS,
    submit=c.ProposeEnrolment,
    open=_open,
    handlers={
        c.ConfirmAllowance: _confirm,
        c.MoveAgeBand: _move_band,
        c.HoldForSurvivalCheck: _hold,
        c.HoldPayment: _hold_payment,
        c.RecordSurvivalCheck: _survival_check,
        **_KIT,
        **deadline_handlers(DEADLINES, c.SetDeadline, c.RaiseEscalation, e.DeadlineSet, e.EscalationRaised),
        **links.handlers(on_link),
    },
    system_commands=frozenset(_SYSTEM),
    first_event=e.EnrolmentProposed,
    initial=initial,
    mutators=merged([MUTATORS, kit.mutators(STAGES, _band_and_check),
                     deadline_mutators(e.DeadlineSet, e.EscalationRaised), links.mutators()]),
    deadlines=DEADLINES,
    pending=pending,
    needs=needs,
    timers=timers,
    follow_up=lambda _state: None,
    at_rest=lambda state: state.stage in ACTIVE_STAGES,
    cycles=lambda state: state.reviews_completed,
    outcome=outcome,
    amount_for=lambda state, month: state.amount_for(month),
    payable_stages=frozenset({*ACTIVE_STAGES, Stage.EXITED}),
    command_vocabulary=(c.ProposeEnrolment, *_HUMAN, *_SYSTEM),
    event_vocabulary=(e.EnrolmentProposed, e.AllowanceGranted, e.AllowanceRefused, e.AllowanceChanged, e.PaymentHeld,
                      e.SurvivalCheckRecorded, e.AllowanceStopped, e.DataAlertRaised, e.DeadlineSet,
                      e.EscalationRaised, e.LinkReceived, e.LinksDelivered),
    active_stages=frozenset({Stage.IN_PAYMENT}),  # a held payment is not being paid (no recalculation)
    main_path=(Stage.PROPOSED, Stage.IN_PAYMENT, Stage.EXITED),
    end_branches=frozenset({Stage.REJECTED}),
    links=kit.links_of,
    steps=((kit, kit.Articles({"allowance": BASIS})),),
    notice_kinds=allowance_notices.OLD_AGE_NOTICE_KINDS,
    event_notice_kinds=frozenset(allowance_notices.OLD_AGE_NOTICE_KINDS),
    notice_for=allowance_notices.old_age_notice_for,
    screen=screening.screen,  # 一门受理 (S5 item 23): tells the window, opens nothing
)
