"""The household changes before the decision (issue 20 item 1): a member dies, is born, marries in or moves out,
or the declaration changes, during the weeks of the procedure (S1 Art. 7: the household is the members living
together; S1 Art. 9: what they declare; S6 §一(三): a death is acted on).

- The window or the township's caseworker records an **amendment** with its evidence and reason
  (``amend_household``); it takes effect at once: members join or stop counting (:class:`Departure`), the
  declaration is replaced.
- A **data alert** for a case not yet decided (the funeral, hukou or prison match of S6 §三) cannot change a
  household on its own: it lands on the case as a **proposal**, which the township confirms (an amendment) or
  dismisses with a reason (``confirm_amendment``). While a proposal is open, no opinion and no decision is taken.
- Whatever the assessment says afterwards is what the 初审意见 and the confirmation compute with (the
  programme's assessment counts only the members who still count). Where the amendment comes **after the
  初审意见** and changes what it said — eligibility, household size or amount — the opinion no longer holds:
  the case returns to re-investigation for a fresh opinion (S1 Art. 19), which is published again unless the
  parameter ``republish_after_amendment`` says otherwise (the law is silent; LOCAL PARAMETER, default: publish
  again, since the 公示 showed a household or amount that no longer holds). A 公示 running then stops.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from domain import commands as c
from domain import events as e
from domain.errors import InvalidInput, InvalidTransition
from domain.kernel.context import DecisionContext
from domain.kernel.drafts import Draft, draft
from domain.kernel.guards import (
    CASEWORKER,
    TOWNSHIP_APPROVER,
    WINDOW,
    need_params,
    need_role,
    need_stage,
)
from domain.kernel.mutators import Mutators, moved
from domain.kernel.programme import Handler
from domain.procedure.in_payment import ALERT_ROLES, check_alert, checked_joining
from domain.procedure.records import AmendmentProposal, Departure
from domain.procedure.spec import ProcedureSpec

FIELDS = frozenset(
    {
        "members",
        "declaration",
        "departed",
        "amendment_proposals",
        "amendments",
        "opinion_reopened_by_amendment",
        "objections",
        "prelim_eligible",
        "prelim_assessment",
    }
)
ARTICLE_KEYS = frozenset({"amendment", "amendment_proposal", "amendment_reopens"})

#: Who records an amendment (the window, the township's caseworker) and who confirms a data alert's proposal.
AMEND_ROLES = WINDOW | CASEWORKER
CONFIRM_ROLES = CASEWORKER | TOWNSHIP_APPROVER


def open_proposals(state: Any) -> tuple[AmendmentProposal, ...]:
    """Proposed amendments awaiting the township (none for a programme whose state keeps no proposals)."""
    return tuple(p for p in getattr(state, "amendment_proposals", ()) if p.outcome is None)


def need_no_open_proposal(state: Any, spec: ProcedureSpec, what: str) -> None:
    """No opinion or decision while a data alert's proposed amendment awaits the township (S1 Art. 7)."""
    pending = open_proposals(state)
    if pending:
        raise InvalidTransition(
            f"{what} waits: a proposed household amendment (seq {pending[0].seq}) awaits the township's "
            f"confirmation ({spec.cite('amendment_proposal')})"
        )


def _validated(spec: ProcedureSpec, state: Any, cmd: c.AmendHousehold, ctx: DecisionContext) -> tuple[Any, ...]:
    if not (cmd.members_joining or cmd.members_leaving or cmd.declaration):
        raise InvalidInput("the amendment changes nothing: give joining or leaving members or a declaration",
                           field=("note",))
    counted = set(state.counted_members)
    seen: set[int] = set()
    for i, leaving in enumerate(cmd.members_leaving):
        fld = ("members_leaving", i, "member_index")
        if leaving.member_index not in counted or leaving.member_index in seen:
            raise InvalidInput("no such member still counts in the household", field=fld)
        seen.add(leaving.member_index)
        if leaving.on is not None and leaving.on > ctx.today:
            raise InvalidInput("the date lies in the future", field=("members_leaving", i, "on"))
    if not counted - seen and not cmd.members_joining:
        raise InvalidInput(
            "no member would count in the household any more: the application ends by withdrawal, not by an "
            "amendment", field=("members_leaving",)
        )
    # The applicant leaving (dying) is allowed: the members who still count carry the application on.
    assert spec.validate_ids is not None, "a programme that runs the amendment step validates joining members"
    joining = checked_joining(spec.validate_ids, state, cmd.members_joining, ctx)
    for i, member in enumerate(joining):
        if member.relation == "applicant":
            raise InvalidInput("a joining member cannot be the applicant (S1 Art. 4)",
                               field=("members_joining", i, "relation"))
    return joining


