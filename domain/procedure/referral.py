"""Referrals between programmes (转介 / 转办): the kernel's way for one programme to hand members of a household
to another (S4 Art. 60: the assistance body that receives a request it does not handle passes it on; the township
runs one window that receives and routes every application, S5 item 23).

A referral is a recorded decision on the referring case (``referral_recorded``: which members, to which
programme, why). It is not a call into the other programme: the read model lists open referrals to each
programme's window (``GET /v1/referrals``), and the window opens one as a new application with the household
pre-filled (``POST /v1/cases`` with the referral's id), which marks it taken. A programme records one

- on a human decision, ``record_referral`` (the window or the township's caseworker, at any stage while the
  case is open), or
- as part of one of its own decisions (特困's termination to dibao, 临时救助's follow-up): its handler adds
  :func:`referral_draft` to the drafts of that decision.

The referral's id is derived from the case, the decision's time and the programme, so a replayed decision
re-derives the same id.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any
from uuid import UUID, uuid5

from domain import commands as c
from domain import events as e
from domain.errors import InvalidInput, InvalidTransition
from domain.household import Program
from domain.kernel.context import DecisionContext
from domain.kernel.drafts import Draft, draft
from domain.kernel.guards import CASEWORKER, COUNTY_APPROVER, COUNTY_REVIEWER, TOWNSHIP_APPROVER, WINDOW, need_role
from domain.kernel.mutators import Mutators, moved
from domain.kernel.programme import Handler
from domain.kernel.state import CaseCore, Referral

FIELDS = frozenset({"referrals"})
ARTICLE_KEYS: frozenset[str] = frozenset()  # the same articles for every programme: BASIS
#: Every programme refers under the same articles.
BASIS: tuple[str, ...] = ("S4 Art. 60", "S5 item 23")
#: Who records a referral by hand.
REFER_ROLES = WINDOW | CASEWORKER | TOWNSHIP_APPROVER | COUNTY_REVIEWER | COUNTY_APPROVER

_NAMESPACE = UUID("6f1d2c52-8a3e-4f0b-9d7a-2c4e5b6a7d81")


def referral_id(case_id: UUID, at: datetime, to_program: Program) -> UUID:
    """The id of the referral a case records at ``at`` to ``to_program`` (deterministic: replay re-derives it)."""
    return uuid5(_NAMESPACE, f"{case_id}/{at.isoformat()}/{to_program.value}")


def referral_draft(
    state: CaseCore,
    ctx: DecisionContext,
    to_program: Program,
    member_indexes: Iterable[int],
    *basis: str,
    reason: str,
) -> Draft:
    """The ``referral_recorded`` event of a decision that refers ``member_indexes`` to ``to_program``.

    Raises:
        InvalidInput: the programme is the case's own, or a member index names nobody on the case.
    """
    indexes = tuple(sorted(set(member_indexes)))
    if Program(to_program) == state.program:
        raise InvalidInput("a case cannot refer to its own programme", field=("to_program",))
    if not indexes or any(i < 0 or i >= len(state.members) for i in indexes):
        raise InvalidInput(f"member indexes must name members of the household (0..{len(state.members) - 1})",
                           field=("member_indexes",))
    if any(r.to_program == to_program and set(indexes) <= set(r.member_indexes) for r in state.referrals):
        raise InvalidTransition(f"these members were already referred to {Program(to_program).value}")
    return draft(
        e.ReferralRecorded,
        *(basis or BASIS),
        reason=reason,
        referral_id=referral_id(state.case_id, ctx.now, Program(to_program)),
        to_program=Program(to_program),
        member_indexes=indexes,
    )


def record_referral(state: Any, cmd: c.RecordReferral, ctx: DecisionContext) -> list[Draft]:
    """转介 by hand: the window or a caseworker refers members to another programme (S4 Art. 60)."""
    need_role(ctx, REFER_ROLES, "record a referral")
    if state.is_closed:
        raise InvalidTransition("the case is closed")
    return [referral_draft(state, ctx, cmd.to_program, cmd.member_indexes, reason=cmd.note)]


def handlers() -> dict[type, Handler]:
    return {c.RecordReferral: record_referral}


def mutators() -> Mutators:
    m = Mutators()

    @m.on(e.ReferralRecorded)
    def _referred(state: Any, ev: e.ReferralRecorded) -> Any:
        record = Referral(referral_id=ev.referral_id, to_program=ev.to_program, member_indexes=ev.member_indexes,
                          at=ev.at)
        return moved(state, ev, referrals=(*state.referrals, record))

    return m
