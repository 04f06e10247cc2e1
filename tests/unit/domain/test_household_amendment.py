"""The household changes before the decision (issue 20 item 1).

S1 Art. 7 defines the household as the members living together and S1 Art. 9 binds them to what they declare; S6
§一(三) asks for a death to be acted on. A member who dies during the procedure is recorded as an amendment with
its evidence; the 初审意见 and the county's confirmation compute with the household as amended; an amendment
after the opinion that changes it sends the case back for a fresh opinion (S1 Art. 19) and, by the LOCAL
PARAMETER ``republish_after_amendment``, a fresh 公示. A data alert before the decision is a proposal the
township confirms or dismisses (S6 §三(二)).
"""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal
from uuid import uuid4

import pytest

from adapters.parameters import DEFAULT_BOOK
from domain import commands as c
from domain import events as e
from domain.actors import Actor, Role
from domain.errors import InvalidInput, InvalidTransition, NotPermitted
from domain.household import Member, Relation
from domain.kernel.context import SYSTEM_ACTOR, DecisionContext
from domain.parameters import ParameterBook, ResolvedParameters, resolve
from domain.programmes import CaseState, decide, pending_step, project
from domain.programmes.dibao.stages import Stage
from domain.verification import InfoCheckReport
from tests.builders import FIXED_NOW, application, resident_id, unique_resident_id
from tests.workflows.lifecycle import income_per_capita

WINDOW = Actor(id="w1", role=Role.FRONT_OFFICE, jurisdiction="532302101")
CASEWORKER = Actor(id="inv-01", role=Role.TOWNSHIP_CASEWORKER, jurisdiction="532302101")
APPROVER = Actor(id="tsa-01", role=Role.TOWNSHIP_APPROVER, jurisdiction="532302101")
COUNTY_REVIEWER = Actor(id="cr-01", role=Role.COUNTY_REVIEWER, jurisdiction="532302")
COUNTY_APPROVER = Actor(id="ca-01", role=Role.COUNTY_APPROVER, jurisdiction="532302")
VILLAGE = Actor(id="vc-01", role=Role.VILLAGE_COMMITTEE, jurisdiction="532302101001")
TEAM = ["inv-01", "inv-02"]


def _params(**values: object) -> ResolvedParameters:
    raw = json.loads(DEFAULT_BOOK.read_text(encoding="utf-8"))
    for version in raw["versions"]:
        version["values"].update(values)
    return resolve(ParameterBook.model_validate(raw), "532302101001", FIXED_NOW.date())


PARAMS = _params()


class Case:
    """A case driven through the pure domain, a minute per step."""

    def __init__(self, params: ResolvedParameters = PARAMS) -> None:
        self.params = params
        self.minute = 0
        self.state: CaseState | None = None
        self.events: list[e.EventBase] = []

    def do(self, actor: Actor, cmd: object, minutes: int = 1) -> list[e.EventBase]:
        self.minute += minutes
        ctx = DecisionContext(now=FIXED_NOW + timedelta(minutes=self.minute), actor=actor,
                              case_id=self.state.case_id if self.state else uuid4(), params=self.params)
        events = decide(self.state, cmd, ctx)
        self.state = project(events, self.state)
        self.events += events
        return events

    @property
    def s(self) -> CaseState:
        assert self.state is not None
        return self.state


def _three_persons() -> c.SubmitApplication:
    """A rural household of three: 100 yuan a head a month, far below the standard."""
    members = [
        Member(name="测试甲", resident_id=unique_resident_id(1950), relation=Relation.APPLICANT),
        Member(name="测试乙", resident_id=unique_resident_id(1952), relation=Relation.SPOUSE),
        Member(name="测试丙", resident_id=unique_resident_id(2012), relation=Relation.CHILD),
    ]
    return application(members=members, declaration=income_per_capita(Decimal(100), 3))


