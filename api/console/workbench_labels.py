"""zh-CN labels of the workbench pages (issue 19): household relations, and what the forms need."""

from __future__ import annotations

from domain.household import Relation

RELATION_LABELS: dict[str, str] = {
    Relation.APPLICANT: "申请人本人",
    Relation.SPOUSE: "配偶",
    Relation.CHILD: "子女",
    Relation.PARENT: "父母",
    Relation.SIBLING: "兄弟姐妹",
    Relation.GRANDPARENT: "祖父母、外祖父母",
    Relation.GRANDCHILD: "孙子女、外孙子女",
    Relation.OTHER_DEPENDANT: "其他共同生活的家庭成员",
}

#: The step each command takes, as staff name it. A command missing here shows the first sentence of its model's
#: docstring (a programme's new command appears in the console before it has a label).
COMMAND_LABELS: dict[str, str] = {
    "submit_application": "提交申请",
    "notify_missing_materials": "一次性告知需补正的材料",
    "accept_application": "受理申请",
    "start_investigation": "启动家庭经济状况调查",
    "record_home_visit": "登记入户调查",
    "record_neighbour_visit": "登记邻里访问",
    "record_letter_evidence": "登记信函索证",
    "request_info_check": "申请家庭经济状况信息核对",
    "notify_info_check_ineligible": "告知核对结果不符合条件",
    "object_to_check_result": "登记申请人对核对结果的异议（复查）",
    "decide_village_review": "决定是否民主评议",
    "record_democratic_appraisal": "登记民主评议",
    "issue_prelim_opinion": "出具初审意见",
    "start_publicity": "张贴公示",
    "log_objection": "登记公示异议",
    "resolve_objection": "处理公示异议",
    "submit_to_county": "报送县级审核确认",
    "start_county_review": "县级启动审核",
    "record_county_home_visit": "登记县级入户抽查",
    "log_complaint": "登记投诉举报",
    "resolve_complaint": "办结投诉举报",
    "approve": "确认同意",
    "reject": "不予确认同意",
    "serve_rejection_notice": "登记送达不予确认通知书",
    "post_publication": "张榜公布",
    "record_non_cooperation": "记录不配合调查",
    "terminate_for_non_cooperation": "因不配合终止审核确认",
    "extend_deadline": "延长办理时限",
    "withdraw_application": "登记撤回申请",
    "report_change": "登记家庭变化（保障期间）",
    "raise_data_alert": "登记数据比对预警",
    "amend_household": "变更家庭成员或申报（决定前）",
    "confirm_amendment": "确认数据比对提示的家庭变更",
    "open_ad_hoc_review": "启动专项复核",
    "decide_review": "作出复核决定",
    "record_job_refusal": "记录无正当理由拒绝就业",
    "reduce_member_share": "核减个人保障份额",
    "record_fraud_finding": "认定虚报冒领",
    "stop_benefit": "停发保障金",
    "serve_stop_notice": "登记送达停发通知书",
    "record_referral": "转介至其他救助项目",
}

#: Commands that are not the pending step itself but may be sent beside it (shown under 其他办理事项).
SIDE_COMMANDS = frozenset({
    "withdraw_application", "amend_household", "record_non_cooperation", "terminate_for_non_cooperation",
    "extend_deadline", "raise_data_alert", "confirm_amendment", "log_complaint", "report_change",
    "open_ad_hoc_review", "record_job_refusal", "reduce_member_share", "record_fraud_finding", "stop_benefit",
    "record_referral",
})

