"""The stages of a 临时救助 case: the normal path (S4 Art. 48: 审核, 公示, 审批) and the urgent path of 先行救助
(S8 §二(二); S5 item 15; SPEC §5.3), and the groups the rules use."""

from __future__ import annotations

from enum import StrEnum


class Stage(StrEnum):
    """Lifecycle stages of a 临时救助 case."""

    SUBMITTED = "submitted"  # 申请已提交 (where the emergency happened, S7 §四(三))
    MATERIALS_INCOMPLETE = "materials_incomplete"  # 一次性告知
    ACCEPTED = "accepted"  # 受理 (or 跟进救助 opened after an urgent grant)
    INVESTIGATING = "investigating"  # 审核: for a dibao / 特困 household only the essential expenditure (S8 §二(二))
    INFO_CHECK_NEGATIVE_NOTIFIED = "info_check_negative_notified"
    DEMOCRATIC_APPRAISAL = "democratic_appraisal"
    PRELIM_OPINION_ISSUED = "prelim_opinion_issued"
    PUBLICITY = "publicity"  # 公示 (S4 Art. 48)
    OBJECTION_RECEIVED = "objection_received"
    REINVESTIGATION = "reinvestigation"
    SUBMITTED_FOR_APPROVAL = "submitted_for_approval"  # to the township (within its cap) or the county
    APPROVAL_REVIEW = "approval_review"  # 审批 (S4 Art. 48; S8 §二(二)); 一事一议 above the threshold
    REJECTED = "rejected"  # 不予救助
    TERMINATED_NONCOOPERATION = "terminated_noncooperation"
    WITHDRAWN = "withdrawn"
    ASSISTING = "assisting"  # approved: instalments being paid (一次审批、分阶段救助, S8 §二(四))
    ASSISTED = "assisted"  # the last instalment is on its roll: complete
    URGENT_REPORTED = "urgent_reported"  # 急难情况报告 (SPEC §5.3)
    URGENT_GRANTED = "urgent_granted"  # 先行救助 paid from the reserve fund; formalities pending (S8 §二(二))
    REGULARISATION_PENDING = "regularisation_pending"  # the emergency eased: 补齐手续
    REGULARISED = "regularised"  # formalities complete; no follow-up


#: Before the decision on the normal path (the procedure's time limits run; withdrawal is possible).
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
        Stage.SUBMITTED_FOR_APPROVAL,
        Stage.APPROVAL_REVIEW,
    }
)
#: An urgent grant paid whose formalities are not yet complete (the regularisation limit runs).
URGENT_OPEN = frozenset({Stage.URGENT_GRANTED, Stage.REGULARISATION_PENDING})
#: Stages in which a case's instalments are on the payment rolls of their months.
PAYABLE = frozenset({Stage.ASSISTING, Stage.ASSISTED})
