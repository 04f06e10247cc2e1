"""特困's recognition procedure: the shared steps of :mod:`domain.procedure` with S3's stages and articles
(《特困人员认定办法》 2021, SPEC §4.2), and its termination 公示 (S3 Art. 26) as the shared 公示 step run with a
second spec whose stages are the termination's.

What differs from dibao is in the spec, not in the steps: a fresh opinion after an objection is always
published again (S3 Art. 15); the county decides within 15 working days (S3 Art. 16); confirmation may be
devolved to the township (S3 Art. 28). Before the decision the county's random check must be on record, and a
drawn case needs the county's home visit (S3 Art. 16); the self-care tier and the support form set the amount
(S3 Art. 20; S4 Art. 19).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from domain import commands as c
from domain import events as e
from domain.actors import Role
from domain.errors import InvalidTransition
from domain.kernel.context import DecisionContext
from domain.kernel.drafts import Draft, draft
from domain.kernel.guards import COUNTY_REVIEWER, need_role, need_stage
from domain.kernel.mutators import Mutators
from domain.kernel.programme import Handler
from domain.procedure import application, confirmation, investigation, publicity
from domain.procedure.spec import ProcedureSpec, Stages
from domain.programmes.tekun import rules
from domain.programmes.tekun.handlers import review_schedule
from domain.programmes.tekun.stages import PRE_DECISION, TERMINATION_STAGES, Stage
from domain.programmes.tekun.state import TekunState

#: The person applies, or the village committee on their behalf (S3 Arts. 10, 11); the window receives it.
SUBMIT_ROLES = frozenset({Role.FRONT_OFFICE, Role.VILLAGE_COMMITTEE})
#: Obtainable from government platforms, never demanded (S5 item 24; UNCONFIRMED for Yunnan, as dibao's).
PLATFORM_OBTAINABLE = frozenset({c.Material.HUKOU_RECORD, c.Material.DISABILITY_CERTIFICATE})
#: Recorded refusals to cooperate before the procedure may end (S3 Art. 13 para 2 duty to cooperate). UNCONFIRMED.
NON_COOPERATION_REFUSALS = 2

ARTICLES: dict[str, tuple[str, ...]] = {
    "submit": ("S3 Art. 10",),
    "submit_by_agent": ("S3 Art. 10", "S3 Art. 11"),
    "competence": ("S3 Art. 10",),
    "deficiency": ("S3 Art. 12",),
    "accept": ("S3 Art. 12",),
    # S3 names no filing of close relatives; dibao's rule (S1 Art. 11) and the fairness principle apply.
    "close_relative": ("S1 Art. 11", "S3 Art. 2"),
    "recusal": ("S1 Art. 11", "S3 Art. 2", "S4 Art. 2"),
    "start_investigation": ("S3 Art. 13",),
    "team": ("S3 Art. 13", "S1 Art. 16"),
    "home_visit": ("S3 Art. 13",),
    "visit_evidence": ("S3 Art. 13",),
    "info_check": ("S3 Art. 13", "S4 Art. 58"),
    "check_negative": ("S3 Art. 13",),
    "village_review_disputed": ("S3 Art. 14",),
    "village_review_exempted": ("S3 Art. 14",),
    "appraisal": ("S3 Art. 14",),
    "appraisal_2012": ("S3 Art. 14",),
    "prelim_opinion": ("S3 Art. 13",),
    "objection_follow_up": ("S3 Art. 15 para 2",),
    "publicity_start": ("S3 Art. 15",),
    "objection": ("S3 Art. 15",),
    "publicity_close": ("S3 Art. 15",),
    "submit_for_confirmation": ("S3 Art. 15 para 2",),
    "review_start": ("S3 Art. 16",),
    "review_home_visit": ("S3 Art. 16",),
    "review_home_visit_mandatory": ("S3 Art. 16",),
    "complaint": ("S3 Art. 16", "S4 Art. 57"),
    "complaint_resolution": ("S4 Art. 57",),
    "open_complaint": ("S3 Art. 16",),
    "approve": ("S3 Art. 16", "S3 Art. 17"),
    "approve_devolved": ("S3 Art. 28", "S3 Art. 17"),
    "amount": ("S4 Art. 15", "S3 Art. 20"),
    "reject": ("S3 Art. 18",),
    "rejection_notice": ("S3 Art. 18",),
    "publication": ("S3 Art. 17",),
    "payment": ("S3 Art. 17",),
    "non_cooperation": ("S3 Art. 13 para 2",),
    "extend": ("S3 Art. 13",),
    "withdraw": (),
    "earlier_cases": ("S4 Art. 59", "S3 Art. 16"),
}

#: The articles of the termination 公示 (S3 Art. 26), cited by the shared 公示 step run for it.
TERMINATION_ARTICLES: dict[str, tuple[str, ...]] = {
    "publicity_start": ("S3 Art. 26",),
    "objection": ("S3 Art. 26",),
    "publicity_close": ("S3 Art. 26",),
    "objection_follow_up": ("S3 Art. 26 para 2",),
    "submit_for_confirmation": ("S3 Art. 26",),
    "amendment_proposal": ("S3 Art. 26",),
}

STAGES = Stages.named(Stage, pre_decision=PRE_DECISION)

#: The termination procedure's places: the proposal stands where the 初审意见 does, the 公示 and its objections
#: as in the recognition, the county's investigation where the re-investigation is, and the decision where the
#: package goes to the county (S3 Arts. 25-26).
TERMINATION = replace(
    STAGES,
    prelim_opinion=Stage.TERMINATION_PROPOSED,
    publicity=Stage.TERMINATION_PUBLICITY,
    objection_received=Stage.TERMINATION_OBJECTION,
    reinvestigation=Stage.TERMINATION_INVESTIGATION,
    submitted_for_confirmation=Stage.TERMINATION_DECISION,
    pre_decision=TERMINATION_STAGES,
)


SPEC = ProcedureSpec(
    stages=STAGES,
    articles=ARTICLES,
    submit_roles=SUBMIT_ROLES,
    platform_obtainable=PLATFORM_OBTAINABLE,
    non_cooperation_refusals=NON_COOPERATION_REFUSALS,
    validate_members=rules.validated_members,
    assess=rules.assessment,
    confirming_roles=rules.confirming_roles,
    devolved=rules.devolved,
    # a 公示 without objection: the 初审意见 and the materials go to the county (S3 Art. 15 para 2)
    after_approval=lambda _state, ctx: [review_schedule(ctx)],  # the annual review (S5 item 7)
    republish_after_objection=lambda _params: True,  # S3 Art. 15: "并重新公示"
)

#: The recognition's spec with the termination's stages and articles, and neither its approval's follow-up nor
#: its republishing rule. A termination 公示 without objection: the county is to decide the termination (S3 Art.
#: 26); the window's close is a natural transition, never the decision: the county approver takes it.
TERMINATION_SPEC = replace(
    SPEC,
    stages=TERMINATION,
    articles=TERMINATION_ARTICLES,
    after_approval=lambda _state, _ctx: [],
    republish_after_objection=None,
)


# --- the county's random check before the decision (S3 Art. 16) ---------------------------------------------


def _checked_before_decision(state: TekunState, what: str) -> None:
    if state.drawn_for_county_check is None:
        raise InvalidTransition(
            f"the county's random check of the township's submissions (S3 Art. 16) is not on record; {what} waits "
            "for the draw")
    if state.drawn_for_county_check and not state.county_home_visit:
        raise InvalidTransition(
            f"the case was drawn for the county's check (S3 Art. 16): the county's home visit must be on record "
            f"before it can {what}")


def _approve(state: TekunState, cmd: c.Approve, ctx: DecisionContext) -> list[Draft]:
    if state.stage is Stage.COUNTY_REVIEW:
        if not rules.devolved(ctx):
            _checked_before_decision(state, "approve")
        if state.care_tier is None:
            raise InvalidTransition("the self-care assessment that sets the care tier is not on record (S3 Art. 20)")
        if state.support_form is None:
            raise InvalidTransition("the person's choice of support form is not on record (S4 Art. 19)")
    return _CONFIRMATION[c.Approve](state, cmd, ctx)


def _reject(state: TekunState, cmd: c.Reject, ctx: DecisionContext) -> list[Draft]:
    if state.stage is Stage.COUNTY_REVIEW and not rules.devolved(ctx):
        _checked_before_decision(state, "refuse")
    return _CONFIRMATION[c.Reject](state, cmd, ctx)


def _resolve_termination_objection(state: TekunState, cmd: c.ResolveObjection, ctx: DecisionContext) -> list[Draft]:
    """An objection to the termination 公示: the county investigates and decides within 15 working days (S3
    Art. 26 para 2) — the re-investigation path only."""
    need_role(ctx, COUNTY_REVIEWER, "order the county's investigation of a termination objection")
    need_stage(state, {Stage.TERMINATION_OBJECTION}, "resolving a termination objection")
    if state.open_objections == 0:
        raise InvalidTransition("no open objection is on record")
    if cmd.path != "reinvestigation":
        raise InvalidTransition("an objection to a termination is answered by the county's investigation "
                                "(S3 Art. 26 para 2)")
    return [draft(e.ReinvestigationOrdered, *TERMINATION_SPEC.basis("objection_follow_up"), reason=cmd.reason)]


_CONFIRMATION = confirmation.handlers(SPEC)
_PUBLICITY = publicity.handlers(SPEC)
_TERMINATION_PUBLICITY = publicity.handlers(TERMINATION_SPEC)


def _by_stage(kind: type) -> Handler:
    """The recognition's 公示 handler, or the termination's in a termination stage."""

    def handle(state: Any, cmd: Any, ctx: DecisionContext) -> list[Draft]:
        if state.stage in TERMINATION_STAGES:
            if kind is c.ResolveObjection:
                return _resolve_termination_objection(state, cmd, ctx)
            return _TERMINATION_PUBLICITY[kind](state, cmd, ctx)
        return _PUBLICITY[kind](state, cmd, ctx)

    return handle


OPEN: Handler = application.opening(SPEC)

HANDLERS: dict[type, Handler] = {
    # S3 has no extension of the time limits (dibao's S1 Art. 22): ExtendDeadline is not a 特困 command.
    **{k: h for k, h in application.handlers(SPEC).items() if k is not c.ExtendDeadline},
    **investigation.handlers(SPEC),
    **{k: _by_stage(k) for k in _PUBLICITY},
    **_CONFIRMATION,
    c.Approve: _approve,
    c.Reject: _reject,
}

#: Events the recognition and the termination both record: folded by the spec of the stage the case is in.
SHARED_EVENTS = (e.PublicityStarted, e.PublicityObjectionLogged, e.PublicityWindowElapsed, e.ReinvestigationOrdered,
                 e.CaseSubmittedToCounty)


def step_mutators(state_type: type) -> tuple[Any, Mutators]:
    """(the fold of the application, the mutators of the shared steps, the termination's where it runs)."""
    initial, app = application.mutators(SPEC, state_type)
    recognition = (publicity.mutators(SPEC).merge(confirmation.mutators(SPEC)))
    termination = (publicity.mutators(TERMINATION_SPEC).merge(confirmation.mutators(TERMINATION_SPEC)))
    m = Mutators()
    for kind in SHARED_EVENTS:
        def fold(state: Any, event: Any) -> Any:
            return (termination if state.stage in TERMINATION_STAGES else recognition).apply(state, event)

        m.on(kind)(fold)
    return initial, (app.without(e.DeadlineExtended)
                     .merge(investigation.mutators(SPEC))
                     .merge(recognition.without(*SHARED_EVENTS))
                     .merge(m))


STEP_MODULES = (application, investigation, publicity, confirmation)