#: Field names across the command models, as staff name them; with a hint where one helps.
FIELD_LABELS: dict[str, tuple[str, str]] = {
    "items": ("需补正的材料", "一次列全；可通过政务平台获取的材料（户口簿、残疾证）不得要求申请人提供"),
    "close_relatives": ("近亲属备案", "家庭成员中有经办人员、村（居）委会成员近亲属的，逐人备案"),
    "member_index": ("家庭成员", ""),
    "related_to": ("近亲属关系对象", ""),
    "staff_id": ("相关工作人员工号", "经办人员的近亲属须填写其工号，该人员将回避本案"),
    "investigators": ("调查人员工号", "每行一个工号，至少两名不同人员"),
    "household_signed": ("家庭成员已签字确认", ""),
    "remote": ("重大突发事件期间以电话、视频方式调查", ""),
    "findings": ("调查情况", ""),
    "evidence_sha256": ("证据文件摘要（SHA-256）", "每行一个，可不填"),
    "notes": ("记录内容", ""),
    "reasons": ("理由", "每行一条"),
    "evidence": ("证据", ""),
    "disputed": ("群众对申请有争议", "有争议的须组织民主评议；无争议的可不评议，记录为决定"),
    "reason": ("理由", ""),
    "minutes": ("评议记录", ""),
    "attendance": ("参加人员", "工号或成员编号；村民代表请勾选"),
    "staff_or_member_id": ("工号或成员编号", ""),
    "villager_representative": ("村民代表", ""),
    "signed": ("参加人员已签字", ""),
    "conclusion": ("评议结论", ""),
    "eligible": ("初审意见", ""),
    "location": ("张贴地点", "如：村委会公示栏"),
    "notice_sha256": ("公示文本摘要（SHA-256）", "可不填"),
    "real_name": ("实名反映", "实名反映的须反馈处理结果"),
    "content": ("反映内容", ""),
    "path": ("处理方式", ""),
    "feedback_sent": ("已向实名反映人反馈", ""),
    "finding": ("核查结论", ""),
    "note": ("说明", ""),
    "ground": ("延期事由", ""),
    "members_joining": ("新增成员", ""),
    "members_leaving": ("减少成员", ""),
    "declaration": ("家庭收入和财产申报（变更后）", "不变更申报的留空"),
    "alert": ("预警类型", ""),
    "occurred_on": ("发生日期", ""),
    "source": ("数据来源", "如：公安户籍、殡葬、卫健"),
    "proposal_seq": ("待确认提示的序号", ""),
    "confirmed": ("确认该变更", "不予采纳的选“否”"),
    "gradual_exit_months": ("渐退期（月）", "可不填"),
    "income_from_employment": ("收入增加来自就业", ""),
    "override_reason": ("超过 6 个月渐退期的理由", ""),
    "offer": ("提供的就业岗位", ""),
    "good_reason": ("有正当理由", ""),
    "amount_obtained": ("骗取金额（元）", ""),
    "fine_multiple": ("罚款倍数（1-3 倍）", "可不填"),
    "reason_code": ("停发原因", ""),
    "on": ("发生日期", ""),
    "to_program": ("转介至", ""),
    "member_indexes": ("转介的家庭成员", ""),
}

#: Values of enumerations and literals in the command models.
OPTION_LABELS: dict[str, str] = {
    # materials (S1 Art. 9)
    "application_form": "申请书", "id_documents": "身份证件", "hukou_record": "户口簿",
    "income_property_declaration": "家庭收入和财产申报", "pledge": "承诺书",
    "check_authorisation": "家庭经济状况核对授权书", "power_of_attorney": "委托书",
    "disability_certificate": "残疾证", "medical_diagnosis": "诊断证明",
    # close relatives
    "case_worker": "经办人员", "village_committee_member": "村（居）委会成员", "public_official": "其他公职人员",
    # extension grounds
    "publicity_objection": "公示有异议", "household_separated": "人户分离", "off_site_application": "异地申办",
    "difficult_investigation": "调查难度大",
    # leaving / alerts
    "death": "死亡", "imprisonment": "服刑", "compulsory_rehabilitation": "强制隔离戒毒",
    "declared_missing": "宣告失踪", "moved_out": "迁出", "hukou_moved": "户籍迁移", "marriage": "婚姻变化",
    "relapse_monitoring": "返贫监测", "data_mismatch": "数据不符",
    # stop reasons
    "income_above_standard": "收入超过保障标准", "property_non_compliant": "财产不符合规定",
    "no_members": "无保障对象", "fraud": "虚报冒领", "voluntary_exit": "主动申请退出", "moved_away": "迁出本地",
    "non_cooperation": "不配合复核", "other": "其他",
    # literals
    "eligible": "符合条件（同意）", "ineligible": "不符合条件（不同意）",
    "reinvestigation": "重新调查", "democratic_appraisal": "组织民主评议",
    "true": "是", "false": "否",
}

