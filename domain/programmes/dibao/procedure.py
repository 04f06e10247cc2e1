"""Dibao's approval procedure: the shared steps of :mod:`domain.procedure` with S1's stages and articles
(《最低生活保障审核确认办法》, 2021, as written up in SPEC §3; the 2012 profile of SPEC §3.7 makes 民主评议
mandatory), dibao's assessment, and what follows its 公示 and its approval."""

from __future__ import annotations

from domain import commands as c
from domain.actors import Role
from domain.kernel.context import DecisionContext
from domain.kernel.drafts import Draft
from domain.kernel.programme import Handler
from domain.procedure import amendment, application, confirmation, investigation, publicity
from domain.procedure.spec import ProcedureSpec, Stages
from domain.programmes.dibao.rules import (
    confirming_roles,
    devolved,
    household_assessment,
    review_schedule,
    validated_ids,
    validated_members,
)
from domain.programmes.dibao.stages import PRE_DECISION, Stage
from domain.programmes.dibao.state import DibaoState

#: Who may hand in an application: the window, or the village committee as agent (S1 Arts. 4, 6; S4 Art. 60).
SUBMIT_ROLES = frozenset({Role.FRONT_OFFICE, Role.VILLAGE_COMMITTEE})

#: Materials that may not be demanded because the window can fetch them from government platforms
#: (S1 Art. 10; S5 item 24). LOCAL PARAMETER in practice; these two are obtainable in Yunnan (UNCONFIRMED).
PLATFORM_OBTAINABLE = frozenset({c.Material.HUKOU_RECORD, c.Material.DISABILITY_CERTIFICATE})

#: Recorded refusals before the procedure may be ended for non-cooperation (S1 Art. 29). UNCONFIRMED.
NON_COOPERATION_REFUSALS = 2

#: The legal basis recorded with each step (SPEC §0.2 source tags). A contract: recorded events carry these.
ARTICLES: dict[str, tuple[str, ...]] = {
    "submit": ("S1 Art. 4", "S1 Art. 9"),
    "submit_by_agent": ("S1 Art. 4", "S1 Art. 6", "S1 Art. 9"),
    "competence": ("S1 Art. 5",),
    "deficiency": ("S1 Art. 10",),
    "accept": ("S1 Art. 10",),
    "close_relative": ("S1 Art. 11",),
    # 回避 of a filed relative: no article names it; it rests on the filing and the fairness principle.
    "recusal": ("S1 Art. 11", "S1 Art. 3", "S4 Art. 2"),
    "start_investigation": ("S1 Art. 15", "S1 Art. 16"),
    "team": ("S1 Art. 16",),
    "home_visit": ("S1 Art. 16",),
    "visit_evidence": ("S1 Art. 16",),
    "info_check": ("S1 Art. 17",),
    "check_negative": ("S1 Art. 18",),
    "village_review_disputed": ("S1 Art. 19", "S5 item 24"),
    "village_review_exempted": ("S5 item 24",),
    "appraisal": ("S1 Art. 19",),
    "appraisal_2012": ("S1 Art. 19", "S2 Arts. 22-23"),
    "prelim_opinion": ("S1 Art. 19",),
    "objection_follow_up": ("S1 Art. 19 para 2",),
    "publicity_start": ("S1 Art. 19", "S6 §四(二)"),
    "objection": ("S1 Art. 19", "S1 Art. 37"),
    "publicity_close": ("S1 Art. 19",),
    "submit_for_confirmation": ("S1 Art. 19",),
    "review_start": ("S1 Art. 20",),
    "review_home_visit": ("S1 Art. 20",),
    "review_home_visit_mandatory": ("S1 Art. 20 para 2",),
    "complaint": ("S1 Art. 20", "S1 Art. 36"),
    "complaint_resolution": ("S1 Art. 37",),
    "open_complaint": ("S1 Arts. 20, 37",),
    "approve": ("S1 Art. 20", "S1 Art. 21"),
    "approve_devolved": ("S1 Art. 2", "S1 Art. 21", "S6 §四(一)"),
    "amount": ("S1 Art. 23",),
    "reject": ("S1 Art. 21", "S1 Art. 38"),
    "rejection_notice": ("S1 Art. 21", "S1 Art. 38"),
    "publication": ("S1 Art. 24",),
    "payment": ("S1 Art. 21", "S1 Art. 25"),
    "non_cooperation": ("S1 Art. 29",),
    "extend": ("S1 Art. 22", "S6 §四(一)"),
    "withdraw": (),
    "amendment": ("S1 Art. 7", "S1 Art. 9", "S6 §一(三)"),
    "amendment_proposal": ("S1 Art. 7", "S6 §三(二)"),
    "amendment_reopens": ("S1 Art. 19",),
    # The members' earlier cases linked at intake: the administration records the materials of the matter
    # (S4 Art. 59) that the county's review rests on (S1 Art. 20).
    "earlier_cases": ("S4 Art. 59", "S1 Art. 20"),
}

STAGES = Stages.named(Stage, pre_decision=PRE_DECISION)


def _after_approval(state: DibaoState, ctx: DecisionContext) -> list[Draft]:
    """An approval schedules the first periodic review (S1 Art. 31; S5 item 7)."""
    return [review_schedule(state, ctx)]


SPEC = ProcedureSpec(
    stages=STAGES,
    articles=ARTICLES,
    submit_roles=SUBMIT_ROLES,
    platform_obtainable=PLATFORM_OBTAINABLE,
    non_cooperation_refusals=NON_COOPERATION_REFUSALS,
    validate_members=validated_members,
    # The members who still count (S1 Art. 7): before the decision too, once an amendment recorded a departure.
    assess=household_assessment,
    validate_ids=validated_ids,
    confirming_roles=confirming_roles,
    devolved=devolved,
    # after_publicity: none of its own; a 公示 without objection sends the package to the county (S1 Art. 19)
    after_approval=_after_approval,
)

#: The handler of the application.
OPEN: Handler = application.opening(SPEC)

#: The approval procedure's commands and their handlers.
HANDLERS: dict[type, Handler] = {
    **application.handlers(SPEC),
    **investigation.handlers(SPEC),
    **publicity.handlers(SPEC),
    **confirmation.handlers(SPEC),
    **amendment.handlers(SPEC),
}

#: The shared steps dibao runs (the contract test checks its state and articles cover what they use).
STEP_MODULES = (application, investigation, publicity, confirmation, amendment)
