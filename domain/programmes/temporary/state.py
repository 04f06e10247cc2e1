"""The state of a 临时救助 case: the kernel's case core, what the shared procedure steps read and write, and
what the programme adds (the need, the urgent grant and its formalities, the 一事一议 meeting, the approved
instalments)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Literal

from domain.benefit import Criterion
from domain.household import Program
from domain.procedure.records import BenefitPeriod
from domain.procedure.steps import ProcedureSteps
from domain.programmes.temporary.stages import Stage
from domain.temporary import Form, InKindItem, Instalment, ReportSource, Severity, TemporaryCause, TemporaryType


class TemporaryState(ProcedureSteps):
    """Everything the engine knows about a 临时救助 case, rebuilt by folding its events. Field names are a
    contract (the state travels in Temporal payloads)."""

    program: Literal[Program.TEMPORARY] = Program.TEMPORARY
    stage: Stage
    # --- the need (S4 Art. 47; S8 §二(一)) ---
    kind: TemporaryType | None = None
    cause: TemporaryCause | None = None
    severity: Severity | None = None
    essential_expenditure: Decimal = Decimal("0")
    on_dibao_or_tekun: bool = False
    # the shared steps' fields come from ProcedureSteps: no monthly amount (None); the first payment month is the
    # first instalment's
    #: The payment roll reads amounts by period (the latest period from a month on): an instalment is a period
    #: of its month followed by a zero period, so each is on exactly its month's roll (S8 §二(四)).
    benefit_periods: tuple[BenefitPeriod, ...] = ()
    # --- 先行救助 (S8 §二(二); S5 item 15) ---
    report_source: ReportSource | None = None
    urgent_amount: Decimal | None = None
    urgent_form: Form | None = None
    urgent_in_kind: tuple[InKindItem, ...] = ()
    urgent_granted_at: datetime | None = None
    urgent_grant_seq: int | None = None
    emergency_eased: bool = False
    regularised: bool = False
    follow_up: bool = False
    # --- 一事一议 and repeat assistance ---
    discussion_decision: Literal["approve", "reject"] | None = None
    discussion_amount: Decimal | None = None
    repeat_justified: bool = False
    # --- the approval and its instalments (S8 §二(四)) ---
    amount: Decimal | None = None
    tier_amount: Decimal | None = None
    approval_level: Literal["township", "county"] | None = None
    form: Form | None = None
    in_kind: tuple[InKindItem, ...] = ()
    instalments: tuple[Instalment, ...] = ()
    amount_criteria: tuple[Criterion, ...] = ()

    @property
    def is_closed(self) -> bool:
        if self.stage is Stage.REJECTED:
            return self.rejection_notice_served
        return self.stage in {Stage.TERMINATED_NONCOOPERATION, Stage.WITHDRAWN, Stage.ASSISTED, Stage.REGULARISED}

    def amount_for(self, month: str) -> Decimal | None:
        """What is payable for ``month`` (YYYY-MM): the instalment planned in that month, unless cancelled. The
        urgent grant is paid from the township's reserve fund at once, never on a roll."""
        if self.stage not in {Stage.ASSISTING, Stage.ASSISTED}:
            return None
        total = sum((i.amount for i in self.instalments if not i.cancelled and i.on.strftime("%Y-%m") == month),
                    Decimal("0"))
        return total if total > 0 else None

    @property
    def paid_total(self) -> Decimal:
        return sum((i.amount for i in self.instalments if not i.cancelled), Decimal("0"))
