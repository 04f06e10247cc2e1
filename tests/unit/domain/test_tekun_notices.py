"""特困's notices (S3 Arts. 12, 15, 17, 18, 26): each issued at its step, public ones with the SPEC §9 whitelist
only, and each renders as a printable page."""

from __future__ import annotations

from decimal import Decimal

import pytest

from adapters.rendering.notices import render_notice
from domain import commands as c
from domain.commands import AdlItem, DisabilityKind, TerminationGround
from domain.errors import InvalidTransition
from domain.programmes import notice_for
from tests.unit.domain.tekun_support import (
    CASEWORKER,
    COUNTY_APPROVER,
    COUNTY_REVIEWER,
    TOWNSHIP_APPROVER,
    Driver,
    apply,
)


def test_s3_notices_through_recognition_and_termination() -> None:
    d = Driver()
    d.investigated(apply(), c.RecordEligibilityFacts(disability_kind=DisabilityKind.PHYSICAL, disability_grade=2))
    with pytest.raises(InvalidTransition):
        notice_for(d.state, "approval")
    acceptance = render_notice(notice_for(d.state, "acceptance"))
    assert "特困人员救助供养申请受理通知书" in acceptance and "第十二条" in acceptance
    d.assessed((AdlItem.BATHING,), "centralised", "jinshan-home")
    d.published()
    d.drawn(False)
    d.do(COUNTY_REVIEWER, c.StartCountyReview())
    d.do(COUNTY_APPROVER, c.Approve(reason="符合条件"))
    publicity = notice_for(d.state, "publicity")
    html = render_notice(publicity)
    assert "特困人员认定初审意见公示" in html and "特困甲" in html
    assert d.state.members[0].resident_id not in html and "肢体" not in html and "照料" not in html
    approval = render_notice(notice_for(d.state, "approval"))
    assert "832.00" in approval and "400.00" in approval and "集中供养" in approval
    d.do(CASEWORKER, c.PostPublication(location="村务公开栏"))
    assert "特困人员认定结果公布" in render_notice(notice_for(d.state, "publication"))
    d.do(CASEWORKER, c.ProposeTermination(ground=TerminationGround.DEATH, reasons=["经核实本人已死亡"]))
    d.do(CASEWORKER, c.StartPublicity(location="敬老院公示栏"))
    term = render_notice(notice_for(d.state, "termination_publicity"))
    assert "拟终止特困人员救助供养公示" in term and "经核实本人已死亡" not in term  # the ground is not public
    d.close_publicity()
    d.do(COUNTY_APPROVER, c.DecideTermination(reasons=["经核实本人已死亡"]))
    decision = notice_for(d.state, "termination_decision", events=d.events)
    assert decision.effective_month == "2026-12" and decision.reasons == ["经核实本人已死亡"]
    assert "终止特困人员救助供养决定书" in render_notice(decision)
    assert d.state.amount_for("2026-12") is None and d.state.amount_for("2026-11") is None
    assert d.state.monthly_amount == Decimal("1232.00")


def test_s3_art_18_refusal_notice() -> None:
    d = Driver()
    d.investigated(apply(age=45))
    d.do(TOWNSHIP_APPROVER, c.DecideVillageReview(disputed=False, reason="无争议"))
    d.do(TOWNSHIP_APPROVER, c.IssuePrelimOpinion(eligible=False, reasons=["具有劳动能力"]))
    d.do(CASEWORKER, c.SubmitToCounty())
    d.drawn(False)
    d.do(COUNTY_REVIEWER, c.StartCountyReview())
    d.do(COUNTY_APPROVER, c.Reject(reasons=["申请人45周岁，无残疾，具有劳动能力（S3 Art. 5）"]))
    html = render_notice(notice_for(d.state, "rejection"))
    assert "不予认定" in html and "第十八条" in html and "具有劳动能力" in html
