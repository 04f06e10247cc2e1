"""The stages of a 特困 case in the legal order of S3 (SPEC §4.2, §4.4), and the groups the rules use."""

from __future__ import annotations

from enum import StrEnum


class Stage(StrEnum):
    """Lifecycle stages of a 特困 case (S3 Arts. 10-27)."""

    SUBMITTED = "submitted"  # 书面申请, S3 Art. 10
    MATERIALS_INCOMPLETE = "materials_incomplete"  # 一次性告知, S3 Art. 12
    ACCEPTED = "accepted"  # 受理, S3 Art. 12
    INVESTIGATING = "investigating"  # 调查核实, S3 Art. 13
    INFO_CHECK_NEGATIVE_NOTIFIED = "info_check_negative_notified"  # the check shows ineligibility (S3 Art. 13)
    DEMOCRATIC_APPRAISAL = "democratic_appraisal"  # 民主评议 (optional), S3 Art. 14
    PRELIM_OPINION_ISSUED = "prelim_opinion_issued"  # 初审意见, S3 Art. 13
    PUBLICITY = "publicity"  # 公示 7 days, S3 Art. 15
    OBJECTION_RECEIVED = "objection_received"  # S3 Art. 15 para 2
    REINVESTIGATION = "reinvestigation"  # new opinion within 15 wd, then published again, S3 Art. 15
    SUBMITTED_TO_COUNTY = "submitted_to_county"  # S3 Art. 15 para 2
    COUNTY_REVIEW = "county_review"  # 审核确认 with the ≥ 30 % random check, S3 Art. 16
    APPROVED = "approved"  # 确认, support file, S3 Art. 17
    REJECTED = "rejected"  # 不予确认, S3 Art. 18
    TERMINATED_NONCOOPERATION = "terminated_noncooperation"  # the procedure ended (S3 Art. 13 para 2)
    WITHDRAWN = "withdrawn"
    IN_PAYMENT = "in_payment"  # 救助供养中, S3 Art. 17
    UNDER_REVIEW = "under_review"  # annual review (S5 item 7) or a minor's 18th birthday (S3 Art. 24 note)
    TERMINATION_PROPOSED = "termination_proposed"  # 拟终止, S3 Art. 25
    TERMINATION_PUBLICITY = "termination_publicity"  # 终止公示 7 days, S3 Art. 26
    TERMINATION_OBJECTION = "termination_objection"  # S3 Art. 26 para 2
    TERMINATION_INVESTIGATION = "termination_investigation"  # the county's investigation, 15 wd, S3 Art. 26
    TERMINATION_DECISION = "termination_decision"  # 公示 without objection: the county decides, S3 Art. 26
    TERMINATED = "terminated"  # 终止救助供养 (paid to the end of its month), S3 Art. 26


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
#: The termination procedure (S3 Arts. 25-26): the person is still supported and paid throughout.
TERMINATION_STAGES = frozenset(
    {
        Stage.TERMINATION_PROPOSED,
        Stage.TERMINATION_PUBLICITY,
        Stage.TERMINATION_OBJECTION,
        Stage.TERMINATION_INVESTIGATION,
        Stage.TERMINATION_DECISION,
    }
)
#: Stages in which the person is supported (paid; the support form and the self-care tier may change).
ACTIVE_STAGES = frozenset({Stage.IN_PAYMENT, Stage.UNDER_REVIEW}) | TERMINATION_STAGES
#: Where the self-care assessment and the support form may be recorded before the decision.
BEFORE_DECISION_ASSESSABLE = frozenset(
    {
        Stage.INVESTIGATING,
        Stage.DEMOCRATIC_APPRAISAL,
        Stage.PRELIM_OPINION_ISSUED,
        Stage.PUBLICITY,
        Stage.OBJECTION_RECEIVED,
        Stage.REINVESTIGATION,
        Stage.SUBMITTED_TO_COUNTY,
        Stage.COUNTY_REVIEW,
    }
)