def _amended(spec: ProcedureSpec, state: Any, ctx: DecisionContext, *, joining: tuple[Any, ...],
             leaving: tuple[c.MemberLeaving, ...], declaration: Any, evidence: str, note: str,
             proposal_seq: int | None) -> list[Draft]:
    """The amendment, and — after an opinion whose content it changes — the return to re-investigation."""
    params = need_params(ctx)
    amended = draft(
        e.HouseholdAmended,
        *spec.basis("amendment"),
        reason=note,
        params_version=params.version,
        members_joining=joining,
        members_leaving=leaving,
        declaration=declaration,
        evidence=evidence,
        proposal_seq=proposal_seq,
    )
    s = spec.stages
    opinion_given = {s.prelim_opinion, s.publicity, s.objection_received, s.submitted_for_confirmation,
                     s.confirmation_review}
    if state.stage not in opinion_given or state.prelim_eligible is None:
        return [amended]
    after = _apply(state, joining, leaving, declaration)
    try:
        assessment = spec.assess(after, params)
    except InvalidTransition:
        assessment = None
    before = state.prelim_assessment
    changed = (
        assessment is None
        or before is None
        or assessment.eligible != state.prelim_eligible
        or assessment.household_size != before.household_size
        or assessment.monthly_amount != before.monthly_amount
    )
    if not changed:
        return [amended]
    return [
        amended,
        draft(
            e.OpinionReopenedByAmendment,
            *spec.basis("amendment_reopens"),
            reason="家庭成员或申报情况变更，初审意见须重新作出",
            params_version=params.version,
            eligible_before=state.prelim_eligible,
            eligible_after=None if assessment is None else assessment.eligible,
            amount_before=None if before is None else before.monthly_amount,
            amount_after=None if assessment is None else assessment.monthly_amount,
            size_after=len(after.counted_members),
        ),
    ]


def _apply(state: Any, joining: tuple[Any, ...], leaving: tuple[c.MemberLeaving, ...], declaration: Any) -> Any:
    departed = state.departed + tuple(
        Departure(member_index=m.member_index, reason=m.reason.value, on=m.on) for m in leaving
    )
    return state.model_copy(update={
        "members": (*state.members, *joining),
        "departed": departed,
        "declaration": declaration or state.declaration,
    })


def _amend(spec: ProcedureSpec, state: Any, cmd: c.AmendHousehold, ctx: DecisionContext) -> list[Draft]:
    need_role(ctx, AMEND_ROLES, "amend the household")
    need_stage(state, spec.stages.pre_decision, "amending the household before the decision")
    joining = _validated(spec, state, cmd, ctx)
    return _amended(spec, state, ctx, joining=joining, leaving=tuple(cmd.members_leaving),
                    declaration=cmd.declaration, evidence=cmd.evidence, note=cmd.note, proposal_seq=None)


def propose_from_alert(spec: ProcedureSpec, state: Any, cmd: c.RaiseDataAlert, ctx: DecisionContext) -> list[Draft]:
    """A data alert for a case not yet decided: a proposed amendment for the township to confirm."""
    need_role(ctx, ALERT_ROLES, "record a data alert")
    need_stage(state, spec.stages.pre_decision, "proposing a household amendment")
    check_alert(state, cmd, ctx)
    for p in open_proposals(state):
        if (p.alert, p.member_index) == (cmd.alert.value, cmd.member_index):
            raise InvalidTransition(f"the same alert awaits the township's confirmation (seq {p.seq})")
    return [
        draft(
            e.AmendmentProposed,
            *spec.basis("amendment_proposal"),
            alert=cmd.alert,
            member_index=cmd.member_index,
            occurred_on=cmd.occurred_on,
            source=cmd.source,
        )
    ]