def _investigated(case: Case) -> None:
    case.do(WINDOW, _three_persons())
    case.do(WINDOW, c.AcceptApplication())
    case.do(CASEWORKER, c.StartInvestigation(investigators=TEAM))
    case.do(CASEWORKER, c.RecordHomeVisit(investigators=TEAM, household_signed=True, findings="入户"))
    case.do(CASEWORKER, c.RequestInfoCheck())
    case.do(SYSTEM_ACTOR, c.CompleteInfoCheck(report=InfoCheckReport()))
    case.do(APPROVER, c.DecideVillageReview(disputed=False, reason="无争议"))


def _in_publicity(case: Case) -> None:
    _investigated(case)
    case.do(APPROVER, c.IssuePrelimOpinion(eligible=True))
    case.do(CASEWORKER, c.StartPublicity(location="村务公开栏"))


DEATH = c.MemberLeaving(member_index=1, reason=c.LeaveReason.DEATH, on=FIXED_NOW.date())


def _died(note: str = "配偶病故") -> c.AmendHousehold:
    return c.AmendHousehold(members_leaving=[DEATH], evidence="死亡医学证明", note=note)


def test_a_death_during_the_investigation_is_recorded_and_the_opinion_counts_two() -> None:
    """S1 Art. 7 (the household is who lives together) and S6 §一(三): the amendment is recorded with its
    evidence and reason, and the 初审意见's assessment counts the two members who remain."""
    case = Case()
    _investigated(case)
    amended = case.do(CASEWORKER, _died())
    assert [ev.type for ev in amended] == ["household_amended"]
    assert amended[0].legal_basis == ("S1 Art. 7", "S1 Art. 9", "S6 §一(三)")
    assert amended[0].evidence == "死亡医学证明" and amended[0].reason == "配偶病故"
    assert case.s.counted_members == (0, 2)
    opinion = case.do(APPROVER, c.IssuePrelimOpinion(eligible=True))[0]
    assert opinion.assessment.household_size == 2


def test_the_county_confirms_the_amended_household_and_amount() -> None:
    """S1 Arts. 7, 20, 23: the issue's case — three persons at 1,045.00 became two; the county's decision
    computes with the two who remain, not with the household as it applied."""
    case = Case()
    _in_publicity(case)
    published = case.s.prelim_assessment
    assert published is not None and published.household_size == 3
    case.do(CASEWORKER, _died())
    assert case.s.stage is Stage.REINVESTIGATION, "the published opinion no longer holds (S1 Art. 19)"
    case.do(APPROVER, c.IssuePrelimOpinion(eligible=True))
    assert case.s.stage is Stage.PRELIM_OPINION_ISSUED, "published again by default"
    case.do(CASEWORKER, c.StartPublicity(location="村务公开栏"))
    case.do(SYSTEM_ACTOR, c.ClosePublicity(), minutes=9 * 24 * 60)
    case.do(COUNTY_REVIEWER, c.StartCountyReview())
    approved = case.do(COUNTY_APPROVER, c.Approve(reason="符合条件"))[0]
    assert approved.assessment.household_size == 2
    assert approved.monthly_amount < published.monthly_amount
    # the household's 3,600 a year now over two: 150 a head; (375 − 150) × 2, where three had (375 − 100) × 3
    assert (published.monthly_amount, approved.monthly_amount) == (Decimal("825.00"), Decimal("450.00"))


def test_an_amendment_after_the_opinion_that_changes_it_reopens_the_opinion() -> None:
    """S1 Art. 19: an amendment during the 公示 that changes the household size and amount stops the 公示 and
    sends the case back for a fresh opinion; the event names what changed."""
    case = Case()
    _in_publicity(case)
    events = case.do(CASEWORKER, _died())
    assert [ev.type for ev in events] == ["household_amended", "opinion_reopened_by_amendment"]
    reopened = events[1]
    assert reopened.legal_basis == ("S1 Art. 19",)
    assert (reopened.eligible_before, reopened.eligible_after, reopened.size_after) == (True, True, 2)
    assert reopened.amount_after < reopened.amount_before
    assert case.s.stage is Stage.REINVESTIGATION


