"""Case state: the fold of a case's events (SPEC §3.2 stages)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from domain.household import AreaType, Member, Program


class Stage(StrEnum):
    """Lifecycle stages of a dibao case in the legal order of S1 (SPEC §3.1, §3.2)."""

    SUBMITTED = "submitted"  # 申请已提交, completeness check pending
    MATERIALS_INCOMPLETE = "materials_incomplete"  # 一次性告知, S1 Art. 10
    ACCEPTED = "accepted"  # 受理, T0, S1 Art. 10
    INVESTIGATING = "investigating"  # 家庭经济状况调查, S1 Arts. 15-17
    INFO_CHECK_NEGATIVE_NOTIFIED = "info_check_negative_notified"  # S1 Art. 18
    RECHECK = "recheck"  # 复查, S1 Art. 18
    PRELIM_OPINION_ISSUED = "prelim_opinion_issued"  # 初审意见, S1 Art. 19
    PUBLICITY = "publicity"  # 公示, S1 Art. 19
    OBJECTION_RECEIVED = "objection_received"  # S1 Art. 19
    REINVESTIGATION = "reinvestigation"  # S1 Art. 19 para 2
    DEMOCRATIC_APPRAISAL = "democratic_appraisal"  # 民主评议, S1 Art. 19 para 2
    SUBMITTED_TO_COUNTY = "submitted_to_county"
    COUNTY_REVIEW = "county_review"  # 审核确认, S1 Art. 20
    APPROVED = "approved"  # S1 Art. 21
    REJECTED = "rejected"  # S1 Art. 21
    TERMINATED_NONCOOPERATION = "terminated_noncooperation"  # S1 Art. 29
    WITHDRAWN = "withdrawn"
    IN_PAYMENT = "in_payment"  # 在保, S1 Arts. 21, 25
    EXITED = "exited"  # 退出/停保


#: Stages in which a case is finished and its workflow may complete.
CLOSED_STAGES = frozenset({Stage.REJECTED, Stage.TERMINATED_NONCOOPERATION, Stage.WITHDRAWN, Stage.EXITED})


class CaseState(BaseModel):
    """Everything the engine knows about a case, rebuilt by folding its events with :func:`domain.case.evolve`."""

    model_config = ConfigDict(frozen=True)

    case_id: UUID
    program: Program
    stage: Stage
    village_code: str
    township_code: str
    county_code: str
    area_type: AreaType
    members: tuple[Member, ...]
    version: int
    opened_at: datetime
    stage_since: datetime
    updated_at: datetime

    @property
    def is_closed(self) -> bool:
        return self.stage in CLOSED_STAGES
