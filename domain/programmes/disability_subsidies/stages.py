"""The stages of a 两项补贴 case (S12; SPEC §6.2: application at the township window, township review, county
confirmation, monthly payment), with 跨省通办 forwarding."""

from __future__ import annotations

from enum import StrEnum


class Stage(StrEnum):
    SUBMITTED = "submitted"  # 申请 at the township window (S12)
    TOWNSHIP_REVIEWED = "township_reviewed"  # 乡镇审核: certificate checked, opinion given
    IN_PAYMENT = "in_payment"  # 县级确认: granted, paid monthly
    UNDER_REVIEW = "under_review"  # 复核 (e.g. the household left dibao); still paid
    FORWARDED = "forwarded"  # 跨省通办: forwarded to the hukou place; closes with its outcome
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"
    EXITED = "exited"  # stopped (death, no longer eligible)


ACTIVE_STAGES = frozenset({Stage.IN_PAYMENT, Stage.UNDER_REVIEW})
STAGE_LABELS: dict[Stage, str] = {
    Stage.SUBMITTED: "已提交申请",
    Stage.TOWNSHIP_REVIEWED: "乡镇已审核",
    Stage.IN_PAYMENT: "补贴发放中",
    Stage.UNDER_REVIEW: "复核中",
    Stage.FORWARDED: "跨省通办已转递",
    Stage.REJECTED: "不予确认",
    Stage.WITHDRAWN: "撤回申请",
    Stage.EXITED: "停发",
}
