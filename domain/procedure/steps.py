"""The case fields the shared procedure steps read and write (application, investigation, village review,
公示, county confirmation, rejection): one base for every programme that runs them (dibao, 特困, 临时救助)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from domain.benefit import Assessment
from domain.commands import ExtensionGround, Material
from domain.household import AreaType, Declaration
from domain.kernel.state import CaseCore
from domain.procedure import confirmation, publicity
from domain.procedure.records import Complaint, Objection
from domain.verification import InfoCheckReport


class ProcedureSteps(CaseCore):
    """The kernel's case core and the procedure steps' fields (:mod:`domain.procedure`).

    Field names and their order are a contract: a programme's state travels in Temporal payloads (a continued
    run's input, ``record_case``'s input), and pydantic writes a base's fields first. These are exactly the
    fields dibao's and 特困's states began with, in their order, so their payloads read as before the base
    (tests/unit/domain/test_procedure_steps_state.py). No ``extra="forbid"``: a field dropped later still decodes.
    """

    area_type: AreaType
    declaration: Declaration = Declaration()
    t0: date | None = None
    materials_missing: tuple[Material, ...] = ()
    deficiency_notified: bool = False
    close_relatives: tuple[int, ...] = ()
    investigation_team: tuple[str, ...] = ()
    investigators: tuple[str, ...] = ()  # everyone who investigated (township and county): maker side
    home_visits: int = 0
    info_check_requested: bool = False
    info_check: InfoCheckReport | None = None
    info_check_negative: bool = False
    rechecks: int = 0
    village_review: str | None = None  # "exempted" | "appraisal_ordered" | "appraisal_held"
    appraisal_conclusion: str | None = None
    prelim_eligible: bool | None = None
    prelim_assessment: Assessment | None = None
    publicity_starts_on: date | None = None
    publicity_ends_on: date | None = None
    publicity_ends_at: datetime | None = None
    publicity_rounds: int = 0
    publicity_days: int | None = None
    publicity_counting: str | None = None
    objections: tuple[Objection, ...] = ()
    county_home_visit: bool = False
    complaints: tuple[Complaint, ...] = ()
    monthly_amount: Decimal | None = None
    first_payment_month: str | None = None
    decision_assessment: Assessment | None = None
    rejection_reasons: tuple[str, ...] = ()
    rejection_notice_due: date | None = None
    rejection_notice_served: bool = False
    non_cooperation_count: int = 0
    extension_ground: ExtensionGround | None = None
    published_at: datetime | None = None

    @property
    def open_objections(self) -> int:
        return publicity.open_objections(self)

    @property
    def open_complaints(self) -> int:
        return confirmation.open_complaints(self)
