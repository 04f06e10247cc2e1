"""临时救助's normal path on the shared procedure steps: application where the emergency happened (no hukou or
residence limit, S7 §四(三)), 审核 (S4 Art. 48; S8 §二(二)), 公示 (S4 Art. 48), and the review before the
approval (the approval itself is the programme's own: :mod:`.handlers`).

The detailed procedure of 国发〔2014〕47号 was not retrieved (SPEC §5.2, UNCONFIRMED): where the temporary
texts are silent a step cites S4 Art. 48 (审核、公示、审批), the article that orders the path.
"""

from __future__ import annotations

from domain.actors import Role
from domain.kernel.context import DecisionContext
from domain.procedure import application, confirmation, investigation, publicity
from domain.procedure.spec import ProcedureSpec, Stages
from domain.programmes.temporary.rules import assessment, validated_members
from domain.programmes.temporary.stages import PRE_DECISION, Stage

#: Who may hand in an application: the window, or the village committee as agent (S4 Art. 60; S5 item 23).
#: An emergency may also be reported by township or county staff (hotline, found in data; SPEC §5.3).
SUBMIT_ROLES = frozenset({Role.FRONT_OFFICE, Role.VILLAGE_COMMITTEE})
URGENT_REPORT_ROLES = frozenset({Role.FRONT_OFFICE, Role.VILLAGE_COMMITTEE, Role.TOWNSHIP_CASEWORKER,
                                 Role.TOWNSHIP_APPROVER, Role.COUNTY_REVIEWER, Role.COUNTY_APPROVER})

_PROCEDURE = ("S4 Art. 48",)

ARTICLES: dict[str, tuple[str, ...]] = {
    "submit": ("S4 Art. 48", "S4 Art. 60"),
    "submit_by_agent": ("S4 Art. 48", "S4 Art. 60", "S5 item 23"),
    "competence": ("S7 §四(三)",),
    "place_of_emergency": ("S7 §四(三)", "S5 item 14"),
    "need": ("S4 Art. 47", "S8 §二(一)"),
    "deficiency": ("S4 Art. 60",),
    "accept": _PROCEDURE,
    "close_relative": ("S4 Art. 48", "S4 Art. 63"),
    "recusal": ("S4 Art. 48", "S4 Art. 2"),
    "start_investigation": ("S4 Art. 48", "S8 §二(二)"),
    "team": _PROCEDURE,
    "home_visit": ("S4 Art. 48", "S4 Art. 59"),
    "visit_evidence": ("S4 Art. 59",),
    "info_check": ("S4 Art. 58", "S8 §二(二)"),
    "check_negative": ("S4 Art. 58",),
    "village_review_disputed": _PROCEDURE,
    "village_review_exempted": _PROCEDURE,
    "appraisal": _PROCEDURE,
    "appraisal_2012": _PROCEDURE,
    "prelim_opinion": ("S4 Art. 48", "S8 §二(二)"),
    "objection_follow_up": _PROCEDURE,
    "publicity_start": ("S4 Art. 48",),
    "objection": ("S4 Art. 48", "S4 Art. 63"),
    "publicity_close": ("S4 Art. 48",),
    "submit_for_confirmation": ("S4 Art. 48",),
    "review_start": ("S4 Art. 48",),
    "review_home_visit": ("S4 Art. 59",),
    "review_home_visit_mandatory": ("S4 Art. 59", "S4 Art. 63"),
    "complaint": ("S4 Art. 63",),
    "complaint_resolution": ("S4 Art. 63",),
    "open_complaint": ("S4 Art. 63",),
    "approve": ("S4 Art. 48",),
    "approve_devolved": ("S4 Art. 48", "S8 §二(二)"),
    "amount": ("S8 §二(三)", "S4 Art. 49"),
    "reject": ("S4 Art. 48",),
    "rejection_notice": ("S4 Art. 48", "S4 Art. 65"),
    "publication": ("S4 Art. 48",),
    "payment": ("S8 §二(四)",),
    "non_cooperation": ("S4 Art. 58",),
    "extend": _PROCEDURE,
    "withdraw": (),
    "earlier_cases": ("S4 Art. 59",),
    # the programme's own steps
    "urgent_report": ("S8 §二(二)", "S5 item 14"),
    "urgent_grant": ("S8 §二(二)", "S5 item 15", "S4 Art. 48"),
    "reserve_fund": ("S8 §三(三)", "S5 item 15"),
    "eased": ("S8 §二(二)",),
    "regularise": ("S8 §二(二)",),
    "follow_up": ("S5 item 15", "S8 §二(四)"),
    "case_by_case": ("S5 item 15", "S8 §二(三)"),
    "township_cap": ("S4 Art. 48", "S8 §二(二)"),
    "repeat": ("S4 Art. 49",),
    "staged": ("S8 §二(四)", "S5 item 15"),
    "in_kind": ("S8 §二(四)",),
    "completed": ("S8 §二(四)",),
    "referral": ("S8 §二(四)", "S4 Art. 60", "S5 item 23"),
}

#: The approval stands where dibao's county confirmation does; an approved grant is being paid at once.
STAGES = Stages.named(
    Stage,
    submitted_for_confirmation=Stage.SUBMITTED_FOR_APPROVAL,
    confirmation_review=Stage.APPROVAL_REVIEW,
    approved=Stage.ASSISTING,
    in_payment=Stage.ASSISTING,
    pre_decision=PRE_DECISION | {Stage.URGENT_REPORTED},
)


def _confirming_roles(_ctx: DecisionContext) -> tuple[frozenset[Role], frozenset[Role]]:
    """The township approves within its delegated cap, the county above it (S4 Art. 48; S8 §二(二)): both may
    review and refuse; the amount decides who may approve (:mod:`.handlers`)."""
    both_reviewers = frozenset({Role.TOWNSHIP_APPROVER, Role.COUNTY_REVIEWER})
    return both_reviewers, frozenset({Role.TOWNSHIP_APPROVER, Role.COUNTY_APPROVER})


SPEC = ProcedureSpec(
    stages=STAGES,
    articles=ARTICLES,
    submit_roles=SUBMIT_ROLES,
    platform_obtainable=frozenset(),
    non_cooperation_refusals=2,  # UNCONFIRMED, as for dibao
    validate_members=validated_members,
    assess=assessment,
    confirming_roles=_confirming_roles,
    devolved=lambda _ctx: True,  # S8 §二(二): approval delegated to the township within its cap
    # a 公示 without objection: the package goes to the approving authority (S4 Art. 48)
    competent_place=False,  # S7 §四(三): apply where the emergency happened, no hukou or residence limit
)

#: The shared steps the normal path runs (the contract test checks the state and articles cover them).
STEP_MODULES = (application, investigation, publicity, confirmation)
