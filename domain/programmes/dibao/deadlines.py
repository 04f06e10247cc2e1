"""Dibao's time limits, one rule per step (S1 Arts. 10, 15, 20, 21, 22, 31, 32; S6 §一(三), §四(一)).

Limits: S1 Arts. 15 (3 wd to start investigating), 20 (10 wd county decision), 21 (3 wd refusal notice),
22 (30 wd overall, 45 with a ground); S6 §四(一) (20 wd where devolved); the rest are LOCAL PARAMETERS. Every
length is read from the parameters in force (``deadlines`` and ``dynamic`` sections), never a constant here.
"""

from __future__ import annotations

from domain import events as e
from domain.kernel.deadlines import DeadlineBook, DeadlineRule, on_event_day
from domain.procedure import deadlines as steps
from domain.programmes.dibao.procedure import STAGES
from domain.programmes.dibao.stages import ACTIVE_STAGES, PRE_DECISION, Stage


def _from_t0(length):
    def start(state, _ev, params):
        assert state.t0 is not None
        return state.t0, length(params)

    return start


def _overall_wd(params):
    d = params.values.deadlines
    return d.total_devolved_wd if params.values.confirmation_devolved_to_township else d.total_wd


DEADLINES = DeadlineBook(
    [
        steps.acceptance(STAGES, ("S1 Art. 10",), lambda p: p.values.deadlines.deficiency_overdue_wd),
        DeadlineRule(
            step="start_investigation",
            basis=("S1 Art. 15",),
            open_while=lambda s: s.stage is Stage.ACCEPTED,
            starts={e.ApplicationAccepted: lambda _s, ev, p: (ev.t0, p.values.deadlines.investigation_start_wd)},
        ),
        DeadlineRule(
            step="prelim_opinion",
            basis=("S6 §四(一)",),
            open_while=lambda s: (
                s.stage in {Stage.INVESTIGATING, Stage.INFO_CHECK_NEGATIVE_NOTIFIED, Stage.DEMOCRATIC_APPRAISAL}
                and s.prelim_eligible is None
            ),
            starts={e.InvestigationStarted: _from_t0(lambda p: p.values.deadlines.prelim_opinion_wd)},
        ),
        steps.decision("county_decision", STAGES, ("S1 Art. 20",), lambda p: p.values.deadlines.county_decision_wd),
        steps.rejection_notice(STAGES, ("S1 Art. 21",), lambda p: p.values.deadlines.rejection_notice_wd),
        DeadlineRule(
            step="overall",
            basis=("S1 Art. 22",),
            open_while=lambda s: s.stage in PRE_DECISION,
            starts={
                e.ApplicationAccepted: lambda _s, ev, p: (ev.t0, _overall_wd(p)),
                e.DeadlineExtended: _from_t0(lambda p: p.values.deadlines.total_extended_wd),
            },
        ),
        DeadlineRule(
            step="review",
            basis=("S1 Art. 31",),
            open_while=lambda s: s.stage is Stage.UNDER_REVIEW,
            starts={
                e.PeriodicReviewDue: on_event_day(lambda p: p.values.dynamic.review_completion_wd),
                e.AdHocReviewOpened: on_event_day(lambda p: p.values.dynamic.review_completion_wd),
            },
        ),
        # Counted in calendar months from the earliest unresolved death, set by the handler that records it.
        DeadlineRule(
            step="death_resolution",
            basis=("S6 §一(三)",),
            open_while=lambda s: bool(s.unresolved_deaths) and s.stage in ACTIVE_STAGES,
        ),
        DeadlineRule(
            step="stop_notice",
            basis=("S1 Art. 32",),
            open_while=lambda s: s.stage in {Stage.STOPPING, Stage.EXITED} and not s.stop_notice_served,
            starts={e.BenefitStopped: on_event_day(lambda p: p.values.dynamic.stop_notice_wd)},
        ),
    ]
)