#: Where the law is cited by source tag: the titles people cite (SPEC §0.2).
SOURCE_TITLES: dict[str, str] = {
    "S1": "《最低生活保障审核确认办法》",
    "S2": "《最低生活保障审核审批办法（试行）》",
    "S3": "《特困人员认定办法》",
    "S4": "《社会救助暂行办法》",
    "S5": "《关于改革完善社会救助制度的意见》",
    "S6": "《关于进一步做好最低生活保障等社会救助兜底工作的通知》",
    "S8": "《关于进一步加强和改进临时救助工作的意见》",
    "S9": "《国务院关于全面建立临时救助制度的通知》",
    "S10": "《刚性支出困难家庭认定办法》",
}

#: The fields of a new application (the console's intake form, generated from ``CaseCreate``).
FIELD_LABELS.update({
    "program": ("救助项目", ""),
    "village_code": ("村（社区）", "申请人户籍所在地（或经常居住地）的村（居）委会"),
    "area_type": ("城乡类别", "按城市或农村保障标准核算"),
    "members": ("共同生活的家庭成员", "第 1 行填申请人本人；身份证号输入时即校验"),
    "name": ("姓名", ""),
    "resident_id": ("身份证号", ""),
    "relation": ("与申请人关系", ""),
    "labour_capacity": ("劳动能力", ""),
    "disability_grade": ("残疾等级", "1-4 级，无则不填"),
    "serious_illness": ("重特大疾病", ""),
    "hukou_code": ("户籍地代码", "可不填"),
    "residence_code": ("居住地代码", "可不填"),
    "declaration.income": ("收入（申报期合计，元）", "工资、经营、财产性、转移性收入等"),
    "declaration.property": ("财产", "存款、证券、车辆、房屋等"),
    "kind": ("类别", ""),
    "amount": ("金额（元）", ""),
    "irregular": ("非经常性", ""),
    "value": ("价值（元）", ""),
    "count": ("数量", ""),
    "exempt_reason": ("豁免理由", "如：残疾人代步车"),
})

OPTION_LABELS.update({
    "urban": "城市", "rural": "农村", "dibao": "最低生活保障", "tekun": "特困人员救助供养",
    "temporary": "临时救助", "disability_subsidies": "残疾人两项补贴", "old_age_allowance": "高龄津贴",
    "full": "完全劳动能力", "partial": "部分劳动能力", "none": "无劳动能力",
    "wages": "工资性收入", "business_net": "经营净收入", "property_net": "财产净收入",
    "transfer_received": "转移性收入（收到）", "transfer_paid": "赡养费等支出", "preferential_benefit": "优待抚恤金",
    "family_planning_support": "计划生育奖励扶助金", "scholarship": "奖学金、助学金", "bravery_award": "见义勇为奖励",
    "social_assistance": "社会救助金", "basic_pension_base": "基础养老金", "rigid_expenditure": "刚性支出",
    "deposit": "存款", "securities": "有价证券", "commercial_insurance": "商业保险", "vehicle": "机动车辆",
    "house": "房屋", "business": "工商登记",
    **{str(k): v for k, v in RELATION_LABELS.items()},
})

#: The criteria of a household assessment (domain.benefit), as shown before an opinion or a decision.
CRITERION_LABELS: dict[str, str] = {
    "income.countable_total": "申报期可计算收入合计（元）",
    "income.per_capita_monthly": "家庭月人均收入（元）",
    "property.financial_assets_per_capita": "人均金融资产（元）",
    "property.vehicles": "机动车辆（辆）",
    "property.houses": "房屋（套）",
    "property.businesses": "工商登记（户）",
    "amount.gap_top_up": "补差后月保障金（元）",
}

