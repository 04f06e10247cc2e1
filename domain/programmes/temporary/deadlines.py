"""临时救助's time limits (every length from the parameters in force; escalations, never decisions).

The regularisation of an urgent grant (S8 §二(二): "在急难情况缓解后 … 补齐经办人员签字、盖章手续") is counted
from the grant in working days, a LOCAL PARAMETER (``temporary.regularisation_wd``). The approval and the
refusal notice follow the county's limits of the parameters (the 国发〔2014〕47号 limits were not retrieved:
UNCONFIRMED, SPEC §5.2).
"""

from __future__ import annotations

from domain import events as e
from domain.kernel.deadlines import DeadlineBook, DeadlineRule, on_event_day
from domain.procedure import deadlines as steps
from domain.programmes.temporary.procedure import STAGES
from domain.programmes.temporary.stages import URGENT_OPEN


def _regularisation_wd(params):
    t = params.values.temporary
    assert t is not None  # the grant needed the section
    return t.regularisation_wd


DEADLINES = DeadlineBook(
    [
        steps.acceptance(STAGES, ("S4 Art. 60",), lambda p: p.values.deadlines.deficiency_overdue_wd),
        steps.decision("approval", STAGES, ("S4 Art. 48",), lambda p: p.values.deadlines.county_decision_wd),
        steps.rejection_notice(STAGES, ("S4 Art. 48",), lambda p: p.values.deadlines.rejection_notice_wd),
        DeadlineRule(
            step="regularisation",
            basis=("S8 §二(二)",),
            open_while=lambda s: s.stage in URGENT_OPEN,
            starts={e.UrgentAssistanceGranted: on_event_day(_regularisation_wd)},
        ),
    ]
)
