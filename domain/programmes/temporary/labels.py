"""zh-CN names of 临时救助's stages, for staff-facing text. Stage codes it shares with dibao keep dibao's names
(the console's label table is one map by code, ``domain.labels``)."""

from __future__ import annotations

from domain.programmes.temporary.stages import Stage

STAGE_LABELS: dict[str, str] = {
    Stage.SUBMITTED: "已提交申请",
    Stage.MATERIALS_INCOMPLETE: "材料待补齐",
    Stage.ACCEPTED: "已受理",
    Stage.INVESTIGATING: "调查核实",
    Stage.INFO_CHECK_NEGATIVE_NOTIFIED: "核对不符已告知",
    Stage.DEMOCRATIC_APPRAISAL: "民主评议",
    Stage.PRELIM_OPINION_ISSUED: "初审意见",
    Stage.PUBLICITY: "公示",
    Stage.OBJECTION_RECEIVED: "公示有异议",
    Stage.REINVESTIGATION: "重新调查",
    Stage.SUBMITTED_FOR_APPROVAL: "报送审批",
    Stage.APPROVAL_REVIEW: "审批中",
    Stage.REJECTED: "不予确认",
    Stage.TERMINATED_NONCOOPERATION: "终止办理",
    Stage.WITHDRAWN: "撤回申请",
    Stage.ASSISTING: "救助发放中",
    Stage.ASSISTED: "救助完成",
    Stage.URGENT_REPORTED: "急难情况已报告",
    Stage.URGENT_GRANTED: "已先行救助",
    Stage.REGULARISATION_PENDING: "待补齐手续",
    Stage.REGULARISED: "手续已补齐",
}