def test_without_republication_the_fresh_opinion_goes_straight_to_the_county() -> None:
    """LOCAL PARAMETER republish_after_amendment = false: the fresh opinion is not published again."""
    case = Case(_params(republish_after_amendment=False))
    _in_publicity(case)
    case.do(CASEWORKER, _died())
    events = case.do(APPROVER, c.IssuePrelimOpinion(eligible=True))
    assert [ev.type for ev in events] == ["prelim_opinion_issued", "case_submitted_to_county"]


def test_an_amendment_that_changes_nothing_the_opinion_said_leaves_it_standing() -> None:
    """S1 Art. 19: a declaration corrected without changing eligibility, size or amount keeps the 公示."""
    case = Case()
    _in_publicity(case)
    same = case.s.declaration
    events = case.do(WINDOW, c.AmendHousehold(declaration=same, evidence="收入证明", note="补充申报材料"))
    assert [ev.type for ev in events] == ["household_amended"]
    assert case.s.stage is Stage.PUBLICITY


def test_a_member_born_during_the_procedure_joins_the_household() -> None:
    """S1 Art. 7: a child born during the procedure lives with the household and counts."""
    case = Case()
    _investigated(case)
    baby = Member(name="测试丁", resident_id=resident_id(birth="20261020", seq="417"), relation=Relation.CHILD)
    case.do(WINDOW, c.AmendHousehold(members_joining=[baby], evidence="出生医学证明", note="新生儿"))
    assert len(case.s.counted_members) == 4
    assert case.do(APPROVER, c.IssuePrelimOpinion(eligible=True))[0].assessment.household_size == 4


def test_a_data_alert_before_the_decision_is_a_proposal_the_township_confirms() -> None:
    """S6 §三(二) with S1 Art. 7: a funeral-data match lands on a case not yet decided as a proposed amendment;
    no opinion is taken until the township confirms it, and confirming amends the household."""
    case = Case()
    _investigated(case)
    alert = c.RaiseDataAlert(alert=c.AlertType.DEATH, member_index=1, occurred_on=FIXED_NOW.date(),
                             source="民政殡葬数据比对")
    proposed = case.do(COUNTY_REVIEWER, alert)
    assert [ev.type for ev in proposed] == ["amendment_proposed"]
    assert case.s.counted_members == (0, 1, 2), "an alert alone changes no household"
    step = pending_step(case.s)
    assert step is not None and step.step == "confirm_amendment"
    with pytest.raises(InvalidTransition, match="awaits the township"):
        case.do(APPROVER, c.IssuePrelimOpinion(eligible=True))
    with pytest.raises(InvalidTransition, match="awaits the township"):
        case.do(COUNTY_REVIEWER, alert)
    confirmed = case.do(CASEWORKER, c.ConfirmAmendment(proposal_seq=proposed[0].seq, confirmed=True,
                                                       note="经核实，该成员已死亡"))
    assert [ev.type for ev in confirmed] == ["household_amended"]
    assert confirmed[0].proposal_seq == proposed[0].seq
    assert case.s.counted_members == (0, 2)
    assert case.do(APPROVER, c.IssuePrelimOpinion(eligible=True))[0].assessment.household_size == 2


def test_the_township_may_dismiss_a_wrong_match_with_reasons() -> None:
    """S6 §三(二): a match is checked, not obeyed; a dismissal is recorded with its reason."""
    case = Case()
    _investigated(case)
    proposed = case.do(COUNTY_REVIEWER, c.RaiseDataAlert(alert=c.AlertType.DEATH, member_index=2,
                                                         occurred_on=FIXED_NOW.date(), source="公安户籍注销"))
    dismissed = case.do(APPROVER, c.ConfirmAmendment(proposal_seq=proposed[0].seq, confirmed=False,
                                                     note="入户核实，该成员健在，系同名误匹配"))
    assert [ev.type for ev in dismissed] == ["amendment_dismissed"]
    assert case.s.counted_members == (0, 1, 2)
    assert pending_step(case.s).step != "confirm_amendment"