# --- 特困人员救助供养 (S3; S4 Arts. 14-19) ---------------------------------------------------------------------
COMMAND_LABELS.update({
    "record_eligibility_facts": "记录特困认定条件调查情况",
    "record_self_care_assessment": "生活自理能力评估",
    "report_self_care_change": "报告生活自理能力变化",
    "choose_support_form": "确定供养方式",
    "wait_for_placement": "登记供养机构床位轮候",
    "record_county_check_draw": "记录县级随机抽查抽签",
    "record_schooling": "记录在校就读",
    "conclude_tekun_review": "复核完成，继续供养",
    "propose_termination": "拟终止救助供养",
    "decide_termination": "作出终止救助供养决定",
    "drop_termination": "决定不终止救助供养",
    "serve_termination_notice": "书面告知终止理由",
})
FIELD_LABELS.update({
    "disability_kind": ("残疾类别", "以残疾人证为准（《特困人员认定办法》第五条）"),
    "supporters": ("法定赡养、抚养、扶养义务人", "逐人填写；无履行义务能力的须注明情形（第八条）"),
    "inability": ("无履行义务能力情形", "不填表示具有履行义务能力"),
    "dibao_recipient": ("低保对象", ""),
    "annual_income": ("本人年收入（元）", "与当地上年人均可支配收入比较"),
    "property_within_low_income_rule": ("财产符合低收入家庭财产规定", ""),
    "signed_check_authorisation": ("已签署授权核查", "申请人及其法定义务人均须签署（第十条）"),
    "orphan_scheme_chosen": ("已选择孤儿、事实无人抚养儿童保障", "未成年人选择后不再认定为特困人员（第九条）"),
    "applicant_signed_check_authorisation": ("申请人已签署授权核查", ""),
    "contracted_land": ("拥有承包土地或参加农村集体经济收益分配", "给予农村特困人员待遇（第十九条）"),
    "relocated_to_town": ("易地扶贫搬迁至城镇", "给予城市特困人员待遇（第十九条）"),
    "failed_items": ("不能达到的项目", "自主吃饭、穿衣、上下床、如厕、室内行走、洗澡（第二十一条）"),
    "assessors": ("评估人员", ""),
    "third_party": ("受委托的第三方评估机构", ""),
    "form": ("供养方式", "由本人选择（《社会救助暂行办法》第十九条）"),
    "institution_id": ("供养服务机构", "床位已满时登记轮候"),
    "carer": ("照料服务人", "分散供养可登记"),
    "draw_id": ("抽签编号", ""),
    "seed": ("随机种子", "记录在案，可复核"),
    "township_code": ("乡镇（街道）", ""),
    "batch": ("参与抽签的案件", ""),
    "drawn": ("抽中的案件", "不低于30%（第十六条）"),
    "school_level": ("就读类别", ""),
    "expected_end": ("预计毕业日期", ""),
    "refer_to": ("转介至", "符合低保、临时救助条件的及时纳入（第二十七条）"),
    "referral_reason": ("转介理由", ""),
})
OPTION_LABELS.update({
    "intellectual": "智力残疾", "mental": "精神残疾", "physical": "肢体残疾", "visual": "视力残疾",
    "hearing": "听力残疾", "speech": "言语残疾", "multiple": "多重残疾",
    "in_prison": "在监狱服刑", "missing": "被宣告失踪", "no_civil_capacity": "无民事行为能力",
    "dibao_aged_60": "60周岁以上低保对象", "aged_70_low_income": "70周岁以上且收入低",
    "severe_disability_low_income": "重度残疾且收入低",
    "eating": "自主吃饭", "dressing": "自主穿衣", "bed_transfer": "自主上下床", "toileting": "自主如厕",
    "walking_indoors": "室内自主行走", "bathing": "自主洗澡",
    "dispersed": "分散供养", "centralised": "集中供养",
    "compulsory": "义务教育", "high_school": "普通高中", "secondary_vocational": "中等职业学校",
    "capacity_to_work": "具备或恢复劳动能力",
    "means_of_living": "收入和财产不再符合规定", "able_supporter": "法定义务人具有履行义务能力",
})
# 特困's termination names its ground (S3 Art. 24), not an extension's.
FIELD_LABELS.update({
    "propose_termination.ground": ("终止事由", "《特困人员认定办法》第二十四条所列情形"),
})
# ("ground", "death", "voluntary_exit" keep their labels above: 延期事由 / 死亡 / 主动申请退出 read well for 特困 too,
# whose termination grounds the form shows with the same option codes.)

