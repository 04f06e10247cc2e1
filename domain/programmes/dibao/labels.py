"""zh-CN names of dibao's stages, for staff-facing text (the console, the demo's summary)."""

from __future__ import annotations

from domain.programmes.dibao.stages import Stage

STAGE_LABELS: dict[str, str] = {
    Stage.SUBMITTED: "已提交申请",
    Stage.MATERIALS_INCOMPLETE: "材料待补齐",
    Stage.ACCEPTED: "已受理",
    Stage.INVESTIGATING: "调查核实",
    Stage.INFO_CHECK_NEGATIVE_NOTIFIED: "核对不符已告知",
    Stage.RECHECK: "复查",
    Stage.DEMOCRATIC_APPRAISAL: "民主评议",
    Stage.PRELIM_OPINION_ISSUED: "初审意见",
    Stage.PUBLICITY: "公示",
    Stage.OBJECTION_RECEIVED: "公示有异议",
    Stage.REINVESTIGATION: "重新调查",
    Stage.SUBMITTED_TO_COUNTY: "报送县级",
    Stage.COUNTY_REVIEW: "县级审核",
    Stage.APPROVED: "审核确认",
    Stage.REJECTED: "不予确认",
    Stage.TERMINATED_NONCOOPERATION: "终止办理",
    Stage.WITHDRAWN: "撤回申请",
    Stage.IN_PAYMENT: "在保发放",
    Stage.UNDER_REVIEW: "复核中",
    Stage.GRADUAL_EXIT: "渐退期",
    Stage.STOPPING: "停发办理中",
    Stage.EXITED: "退出",
}
