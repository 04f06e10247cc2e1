"""zh-CN labels of the console: stages, roles, pending steps, deadlines and event types (codes stay the API's)."""

from __future__ import annotations

from domain.actors import Role
from domain.labels import STAGE_LABELS as STAGE_LABELS  # one set of zh-CN stage names (console, demo)
from domain.programmes import REGISTRY

#: The stages of the funnel and the stage filter, programme by programme in each one's legal order (each stage
#: code once; vocabulary-only codes left out).
PROCEDURE_ORDER: tuple[str, ...] = tuple(
    dict.fromkeys(s.value for programme in REGISTRY.values() for s in programme.procedure_order)
)

ROLE_LABELS: dict[str, str] = {
    Role.FRONT_OFFICE: "受理窗口",
    Role.VILLAGE_COMMITTEE: "村(居)委会",
    Role.TOWNSHIP_CASEWORKER: "乡镇经办人",
    Role.TOWNSHIP_APPROVER: "乡镇审批人",
    Role.COUNTY_REVIEWER: "县级审核人",
    Role.COUNTY_APPROVER: "县级审批人",
    Role.SUPERVISOR: "监督人员",
    Role.AUDITOR: "审计人员",
    Role.SYSTEM: "系统",
}

STEP_LABELS: dict[str, str] = {
    "completeness_check": "材料完整性审查",
    "acceptance": "受理申请",
    "start_investigation": "启动调查",
    "investigation": "调查核实并出具初审意见",
    "prelim_opinion": "出具初审意见",
    "applicant_response": "等待申请人回应核对结果",
    "democratic_appraisal": "民主评议",
    "start_publicity": "张贴公示",
    "publicity_window": "公示期（到期自动结束）",
    "resolve_objection": "处理公示异议",
    "reinvestigation": "重新调查",
    "start_county_review": "县级启动审核",
    "county_decision": "县级审核确认",
    "county_review": "县级审核",
    "post_publication": "张榜公布",
    "serve_rejection_notice": "送达不予确认通知书",
    "rejection_notice": "送达不予确认通知书",
    "review_decision": "作出复核决定",
    "review": "完成复核",
    "serve_stop_notice": "送达停发通知书",
    "stop_notice": "送达停发通知书",
    "stop_takes_effect": "停发生效（到月自动退出）",
    "overall": "审核确认总时限",
    "death_resolution": "死亡变更三个月内办结",
    "confirm_amendment": "确认数据比对提示的家庭变更",
    "township_review": "乡镇审核（残疾人证核对）",
    "county_confirmation": "县级确认",
    "forwarding_outcome": "登记跨省通办转递结果",
    "confirm_enrolment": "乡镇确认高龄津贴（主动发现）",
    "enrolment_confirmation": "主动发现确认时限",
    "survival_check": "生存认证",
    # 特困 (S3)
    "county_check_draw": "县级随机抽查（不低于30%）",
    "self_care_reassessment": "生活自理能力复核评估（10个工作日）",
    "reassessment": "生活自理能力复核评估",
    "start_termination_publicity": "张贴终止救助供养公示",
    "resolve_termination_objection": "处理终止公示异议",
    "termination_investigation": "县级调查核实（15个工作日）",
    "termination_decision": "作出终止救助供养决定",
    "serve_termination_notice": "书面告知终止理由",
    # 临时救助
    "urgent_grant": "先行救助（乡镇审批人或县级）",
    "regularisation": "补齐先行救助手续",
    "start_approval_review": "启动审批",
    "approval": "临时救助审批",
}

PROGRAM_LABELS: dict[str, str] = {p.code.value: p.title for p in REGISTRY.values()}

