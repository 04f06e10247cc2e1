"""特困's time limits, one rule per step (S3 Arts. 12, 13, 15, 16, 18, 23, 26; S5 item 7). Every length is read
from the parameters' ``tekun`` section, never a constant here; a passed limit escalates, never decides."""

from __future__ import annotations

from domain import events as e
from domain.kernel.deadlines import DeadlineBook, DeadlineRule, on_event_day
from domain.procedure import deadlines as steps
from domain.programmes.tekun.procedure import STAGES
from domain.programmes.tekun.stages import Stage


def _t(params):
    assert params.values.tekun is not None, "a 特困 case needs the parameters' tekun section"
    return params.values.tekun


def _on_event_day(length):
    """A count from the event's day, of a length from the parameters' ``tekun`` section."""
    return on_event_day(lambda params: length(_t(params)))


DEADLINES = DeadlineBook(
    [
        steps.acceptance(STAGES, ("S3 Art. 12",), lambda p: _t(p).deficiency_overdue_wd),
        DeadlineRule(
            step="prelim_opinion",
            basis=("S3 Art. 13",),
            open_while=lambda s: (
                s.stage in {Stage.ACCEPTED, Stage.INVESTIGATING, Stage.INFO_CHECK_NEGATIVE_NOTIFIED,
                            Stage.DEMOCRATIC_APPRAISAL}
                and s.prelim_eligible is None
            ),
            starts={e.ApplicationAccepted: lambda _s, ev, p: (ev.t0, _t(p).investigation_wd)},
        ),
        # A 公示 objection: a new opinion within 15 wd (S3 Art. 15); a termination objection: the county's
        # decision within 15 wd (S3 Art. 26). The same event starts both; the stage says which is open.
        DeadlineRule(
            step="reinvestigation",
            basis=("S3 Art. 15", "S3 Art. 26"),
            open_while=lambda s: s.stage in {Stage.REINVESTIGATION, Stage.TERMINATION_INVESTIGATION},
            starts={e.ReinvestigationOrdered: _on_event_day(lambda t: t.reinvestigation_wd)},
        ),
        steps.decision("county_decision", STAGES, ("S3 Art. 16", "S3 Art. 26"), lambda p: _t(p).county_decision_wd,
                       also_open_in={Stage.TERMINATION_DECISION}),
        steps.rejection_notice(STAGES, ("S3 Art. 18",), lambda p: _t(p).rejection_notice_wd),
        DeadlineRule(
            step="reassessment",
            basis=("S3 Art. 23",),
            open_while=lambda s: s.reassessment_pending,
            starts={e.SelfCareChangeReported: _on_event_day(lambda t: t.reassessment_wd)},
        ),
        DeadlineRule(
            step="review",
            basis=("S5 item 7",),
            open_while=lambda s: s.stage is Stage.UNDER_REVIEW,
            starts={e.TekunReviewOpened: _on_event_day(lambda t: t.review_completion_wd)},
        ),
    ]
)
