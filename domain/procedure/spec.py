"""What a programme tells the shared procedure steps: its stages, its articles and the few rules of its own.

The approval procedure — application, acceptance, investigation, information check, village review or its
recorded exemption, 初审意见, 公示 with objections, confirmation review with complaints, approval or refusal,
公布 — is the same shape for 低保 (S1), 特困 (S3) and, simplified, 临时救助 (S4 Art. 48). Each step is a small
module of this package whose handlers and mutators take a :class:`ProcedureSpec`: the programme's own stage for
each role in the procedure (:class:`Stages`), the legal basis recorded with each step (``articles``), and hooks
for what only the programme knows (its assessment, what follows a 公示 or an approval, who confirms).

A step's handlers and mutators read and write the state fields listed in its ``FIELDS``; the programme's state
declares them (the contract test checks it).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from domain.actors import Role
from domain.benefit import Assessment
from domain.commands import Material
from domain.household import Member
from domain.kernel.context import DecisionContext
from domain.kernel.drafts import Draft
from domain.parameters import ResolvedParameters


@dataclass(frozen=True)
class Stages:
    """The programme's stage for each place in the approval procedure."""

    submitted: StrEnum
    materials_incomplete: StrEnum
    accepted: StrEnum
    investigating: StrEnum
    info_check_negative: StrEnum
    appraisal: StrEnum
    prelim_opinion: StrEnum
    publicity: StrEnum
    objection_received: StrEnum
    reinvestigation: StrEnum
    submitted_for_confirmation: StrEnum
    confirmation_review: StrEnum
    approved: StrEnum
    rejected: StrEnum
    terminated: StrEnum
    withdrawn: StrEnum
    in_payment: StrEnum
    pre_decision: frozenset[StrEnum]

    @classmethod
    def named(cls, stage: type[StrEnum], *, pre_decision: frozenset[StrEnum], **own: StrEnum) -> Stages:
        """The places of a programme whose stage enum uses dibao's names (``SUBMITTED``, ``COUNTY_REVIEW``, ...),
        with ``own`` for the places it names otherwise (临时救助's approval, for one)."""
        unknown = set(own) - set(_DIBAO_NAMES)
        assert not unknown, f"not a place of the procedure: {sorted(unknown)}"
        return cls(**{place: own[place] if place in own else stage[name] for place, name in _DIBAO_NAMES.items()},
                   pre_decision=pre_decision)

    @property
    def main_path(self) -> tuple[StrEnum, ...]:
        """The procedure's way to payment, in order (a place two share, such as 临时救助's approval and
        payment, once); a programme's ``Programme.main_path`` goes on from there."""
        path = (self.submitted, self.accepted, self.investigating, self.prelim_opinion, self.publicity,
                self.submitted_for_confirmation, self.confirmation_review, self.approved, self.in_payment)
        return tuple(dict.fromkeys(path))

    @property
    def end_branches(self) -> frozenset[StrEnum]:
        """Where the procedure ends off the main path: refused, ended for non-cooperation, withdrawn."""
        return frozenset({self.rejected, self.terminated, self.withdrawn})

    @property
    def investigation(self) -> frozenset[StrEnum]:
        """Where investigators work: the first investigation and a re-investigation after an objection."""
        return frozenset({self.investigating, self.reinvestigation})


#: Each place's stage name in dibao's enum (S1): the names 特困 and 临时救助 share.
_DIBAO_NAMES: dict[str, str] = {
    "submitted": "SUBMITTED",
    "materials_incomplete": "MATERIALS_INCOMPLETE",
    "accepted": "ACCEPTED",
    "investigating": "INVESTIGATING",
    "info_check_negative": "INFO_CHECK_NEGATIVE_NOTIFIED",
    "appraisal": "DEMOCRATIC_APPRAISAL",
    "prelim_opinion": "PRELIM_OPINION_ISSUED",
    "publicity": "PUBLICITY",
    "objection_received": "OBJECTION_RECEIVED",
    "reinvestigation": "REINVESTIGATION",
    "submitted_for_confirmation": "SUBMITTED_TO_COUNTY",
    "confirmation_review": "COUNTY_REVIEW",
    "approved": "APPROVED",
    "rejected": "REJECTED",
    "terminated": "TERMINATED_NONCOOPERATION",
    "withdrawn": "WITHDRAWN",
    "in_payment": "IN_PAYMENT",
}


@dataclass(frozen=True)
class ProcedureSpec:
    """One programme's approval procedure.

    Attributes:
        stages: the programme's stages (see :class:`Stages`).
        articles: step key → the legal basis recorded with that step's events (and cited in its refusals).
            Every key a step uses is listed in its module's ``ARTICLE_KEYS``.
        submit_roles: who may hand in an application (the window; the village committee as agent).
        platform_obtainable: materials the window fetches itself and may not demand.
        non_cooperation_refusals: recorded refusals before the procedure may be ended for non-cooperation.
        validate_members: the household's members, checked and normalised (or InvalidInput).
        assess: the programme's assessment of a case under the parameters in force (eligibility, amount).
        confirming_roles: (reviewer roles, approver roles) of the confirmation, from the parameters in force.
        devolved: whether confirmation is devolved to the township under the parameters in force.
        after_publicity: what a 公示 that closed without objection leads to (drafted events); None: the package
            goes to the confirming authority (``publicity.submitted_for_confirmation``).
        after_approval: events that follow an approval in the same decision (e.g. the first review's schedule).
        monthly_amount: the amount an assessment grants per month.
        competent_place: whether the hukou rule of S1 Art. 5 decides where to apply.
        validate_ids: members joining the household by an amendment before the decision, checked and normalised
            (field name given; needed by the amendment step).
        republish_after_objection: whether a fresh 初审意见 after a 公示 objection is published again, under the
            parameters in force; None: the book's ``republish_after_objection`` (dibao, SPEC §3.3 row 15).
            特困 always publishes again (S3 Art. 15).
    """

    stages: Stages
    articles: Mapping[str, tuple[str, ...]]
    submit_roles: frozenset[Role]
    platform_obtainable: frozenset[Material]
    non_cooperation_refusals: int
    validate_members: Callable[[Iterable[Member], DecisionContext], tuple[Member, ...]]
    assess: Callable[[Any, ResolvedParameters], Assessment]
    confirming_roles: Callable[[DecisionContext], tuple[frozenset[Role], frozenset[Role]]]
    devolved: Callable[[DecisionContext], bool]
    after_publicity: Callable[[Any, DecisionContext], list[Draft]] | None = None
    after_approval: Callable[[Any, DecisionContext], list[Draft]] = field(default=lambda _s, _c: [])
    validate_ids: Callable[[Iterable[Member], DecisionContext, str], tuple[Member, ...]] | None = None
    republish_after_objection: Callable[[ResolvedParameters], bool] | None = None
    #: Whether the members' hukou rule decides the place of application (S1 Art. 5); False where the law lifts
    #: it (临时救助: where the emergency happened, S7 §四(三)).
    competent_place: bool = True

    def basis(self, key: str) -> tuple[str, ...]:
        """The legal basis of a step (KeyError names a step the programme has not given articles for)."""
        return self.articles[key]

    def cite(self, key: str) -> str:
        """The basis of a step as cited in a message: ``S1 Art. 16``."""
        return ", ".join(self.articles[key])