def _confirm(spec: ProcedureSpec, state: Any, cmd: c.ConfirmAmendment, ctx: DecisionContext) -> list[Draft]:
    need_role(ctx, CONFIRM_ROLES, "confirm a proposed household amendment")
    need_stage(state, spec.stages.pre_decision, "confirming a household amendment")
    proposal = next((p for p in open_proposals(state) if p.seq == cmd.proposal_seq), None)
    if proposal is None:
        raise InvalidInput("no open proposed amendment has that seq", field=("proposal_seq",))
    if not cmd.confirmed:
        return [draft(e.AmendmentDismissed, *spec.basis("amendment_proposal"), reason=cmd.note,
                      proposal_seq=proposal.seq)]
    reason = c.MEMBER_LEAVING_ALERTS.get(c.AlertType(proposal.alert))
    if reason is None and cmd.declaration is None:
        raise InvalidInput(
            "this alert does not name a member who leaves: confirm it with the household's declaration as it "
            "stands now", field=("declaration",)
        )
    leaving: tuple[c.MemberLeaving, ...] = ()
    if reason is not None and proposal.member_index is not None:
        if proposal.member_index not in state.counted_members:
            raise InvalidTransition("that member no longer counts in the household")
        if len(state.counted_members) == 1:
            raise InvalidInput(
                "no member would count in the household any more: the application ends by withdrawal, not by "
                "an amendment", field=("confirmed",)
            )
        leaving = (c.MemberLeaving(member_index=proposal.member_index, reason=reason, on=proposal.occurred_on),)
    return _amended(spec, state, ctx, joining=(), leaving=leaving, declaration=cmd.declaration,
                    evidence=f"{proposal.source}", note=cmd.note, proposal_seq=proposal.seq)


_HANDLERS = {
    c.AmendHousehold: _amend,
    c.ConfirmAmendment: _confirm,
}


def handlers(spec: ProcedureSpec) -> dict[type, Handler]:
    return {t: partial(fn, spec) for t, fn in _HANDLERS.items()}


def mutators(spec: ProcedureSpec) -> Mutators:
    s = spec.stages
    m = Mutators()

    @m.on(e.HouseholdAmended)
    def _(state: Any, event: Any) -> Any:
        after = _apply(state, tuple(event.members_joining), tuple(event.members_leaving), event.declaration)
        proposals = tuple(
            p.model_copy(update={"outcome": "confirmed"}) if p.seq == event.proposal_seq else p
            for p in state.amendment_proposals
        )
        return moved(state, event, members=after.members, departed=after.departed, declaration=after.declaration,
                     amendment_proposals=proposals, amendments=state.amendments + 1)

    @m.on(e.AmendmentProposed)
    def _(state: Any, event: Any) -> Any:
        proposal = AmendmentProposal(seq=event.seq, alert=event.alert.value, member_index=event.member_index,
                                     occurred_on=event.occurred_on, source=event.source)
        return moved(state, event, amendment_proposals=(*state.amendment_proposals, proposal))

    @m.on(e.AmendmentDismissed)
    def _(state: Any, event: Any) -> Any:
        proposals = tuple(
            p.model_copy(update={"outcome": "dismissed"}) if p.seq == event.proposal_seq else p
            for p in state.amendment_proposals
        )
        return moved(state, event, amendment_proposals=proposals)

    @m.on(e.OpinionReopenedByAmendment)
    def _(state: Any, event: Any) -> Any:
        # Objections to the opinion that no longer holds are answered by the fresh investigation and opinion, as
        # after a re-investigation the township orders (S1 Art. 19 para 2).
        return moved(state, event, s.reinvestigation, opinion_reopened_by_amendment=True,
                     objections=tuple(o.model_copy(update={"resolved": True}) for o in state.objections))

    return m
