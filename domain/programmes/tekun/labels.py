"""zh-CN names of 特困's stages, for staff-facing text (the console, the demo's summary)."""

from __future__ import annotations

from domain.programmes.tekun.stages import Stage

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
    Stage.SUBMITTED_TO_COUNTY: "报送县级",
    Stage.COUNTY_REVIEW: "县级审核（随机抽查）",
    Stage.APPROVED: "认定",
    Stage.REJECTED: "不予认定",
    Stage.TERMINATED_NONCOOPERATION: "终止办理",
    Stage.WITHDRAWN: "撤回申请",
    Stage.IN_PAYMENT: "救助供养中",
    Stage.UNDER_REVIEW: "复核中",
    Stage.TERMINATION_PROPOSED: "拟终止救助供养",
    Stage.TERMINATION_PUBLICITY: "终止公示",
    Stage.TERMINATION_OBJECTION: "终止公示有异议",
    Stage.TERMINATION_INVESTIGATION: "县级调查核实",
    Stage.TERMINATION_DECISION: "待作终止决定",
    Stage.TERMINATED: "终止救助供养",
}
