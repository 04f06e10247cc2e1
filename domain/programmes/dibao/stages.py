"""The stages of a dibao case in the legal order of S1 (SPEC §3.1, §3.2), and the groups the rules use."""

from __future__ import annotations

from enum import StrEnum


class Stage(StrEnum):
    """Lifecycle stages of a dibao case in the legal order of S1 (SPEC §3.1, §3.2)."""

    SUBMITTED = "submitted"  # 申请已提交, completeness check pending
    MATERIALS_INCOMPLETE = "materials_incomplete"  # 一次性告知, S1 Art. 10
    ACCEPTED = "accepted"  # 受理, T0, S1 Art. 10
    INVESTIGATING = "investigating"  # 家庭经济状况调查, S1 Arts. 15-17 (a recheck returns here)
    INFO_CHECK_NEGATIVE_NOTIFIED = "info_check_negative_notified"  # S1 Art. 18
    RECHECK = "recheck"  # 复查, S1 Art. 18 (folded into INVESTIGATING; kept for the stage vocabulary)
    DEMOCRATIC_APPRAISAL = "democratic_appraisal"  # 民主评议, S1 Art. 19 para 2
    PRELIM_OPINION_ISSUED = "prelim_opinion_issued"  # 初审意见, S1 Art. 19
    PUBLICITY = "publicity"  # 公示, S1 Art. 19
    OBJECTION_RECEIVED = "objection_received"  # window closed with objections, S1 Art. 19
    REINVESTIGATION = "reinvestigation"  # S1 Art. 19 para 2
    SUBMITTED_TO_COUNTY = "submitted_to_county"
    COUNTY_REVIEW = "county_review"  # 审核确认, S1 Art. 20
    APPROVED = "approved"  # S1 Art. 21
    REJECTED = "rejected"  # S1 Art. 21
    TERMINATED_NONCOOPERATION = "terminated_noncooperation"  # S1 Art. 29
    WITHDRAWN = "withdrawn"
    IN_PAYMENT = "in_payment"  # 在保, S1 Arts. 21, 25
    UNDER_REVIEW = "under_review"  # 复核中 (periodic or ad hoc review; still paid), S1 Arts. 30-31
    GRADUAL_EXIT = "gradual_exit"  # 渐退期 (still paid until the stop month), S1 Art. 33
    STOPPING = "stopping"  # 停发 decided: paid until the stop month, notice to serve; then exited, S1 Art. 32
    EXITED = "exited"  # 退出/停保


#: Stages after which no decision on the application can be taken any more.
DECIDED_STAGES = frozenset(
    {
        Stage.APPROVED,
        Stage.REJECTED,
        Stage.TERMINATED_NONCOOPERATION,
        Stage.WITHDRAWN,
        Stage.IN_PAYMENT,
        Stage.UNDER_REVIEW,
        Stage.GRADUAL_EXIT,
        Stage.STOPPING,
        Stage.EXITED,
    }
)

#: Stages in which the household is receiving the benefit (the in-payment life of a case, SPEC §8): reviews,
#: changes, alerts and recalculations apply. A ``stopping`` case is still paid until its stop month but its
#: stop is decided: nothing but the stop notice and the exit happens to it.
ACTIVE_STAGES = frozenset({Stage.IN_PAYMENT, Stage.UNDER_REVIEW, Stage.GRADUAL_EXIT})

#: Stages before the decision on the application (the procedure's time limits run; withdrawal is possible).
PRE_DECISION = frozenset(
    {
        Stage.SUBMITTED,
        Stage.MATERIALS_INCOMPLETE,
        Stage.ACCEPTED,
        Stage.INVESTIGATING,
        Stage.INFO_CHECK_NEGATIVE_NOTIFIED,
        Stage.DEMOCRATIC_APPRAISAL,
        Stage.PRELIM_OPINION_ISSUED,
        Stage.PUBLICITY,
        Stage.OBJECTION_RECEIVED,
        Stage.REINVESTIGATION,
        Stage.SUBMITTED_TO_COUNTY,
        Stage.COUNTY_REVIEW,
    }
)
INVESTIGATION_STAGES = frozenset({Stage.INVESTIGATING, Stage.REINVESTIGATION})
