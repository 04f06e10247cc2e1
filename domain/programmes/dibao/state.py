"""The state of a dibao case: the kernel's case core and everything S1 and the in-payment life add."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Literal

from domain.benefit import Assessment
from domain.household import Program
from domain.procedure.records import (
    AmendmentProposal,
    BenefitPeriod,
    Departure,
    OpenReview,
    ReviewClass,
    period_in_force,
)
from domain.procedure.steps import ProcedureSteps
from domain.programmes.dibao.stages import Stage


class DibaoState(ProcedureSteps):
    """Everything the engine knows about a dibao case, rebuilt by folding its events (:mod:`.evolve`).

    Field names are a contract: the state travels in Temporal payloads (a continued run's input).
    """

    program: Literal[Program.DIBAO]
    stage: Stage
    program: Literal[Program.DIBAO] = Program.DIBAO
    # --- household amendments before the decision (issue 20 item 1) ---
    amendment_proposals: tuple[AmendmentProposal, ...] = ()
    amendments: int = 0
    opinion_reopened_by_amendment: bool = False
    # --- the in-payment life (SPEC §8) ---
    review_class: ReviewClass | None = None
    next_review_due: date | None = None
    review: OpenReview | None = None
    reviews_completed: int = 0
    benefit_periods: tuple[BenefitPeriod, ...] = ()
    departed: tuple[Departure, ...] = ()
    unresolved_deaths: tuple[date, ...] = ()
    job_refusals: dict[int, int] = {}
    share_cuts: tuple[int, ...] = ()
    gradual_exit_ends_month: str | None = None
    gradual_exit_seq: int | None = None
    exit_reasons: tuple[str, ...] = ()
    exit_assessment: Assessment | None = None
    stop_effective_month: str | None = None
    stop_reason: str | None = None
    stop_notice_served: bool = False
    standard_versions_applied: tuple[str, ...] = ()
    overpayment_ordered: Decimal = Decimal("0")
    recovered: dict[str, Decimal] = {}  # per payment month, what was ordered back already
    back_paid: dict[str, Decimal] = {}  # per payment month, the 补发 decided already (a retroactive raise)
    back_pay_decided: Decimal = Decimal("0")

    @property
    def is_closed(self) -> bool:
        """Finished: nothing more will happen on the application (the workflow may complete)."""
        if self.stage is Stage.REJECTED:
            return self.rejection_notice_served
        if self.stage is Stage.EXITED:
            return self.stop_notice_served
        return self.stage in {Stage.TERMINATED_NONCOOPERATION, Stage.WITHDRAWN}

    @property
    def household_size(self) -> int:
        """The household the case is about (S1 Art. 7: members who died, are in prison or missing, or moved out
        no longer count). Before the decision, the members who still count (amendments included); once an
        amount is decided, the household it is paid for, as on the benefit period and the payment roll — a
        departure in payment counts from the review that recomputes the amount (S6 §一(三))."""
        if self.benefit_periods:
            return self.benefit_periods[-1].household_size
        return len(self.counted_members)

    @property
    def counted_members(self) -> tuple[int, ...]:
        """Indexes of the members who still count in the household (S1 Art. 7)."""
        gone = {d.member_index for d in self.departed}
        return tuple(i for i in range(len(self.members)) if i not in gone)

    def amount_for(self, month: str) -> Decimal | None:
        """The monthly amount payable for ``month`` (YYYY-MM), or None when nothing is payable."""
        current = period_in_force(self.benefit_periods, month, self.stop_effective_month)
        return current.monthly_amount if current else None