# --- 残疾人两项补贴 and 高龄津贴 (SPEC §6.2, §6.3) --------------------------------------------------------------
COMMAND_LABELS.update({
    "review_allowance": "乡镇审核（核对残疾人证）",
    "confirm_allowance": "确认发放",
    "refuse_allowance": "不予确认",
    "forward_application": "跨省通办：转递申请",
    "record_forwarding_outcome": "登记跨省通办转递结果",
    "record_offsite_receipt": "跨省通办：登记外地受理",
    "record_survival_check": "登记生存认证",
    "decide_allowance_review": "作出复核决定",
    "stop_allowance": "停发补贴/津贴",
    "hold_payment": "暂停发放（逾期未生存认证）",
})

# --- 临时救助 (issue 16): its commands, fields and options on the workbench's forms ----------------------------
COMMAND_LABELS.update({
    "grant_urgent_assistance": "先行救助（备用金支出）",
    "record_emergency_eased": "记录急难情况已缓解",
    "regularise_urgent_grant": "补齐先行救助手续",
    "record_case_discussion": "记录一事一议会议",
    "justify_repeat_assistance": "说明重复救助理由",
    "approve_temporary_assistance": "批准临时救助",
    "cancel_instalments": "取消后续分阶段救助",
})
FIELD_LABELS.update({
    "in_kind": ("实物清单", "名称、数量、价值"),
    "what": ("物品名称", ""),
    "quantity": ("数量", ""),
    "registration": ("登记内容", "救助对象、救助事由、救助金额"),
    "signatures": ("经办和审批人员签字", "至少两人：经办人和审批人"),
    "sealed": ("已盖章", ""),
    "documents_sha256": ("证明材料（哈希）", ""),
    "follow_up": ("转入跟进救助", "急难缓解后按一般程序继续救助"),
    "referrals": ("转介", "转介至低保、特困、医疗救助或慈善"),
    "meeting_date": ("会议日期", "县级困难群众基本生活保障工作协调机制"),
    "decision": ("会议决定", ""),
    "justification": ("重复救助理由", ""),
    "instalments": ("分阶段发放安排", "每月至多一次，合计等于批准金额"),
    "from_index": ("自第几次起取消", "从0开始编号；已进入当月发放名册的不能取消"),
    "temporary": ("临时救助情形", ""),
})
OPTION_LABELS.update({"cash": "现金", "in_kind": "实物", "approve": "同意救助", "reject": "不予救助"})
CRITERION_LABELS.update({
    "temporary.emergency": "急难情形",
    "temporary.essential_expenditure": "生活必需支出（元）",
    "temporary.per_capita_income_below_disposable": "家庭人均年收入（元）",
    "temporary.dibao_or_tekun_household": "低保、特困家庭（仅核实必需支出）",
    "temporary.tier_amount": "分类分档救助金额（元）",
    "temporary.approved_amount": "批准救助金额（元）",
})

# --- 先行救助 on one page (issue 16 item 8): the emergency report's fields and options ------------------------
FIELD_LABELS.update({
    "temporary.kind": ("救助类型", "急难型：火灾、交通事故、突发重大疾病等"),
    "temporary.cause": ("困难原因", ""),
    "temporary.severity": ("困难程度", ""),
    "temporary.situation": ("基本情况", "发生了什么、现在需要什么（不写病情细节）"),
    "temporary.essential_expenditure": ("生活必需支出（元）", "支出型填写"),
    "temporary.on_dibao_or_tekun": ("低保或特困家庭", ""),
    "temporary.urgent": ("报告来源", ""),
})
OPTION_LABELS.update({
    "emergency": "急难型", "expenditure": "支出型",
    "fire": "火灾", "traffic_accident": "交通事故", "other_accident": "其他意外事故", "sudden_illness": "突发重大疾病",
    "other_sudden_difficulty": "其他突发困难", "education_expenditure": "教育支出", "medical_expenditure": "医疗支出",
    "other_essential_expenditure": "其他生活必需支出",
    "ordinary": "一般", "serious": "较重", "major": "重大",
    "self": "本人或家属求助", "village": "村（居）委会报告", "hotline": "热线电话",
    "discovered": "主动发现（数据比对）",
})
