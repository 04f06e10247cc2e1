"""The case core every programme's state extends, and the small records the kernel keeps on it."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from domain.actors import Role
from domain.household import Member, Program


class Deadline(BaseModel):
    """A step's time limit as computed when it started (the calendar version says which calendar counted)."""

    model_config = ConfigDict(frozen=True)

    step: str
    due: date
    calendar_version: str
    escalated: bool = False
    #: What was counted (``working_days`` after ``start``), where the deadline's event recorded it.
    start: date | None = Field(None, exclude_if=lambda v: v is None)
    working_days: int | None = Field(None, exclude_if=lambda v: v is None)


class PaidMonth(BaseModel):
    """A month already on a payment roll for the case, and the amount paid (from the roll, via an activity)."""

    model_config = ConfigDict(frozen=True)

    month: str
    amount: Decimal


class EarlierCase(BaseModel):
    """An earlier case of a member of the household, as the register held it when this case was submitted
    (linked by the engine at intake, never by the caller): enough for the reviewer to see an earlier refusal and
    its reasons, and to open the earlier case itself.

    Attributes:
        case_id: the earlier case.
        program: its programme (any programme).
        village_code: where it was applied for (its readers are those whose jurisdiction covers it).
        opened_at: when it was submitted.
        outcome: the read model's outcome then (approved / rejected / terminated / withdrawn / exited /
            forwarded), or None while it was undecided.
        decided_at: the decision's time (the withdrawal's for a withdrawn case), or None.
        reasons: the refusal's reasons (S1 Art. 21), for a refused case.
        member_indexes: which members of this case (by index) were members of that one.
        cause: 临时救助 only, the earlier case's cause (None: not a temporary case, or not known).
    """

    model_config = ConfigDict(frozen=True)

    case_id: UUID
    program: Program
    village_code: str
    opened_at: datetime
    outcome: str | None = None
    decided_at: datetime | None = None
    reasons: tuple[str, ...] = ()
    member_indexes: tuple[int, ...] = ()
    #: 临时救助: the cause of the earlier assistance (the repeat-assistance rule compares it); left out of the
    #: payload when unknown, so links recorded before it re-derive byte for byte.
    cause: str | None = Field(None, exclude_if=lambda v: v is None)


class Referral(BaseModel):
    """A referral of members of the household to another programme (转介, S4 Art. 60), as the case recorded it."""

    model_config = ConfigDict(frozen=True)

    referral_id: UUID
    to_program: Program
    member_indexes: tuple[int, ...]
    at: datetime
class RelatedCase(BaseModel):
    """Another active case of a member (from the ``case_members`` read model): its programme, and whether it
    is paying now (its stage among the programme's ``active_stages``)."""

    model_config = ConfigDict(frozen=True)

    case_id: UUID
    program: str
    resident_id: str
    paying: bool


class PendingStep(BaseModel):
    """Who must act next, and by when."""

    step: str
    roles: tuple[Role, ...]
    due: date | None = None
    overdue_escalated: bool = False


class CaseCore(BaseModel):
    """What every programme's case has: identity, programme, division, members, the programme's own stage,
    deadlines and escalations, the version (the last event's ``seq``) and when things happened.

    A programme's state subclasses this, narrows ``stage`` to its own stage enum and adds its fields; it is
    rebuilt by folding the case's events (:mod:`domain.kernel.mutators`). Temporal stores it (a continued
    run's input, a snapshot): no ``extra="forbid"``, so a field dropped later still decodes.
    """

    model_config = ConfigDict(frozen=True)

    case_id: UUID
    program: Program
    stage: str
    village_code: str
    township_code: str
    county_code: str
    members: tuple[Member, ...]
    version: int
    opened_at: datetime
    stage_since: datetime
    updated_at: datetime
    deadlines: dict[str, Deadline] = {}
    decided_at: datetime | None = None
    #: Staff ids filed as close relatives of a member (S1 Art. 11): they stand aside from the case (回避), and
    #: the kernel refuses their commands on it (:func:`domain.kernel.guards.not_recused`).
    recused_staff: tuple[str, ...] = ()
    #: The household members' earlier cases, linked at intake (issue 20): (), for a case submitted before.
    earlier_cases: tuple[EarlierCase, ...] = ()
    #: Referrals of members to other programmes recorded on the case (kernel, ``domain.procedure.referral``).
    referrals: tuple[Referral, ...] = ()
    #: The referral from another programme this case was opened from (None: an application of its own).
    from_referral: UUID | None = None
    #: The keys of the links from the person's other cases this case has applied (``link_received``).
    links_received: tuple[str, ...] = ()

    @property
    def is_closed(self) -> bool:
        """Finished: nothing more will happen on the case (the workflow may complete)."""
        raise NotImplementedError

    @property
    def household_size(self) -> int:
        """The household size the case shows (the API, the read model, the notices): here every member; a
        programme that pays for a household counts the household its amount was decided for."""
        return len(self.members)