EVENT_LABELS: dict[str, str] = {
    "application_submitted": "提交申请",
    "earlier_cases_linked": "关联既往申请",
    "materials_deficiency_notified": "一次性告知补正材料",
    "application_accepted": "受理申请",
    "investigation_started": "启动调查",
    "home_visit_recorded": "入户调查",
    "neighbour_visit_recorded": "邻里访问",
    "letter_evidence_recorded": "信函索证",
    "info_check_requested": "申请信息核对",
    "info_check_completed": "信息核对完成",
    "ineligibility_by_info_check_notified": "告知核对不符",
    "check_result_objected": "对核对结果提出异议",
    "close_relative_filed": "近亲属备案",
    "staff_recused": "经办人员回避",
    "village_review_exempted": "免于民主评议",
    "democratic_appraisal_ordered": "决定民主评议",
    "democratic_appraisal_held": "民主评议",
    "reinvestigation_ordered": "决定重新调查",
    "prelim_opinion_issued": "出具初审意见",
    "publicity_started": "张贴公示",
    "publicity_window_elapsed": "公示期满",
    "publicity_objection_logged": "登记公示异议",
    "case_submitted_to_county": "报送县级",
    "county_review_started": "县级启动审核",
    "county_home_visit_recorded": "县级入户抽查",
    "complaint_received": "登记投诉",
    "complaint_resolved": "处理投诉",
    "application_approved": "审核确认",
    "application_rejected": "不予确认",
    "rejection_notice_served": "送达不予确认通知书",
    "publication_posted": "张榜公布",
    "deadline_set": "设定时限",
    "deadline_extended": "延长时限",
    "escalation_raised": "逾期预警",
    "review_scheduled": "安排复核",
    "periodic_review_due": "定期复核到期",
    "ad_hoc_review_opened": "启动专项复核",
    "review_completed": "复核完成",
    "change_reported": "报告家庭变化",
    "data_alert_raised": "数据比对预警",
    "household_amended": "变更家庭成员或申报（决定前）",
    "amendment_proposed": "数据比对提示家庭变更（待乡镇确认）",
    "amendment_dismissed": "不予采纳家庭变更提示",
    "opinion_reopened_by_amendment": "家庭变更，须重新出具初审意见",
    "benefit_increased": "增发",
    "benefit_decreased": "减发",
    "benefit_recalculated": "重新核算",
    "back_pay_decided": "补发",
    "benefit_stopped": "停发",
    "gradual_exit_granted": "给予渐退期",
    "gradual_exit_ended": "渐退期结束",
    "stop_notice_served": "送达停发通知书",
    "case_exited": "停发生效，退出",
    "non_cooperation_recorded": "记录不配合",
    "review_terminated_for_non_cooperation": "不配合复核，终止",
    "payment_scheduled": "安排发放",
    "application_withdrawn": "撤回申请",
    "overpayment_recovery_ordered": "责令退回多发金额",
    "payment_lines_withdrawn": "撤回未发放的名册记录",
    "edge_monitoring_referred": "转入低收入监测",
    "referral_recorded": "转介至其他救助项目",
    "job_refusal_recorded": "记录拒绝就业",
    "member_benefit_reduced": "核减个人份额",
    "fine_imposed": "处以罚款",
    "link_received": "收到关联案件的变化",
    "links_delivered": "通知同一人的其他案件",
    "enrolment_proposed": "主动发现，待乡镇确认",
    "allowance_reviewed": "乡镇审核（残疾人证）",
    "allowance_granted": "确认发放",
    "allowance_refused": "不予确认",
    "allowance_changed": "补贴/津贴调整",
    "allowance_review_opened": "启动复核",
    "payment_held": "未生存认证，暂停发放",
    "survival_check_recorded": "生存认证",
    "allowance_stopped": "停发",
    "application_forwarded": "跨省通办转递",
    "offsite_receipt_recorded": "跨省通办（外地受理）",
    # 特困 (S3)
    "eligibility_facts_recorded": "记录特困认定条件调查情况",
    "self_care_assessed": "生活自理能力评估",
    "self_care_change_reported": "报告生活自理能力变化",
    "support_form_chosen": "确定供养方式",
    "placement_waitlisted": "供养机构床位已满，登记轮候",
    "drawn_for_county_check": "县级随机抽查抽签",
    "schooling_recorded": "记录在校就读",
    "tekun_review_opened": "启动特困复核",
    "tekun_review_concluded": "复核完成，继续供养",
    "termination_proposed": "拟终止救助供养",
    "support_terminated": "终止救助供养决定",
    "termination_dropped": "决定不终止救助供养",
    "termination_notice_served": "书面告知终止理由",
    "intake_linked": "一门受理评估",
    # 临时救助
    "temporary_need_declared": "申报临时救助事由",
    "emergency_reported": "急难情况报告",
    "urgent_assistance_granted": "先行救助（备用金支出）",
    "emergency_eased": "急难情况已缓解",
    "urgent_grant_regularised": "补齐先行救助手续",
    "follow_up_opened": "转入跟进救助",
    "case_discussion_held": "一事一议审批会议",
    "repeat_assistance_justified": "说明重复救助理由",
    "temporary_assistance_approved": "批准临时救助",
    "instalments_cancelled": "取消后续分阶段救助",
    "temporary_assistance_completed": "临时救助发放完毕",
}

#: The outcome of an earlier case linked at intake (the read model's outcome codes).
OUTCOME_LABELS: dict[str, str] = {
    "approved": "确认同意",
    "rejected": "不予确认",
    "terminated": "终止审核确认",
    "withdrawn": "撤回申请",
    "exited": "退出保障",
    "forwarded": "已转办（跨省通办）",
}

NOTICE_LABELS: dict[str, str] = {
    "deficiency": "一次性告知书",
    "acceptance": "受理通知书",
    "publicity": "公示",
    "rejection": "不予确认通知书",
    "approval": "确认通知书",
    "publication": "公布",
    "benefit_change": "增发/减发通知书",
    "stop": "停发通知书",
    # 特困 (S3)
    "termination_publicity": "终止救助供养公示",
    "termination_decision": "终止救助供养决定书",
    # 残疾人两项补贴, 高龄津贴
    "subsidy_change": "补贴变更通知书",
    "band_change": "高龄津贴调档通知书",
    "suspension": "暂停发放通知书",
    "resumption": "恢复发放通知书",
}


def label(table: dict[str, str], code: str | None) -> str:
    """The label of ``code``, or the code itself when the table has none (never empty for a code)."""
    if code is None:
        return ""
    return table.get(code, code)
