"""The stages of a 高龄津贴 case: found in the hukou data (主动发现), confirmed by the township, paid monthly,
held while a survival check is missed (SPEC §6.3)."""

from __future__ import annotations

from enum import StrEnum


class Stage(StrEnum):
    PROPOSED = "proposed"  # 主动发现: opened from the hukou extract, for the township to confirm
    IN_PAYMENT = "in_payment"
    PAYMENT_HELD = "payment_held"  # survival check missed: payment held (not stopped), owed once checked
    REJECTED = "rejected"  # the township found the person not entitled (e.g. not living here)
    EXITED = "exited"  # stopped (death, moved away)


ACTIVE_STAGES = frozenset({Stage.IN_PAYMENT, Stage.PAYMENT_HELD})
STAGE_LABELS: dict[Stage, str] = {
    Stage.PROPOSED: "待乡镇确认（主动发现）",
    Stage.IN_PAYMENT: "津贴发放中",
    Stage.PAYMENT_HELD: "暂停发放（未生存认证）",
    Stage.REJECTED: "不予确认",
    Stage.EXITED: "停发",
}
