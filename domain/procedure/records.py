"""Records of the procedure steps every programme shares: 公示 objections, complaints, reviews in payment,
benefit periods and members who left. Leaf models: events and states of every programme import them."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum

from pydantic import BaseModel, ConfigDict


class ReviewClass(StrEnum):
    """How often a household in payment is reviewed (S1 Art. 31; S5 item 7; SPEC §8.1)."""

    ANNUAL = "annual"  # economic situation stable in the short term
    SEMI_ANNUAL = "semi_annual"  # irregular income or able-bodied members


class BenefitPeriod(BaseModel):
    """The monthly amount from a month on (YYYY-MM), until the next period or the stop month."""

    model_config = ConfigDict(frozen=True)

    from_month: str
    monthly_amount: Decimal
    household_size: int
    parameter_set_version: str | None
    seq: int


def period_in_force(periods: tuple[BenefitPeriod, ...], month: str, stop_month: str | None) -> BenefitPeriod | None:
    """The period that sets what is payable for ``month`` (YYYY-MM): the latest that has begun by then; None
    before the first, and from the stop month on."""
    if stop_month is not None and month >= stop_month:
        return None
    current = None
    for period in periods:
        if period.from_month <= month:
            current = period
    return current


class OpenReview(BaseModel):
    """A review in progress: why it was opened, when, and (for a periodic review) the due date it serves."""

    model_config = ConfigDict(frozen=True)

    trigger: str  # periodic | change_report | data_alert | standard_change | ad_hoc
    opened_seq: int
    opened_on: date
    due: date | None = None


class Departure(BaseModel):
    """A member who no longer counts in the household (death, prison, move ... S1 Art. 7)."""

    model_config = ConfigDict(frozen=True)

    member_index: int
    reason: str
    on: date | None = None


class Objection(BaseModel):
    """An objection logged during a 公示 window."""

    model_config = ConfigDict(frozen=True)

    seq: int
    real_name: bool
    resolved: bool = False


class Complaint(BaseModel):
    """A complaint (举报) logged during the confirming authority's review."""

    model_config = ConfigDict(frozen=True)

    seq: int
    real_name: bool
    resolved: bool = False
    feedback_sent: bool = False


class AmendmentProposal(BaseModel):
    """A data alert's proposed household amendment on a case not yet decided, and what became of it."""

    model_config = ConfigDict(frozen=True)

    seq: int
    alert: str
    member_index: int | None = None
    occurred_on: date
    source: str
    outcome: str | None = None  # None (open) | "confirmed" | "dismissed"