def test_bad_amendments_are_refused_and_change_nothing() -> None:
    """S1 Art. 7: only members who still count can leave; the last member cannot be amended away (the
    application is withdrawn instead); the village committee does not amend; nothing after the decision."""
    case = Case()
    _investigated(case)
    before = case.s
    with pytest.raises(InvalidInput) as err:
        case.do(CASEWORKER, c.AmendHousehold(members_leaving=[c.MemberLeaving(member_index=7, reason="death")],
                                             evidence="死亡医学证明", note="x"))
    assert err.value.field == ("members_leaving", 0, "member_index")
    with pytest.raises(InvalidInput):
        case.do(CASEWORKER, c.AmendHousehold(evidence="无", note="什么也没变"))
    everyone = [c.MemberLeaving(member_index=i, reason=c.LeaveReason.MOVED_OUT) for i in range(3)]
    with pytest.raises(InvalidInput, match="withdrawal"):
        case.do(CASEWORKER, c.AmendHousehold(members_leaving=everyone, evidence="户口迁出证明", note="全户迁出"))
    with pytest.raises(NotPermitted):
        case.do(VILLAGE, _died())
    assert case.s == before


def test_no_amendment_once_decided() -> None:
    """S1 Art. 30: after the decision a change is reported and reviewed, not amended."""
    case = Case()
    _in_publicity(case)
    case.do(SYSTEM_ACTOR, c.ClosePublicity(), minutes=9 * 24 * 60)
    case.do(COUNTY_REVIEWER, c.StartCountyReview())
    case.do(COUNTY_APPROVER, c.Approve(reason="符合条件"))
    with pytest.raises(InvalidTransition):
        case.do(CASEWORKER, _died())


def test_objections_to_the_reopened_opinion_are_answered_by_the_fresh_one() -> None:
    """S1 Art. 19 para 2: an objection logged against an opinion the amendment voided is answered by the fresh
    investigation and opinion; it does not block the county's decision on the new one."""
    case = Case()
    _in_publicity(case)
    case.do(CASEWORKER, c.LogObjection(real_name=True, content="反映该户配偶已去世"))
    case.do(CASEWORKER, _died())
    assert case.s.stage is Stage.REINVESTIGATION and case.s.open_objections == 0
    case.do(APPROVER, c.IssuePrelimOpinion(eligible=True))
    case.do(CASEWORKER, c.StartPublicity(location="村务公开栏"))
    case.do(SYSTEM_ACTOR, c.ClosePublicity(), minutes=9 * 24 * 60)
    assert case.s.stage is Stage.SUBMITTED_TO_COUNTY


def test_the_approval_notice_names_the_household_the_amount_is_for() -> None:
    """S1 Arts. 7, 23: after a death during the procedure the 确认通知书 prints two persons beside the amount
    for two, not the three who applied."""
    from domain.programmes import notice_for

    case = Case()
    _investigated(case)
    case.do(CASEWORKER, _died())
    case.do(APPROVER, c.IssuePrelimOpinion(eligible=True))
    case.do(CASEWORKER, c.StartPublicity(location="村务公开栏"))
    case.do(SYSTEM_ACTOR, c.ClosePublicity(), minutes=9 * 24 * 60)
    case.do(COUNTY_REVIEWER, c.StartCountyReview())
    case.do(COUNTY_APPROVER, c.Approve(reason="符合条件"))
    notice = notice_for(case.s, "approval")
    assert (notice.household_size, notice.monthly_amount) == (2, Decimal("450.00"))
