"""回避 (recusal) of staff filed as close relatives, in the pure domain (issue 20 item 3).

S1 Art. 11 makes the township file (单独登记备案) a household one of whose members is a close relative of a dibao
case worker or of a village committee member. No article of S1 or S4 names 回避 itself; the engine draws it from
that filing and the fairness both texts require (S1 Art. 3; S4 Art. 2 para 2: 公开、公平、公正): the filing names
the staff member, who then takes no step on the case and may not be named in its investigation team. S1 Art. 20
para 2 (the county's own home visit for a filed case) stays as it was.

The case is driven by ``decide`` and ``project`` only; the staff ids are those of tests.workflows.lifecycle,
plus ``inv-07`` (a township caseworker, the applicant's brother) and ``ca-02`` (a second county approver).
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest

from adapters.parameters import DEFAULT_BOOK
from domain import commands as c
from domain import events as e
from domain.actors import Actor, Role
from domain.errors import ConflictOfInterest, InvalidInput, InvalidTransition, NotPermitted
from domain.kernel.context import SYSTEM_ACTOR, DecisionContext
from domain.parameters import ParameterBook, resolve
from domain.programmes import CaseState, decide, project
from domain.programmes.dibao.stages import Stage
from domain.verification import InfoCheckReport
from tests.builders import FIXED_NOW, JINSHAN, application
from tests.standard_change_cases import book_with_version, load_book

COUNTY = "532302"
BOOK = ParameterBook.model_validate(json.loads(DEFAULT_BOOK.read_text()))
PARAMS = resolve(BOOK, "532302101001", FIXED_NOW.date())

WINDOW = Actor(id="window-01", role=Role.FRONT_OFFICE, jurisdiction=JINSHAN)
WINDOW_2 = Actor(id="window-02", role=Role.FRONT_OFFICE, jurisdiction=JINSHAN)
CASEWORKER = Actor(id="inv-01", role=Role.TOWNSHIP_CASEWORKER, jurisdiction=JINSHAN)
RELATIVE = Actor(id="inv-07", role=Role.TOWNSHIP_CASEWORKER, jurisdiction=JINSHAN)  # the applicant's brother
TOWNSHIP_APPROVER = Actor(id="tsa-01", role=Role.TOWNSHIP_APPROVER, jurisdiction=JINSHAN)
COUNTY_REVIEWER = Actor(id="cr-01", role=Role.COUNTY_REVIEWER, jurisdiction=COUNTY)
COUNTY_APPROVER = Actor(id="ca-01", role=Role.COUNTY_APPROVER, jurisdiction=COUNTY)
COUNTY_APPROVER_2 = Actor(id="ca-02", role=Role.COUNTY_APPROVER, jurisdiction=COUNTY)
TEAM = ["inv-01", "inv-02"]

BROTHER = c.CloseRelative(member_index=0, related_to="case_worker", note="申请人之兄为民政所经办人员",
                          staff_id="inv-07")


class Case:
    """One dibao case driven by ``decide``, a minute per step."""

    def __init__(self) -> None:
        self.case_id: UUID = uuid4()
        self.now: datetime = FIXED_NOW
        self.state: CaseState | None = None

    def ctx(self, who: Actor) -> DecisionContext:
        return DecisionContext(now=self.now, actor=who, case_id=self.case_id, params=PARAMS)

    def do(self, who: Actor, command: Any) -> list[e.CaseEvent]:
        self.now += timedelta(minutes=1)
        events = decide(self.state, command, self.ctx(who))
        self.state = project(events, self.state)
        return events

    def refused(self, who: Actor, command: Any) -> Exception:
        """``command`` by ``who`` is refused and changes nothing."""
        before = self.state.model_dump_json() if self.state else None
        with pytest.raises(Exception) as caught:  # noqa: PT011 - the caller checks the type
            decide(self.state, command, self.ctx(who))
        assert (self.state.model_dump_json() if self.state else None) == before
        return caught.value  # type: ignore[no-any-return]


def accepted(*relatives: c.CloseRelative) -> Case:
    case = Case()
    case.do(WINDOW, application())
    case.do(WINDOW, c.AcceptApplication(close_relatives=list(relatives)))
    return case


def investigated(case: Case) -> Case:
    """The township's investigation by a team without the relative, up to the information check's result."""
    case.do(CASEWORKER, c.StartInvestigation(investigators=TEAM))
    case.do(CASEWORKER, c.RecordHomeVisit(investigators=TEAM, household_signed=True, findings="入户核实"))
    case.do(CASEWORKER, c.RequestInfoCheck())
    case.do(SYSTEM_ACTOR, c.CompleteInfoCheck(report=InfoCheckReport()))
    return case


def at_county_review(case: Case) -> Case:
    investigated(case)
    case.do(TOWNSHIP_APPROVER, c.DecideVillageReview(disputed=False, reason="无争议"))
    case.do(TOWNSHIP_APPROVER, c.IssuePrelimOpinion(eligible=True))
    case.do(CASEWORKER, c.StartPublicity(location="村务公开栏"))
    case.now += timedelta(days=8)
    case.do(SYSTEM_ACTOR, c.ClosePublicity())
    case.do(COUNTY_REVIEWER, c.StartCountyReview())
    return case


def conflict(err: Exception) -> ConflictOfInterest:
    assert isinstance(err, ConflictOfInterest), repr(err)
    assert isinstance(err, NotPermitted), "a 403 like every NotPermitted"
    assert err.code == "conflict_of_interest"
    assert "回避" in err.message
    return err


# --- the filing names the staff member --------------------------------------------------------------------


def test_the_filing_names_the_staff_member_who_is_recused_from_then_on() -> None:
    """S1 Art. 11: the filing at 受理 names the staff member (their actor id); a ``staff_recused`` decision follows
    the filing, citing S1 Art. 11 with the fairness principle (S1 Art. 3; S4 Art. 2), and the case's state keeps
    the recused ids. A filing that names nobody recuses nobody (commands recorded before stay valid)."""
    case = Case()
    case.do(WINDOW, application())
    events = case.do(WINDOW, c.AcceptApplication(close_relatives=[
        BROTHER,
        c.CloseRelative(member_index=1, related_to="village_committee_member", note="申请人之子之舅为村委会委员"),
        c.CloseRelative(member_index=1, related_to="case_worker", note="同一经办人员", staff_id=" inv-07 "),
    ]))

    assert [ev.type for ev in events] == ["application_accepted", "close_relative_filed", "staff_recused",
                                          "close_relative_filed", "close_relative_filed", "staff_recused"]
    recused = [ev for ev in events if isinstance(ev, e.StaffRecused)]
    assert [(r.staff_id, r.member_index, r.related_to) for r in recused] == [
        ("inv-07", 0, "case_worker"), ("inv-07", 1, "case_worker")]
    assert recused[0].legal_basis == ("S1 Art. 11", "S1 Art. 3", "S4 Art. 2")
    assert recused[0].reason is None, "the household note stays on the filing (withheld from the trail)"
    assert recused[0].actor == WINDOW
    assert case.state is not None
    assert case.state.recused_staff == ("inv-07",)
    assert case.state.close_relatives == (0, 1, 1)

    unnamed = accepted(c.CloseRelative(member_index=0, related_to="village_committee_member", note="村委会委员"))
    assert unnamed.state is not None and unnamed.state.recused_staff == ()
    assert unnamed.state.close_relatives == (0,)


def test_the_window_officer_the_filing_names_may_not_accept_the_case() -> None:
    """S1 Art. 11 (filing at 受理) and 回避: the window officer who is the relative cannot accept the household's
    application; another officer of the window can. A blank staff id is refused as content."""
    case = Case()
    case.do(WINDOW, application())
    self_filed = c.CloseRelative(member_index=0, related_to="case_worker", note="受理人员之妹", staff_id="window-01")

    err = conflict(case.refused(WINDOW, c.AcceptApplication(close_relatives=[self_filed])))
    assert err.field == ("close_relatives", 0, "staff_id")
    blank = c.CloseRelative(member_index=0, related_to="case_worker", note="空白", staff_id="  ")
    assert isinstance(case.refused(WINDOW_2, c.AcceptApplication(close_relatives=[blank])), InvalidInput)

    events = case.do(WINDOW_2, c.AcceptApplication(close_relatives=[self_filed]))
    assert events[-1].type == "staff_recused"
    assert case.state is not None and case.state.recused_staff == ("window-01",)
    conflict(case.refused(WINDOW, c.WithdrawApplication(reason="申请人撤回")))


# --- every command of the recused staff member is refused --------------------------------------------------


def test_every_command_of_the_recused_staff_member_on_the_case_is_refused() -> None:
    """回避 after the S1 Art. 11 filing: whatever the step — the investigation (S1 Arts. 15-16), evidence, the
    information check (Art. 17), non-cooperation (Art. 29), a withdrawal — the relative's command is refused
    with ``conflict_of_interest`` (a 403) before any rule of the step, even in a stage where it would be
    refused anyway; the same command by a colleague goes through."""
    case = accepted(BROTHER)

    for command in (
        c.StartInvestigation(investigators=["inv-01", "inv-02"]),
        c.RecordNeighbourVisit(notes="走访邻居"),
        c.RequestInfoCheck(),
        c.RecordNonCooperation(note="拒绝入户"),
        c.Approve(reason="越权"),
    ):
        conflict(case.refused(RELATIVE, command))
    case.do(CASEWORKER, c.StartInvestigation(investigators=TEAM))
    conflict(case.refused(RELATIVE, c.RecordHomeVisit(investigators=TEAM, household_signed=True, findings="入户")))
    case.do(CASEWORKER, c.RecordHomeVisit(investigators=TEAM, household_signed=True, findings="入户"))
    assert case.state is not None and case.state.stage is Stage.INVESTIGATING


def test_a_recused_approver_is_refused_at_the_township_and_at_the_county() -> None:
    """回避 at every level (S1 Art. 11 filing): a relative who is the township approver may not issue the 初审意见
    (S1 Art. 19), one who is a county approver may not confirm (S1 Arts. 20-21); colleagues may."""
    relatives = [
        c.CloseRelative(member_index=0, related_to="public_official", note="乡镇审核人员", staff_id="tsa-01"),
        c.CloseRelative(member_index=1, related_to="public_official", note="县级审批人员", staff_id="ca-01"),
    ]
    case = Case()
    case.do(WINDOW, application())
    enabled = PARAMS.model_copy(update={"values": PARAMS.values.model_copy(
        update={"close_relatives_of_public_officials": True})})
    case.now += timedelta(minutes=1)
    events = decide(case.state, c.AcceptApplication(close_relatives=relatives),
                    DecisionContext(now=case.now, actor=WINDOW, case_id=case.case_id, params=enabled))
    case.state = project(events, case.state)
    assert case.state is not None and case.state.recused_staff == ("tsa-01", "ca-01")
    investigated(case)

    conflict(case.refused(TOWNSHIP_APPROVER, c.DecideVillageReview(disputed=False, reason="无争议")))
    other_approver = Actor(id="tsa-02", role=Role.TOWNSHIP_APPROVER, jurisdiction=JINSHAN)
    case.do(other_approver, c.DecideVillageReview(disputed=False, reason="无争议"))
    case.do(other_approver, c.IssuePrelimOpinion(eligible=True))
    case.do(CASEWORKER, c.StartPublicity(location="村务公开栏"))
    case.now += timedelta(days=8)
    case.do(SYSTEM_ACTOR, c.ClosePublicity())
    case.do(COUNTY_REVIEWER, c.StartCountyReview())
    case.do(COUNTY_REVIEWER, c.RecordCountyHomeVisit(investigators=["cr-01", "cr-02"], findings="县级入户核查"))

    conflict(case.refused(COUNTY_APPROVER, c.Approve(reason="符合条件")))
    case.do(COUNTY_APPROVER_2, c.Approve(reason="符合条件"))
    assert case.state.stage is Stage.APPROVED


# --- naming the recused staff member in a team -------------------------------------------------------------


def test_an_investigation_team_naming_the_recused_staff_member_is_refused() -> None:
    """S1 Art. 16 (a team of at least two) under 回避 (S1 Art. 11 filing): a team, a home visit's investigators
    or a county home-visit team (S1 Art. 20) that names the relative is refused, the field naming the entry
    (whitespace around the id changes nothing); so is a 民主评议 (S1 Art. 19) he attended."""
    case = accepted(BROTHER)

    err = conflict(case.refused(CASEWORKER, c.StartInvestigation(investigators=["inv-01", "inv-07"])))
    assert err.field == ("investigators", 1)
    assert "inv-07" not in err.message, "the message names no one"
    case.do(CASEWORKER, c.StartInvestigation(investigators=TEAM))
    err = conflict(case.refused(CASEWORKER, c.RecordHomeVisit(investigators=[" inv-07", "inv-01"],
                                                              household_signed=True, findings="入户")))
    assert err.field == ("investigators", 0)
    case.do(CASEWORKER, c.RecordHomeVisit(investigators=TEAM, household_signed=True, findings="入户"))
    case.do(CASEWORKER, c.RequestInfoCheck())
    case.do(SYSTEM_ACTOR, c.CompleteInfoCheck(report=InfoCheckReport()))
    case.do(TOWNSHIP_APPROVER, c.DecideVillageReview(disputed=True, reason="村民有不同意见"))
    attendance = [c.Attendee(staff_or_member_id=f"rep-{i}", villager_representative=True) for i in range(3)]
    err = conflict(case.refused(CASEWORKER, c.RecordDemocraticAppraisal(
        minutes="评议", attendance=[*attendance, c.Attendee(staff_or_member_id="inv-07",
                                                          villager_representative=False)],
        signed=True, conclusion="eligible")))
    assert err.field == ("attendance", 3, "staff_or_member_id")
    case.do(CASEWORKER, c.RecordDemocraticAppraisal(minutes="评议", attendance=attendance, signed=True,
                                                    conclusion="eligible"))
    case.do(TOWNSHIP_APPROVER, c.IssuePrelimOpinion(eligible=True))
    case.do(CASEWORKER, c.StartPublicity(location="村务公开栏"))
    case.now += timedelta(days=8)
    case.do(SYSTEM_ACTOR, c.ClosePublicity())
    case.do(COUNTY_REVIEWER, c.StartCountyReview())
    err = conflict(case.refused(COUNTY_REVIEWER, c.RecordCountyHomeVisit(investigators=["cr-01", "inv-07"],
                                                                         findings="县级入户")))
    assert err.field == ("investigators", 1)


# --- what stays --------------------------------------------------------------------------------------------


def test_the_county_home_visit_stays_mandatory_for_a_case_with_a_recused_relative() -> None:
    """S1 Art. 20 para 2 (with Art. 11): the filed case — the relative now recused — is confirmed only after the
    county's own home visit, by staff other than the relative."""
    case = at_county_review(accepted(BROTHER))
    assert case.state is not None and case.state.recused_staff == ("inv-07",)

    err = case.refused(COUNTY_APPROVER, c.Approve(reason="符合条件"))
    assert isinstance(err, InvalidTransition) and "home visit" in str(err)
    case.do(COUNTY_REVIEWER, c.RecordCountyHomeVisit(investigators=["cr-01", "cr-02"], findings="县级入户核查属实"))
    case.do(COUNTY_APPROVER, c.Approve(reason="经县级入户核查符合条件"))
    assert case.state.stage is Stage.APPROVED


def test_the_engine_and_a_standard_change_are_not_recused(tmp_path: Any) -> None:
    """回避 binds people deciding on the household (S1 Art. 11 filing): the engine's own steps (the information
    check's result, S1 Art. 17; the 公示's close, Art. 19) go on, and a standard change the county approver
    applies to every case alike (物价联动, S4 Art. 10) reaches this household even if that approver is recused —
    while the approver's own commands on it, such as opening a review (S1 Art. 31), are refused."""
    filed = c.CloseRelative(member_index=0, related_to="public_official", note="县级审批人员", staff_id="ca-01")
    case = Case()
    case.do(WINDOW, application())
    enabled = PARAMS.model_copy(update={"values": PARAMS.values.model_copy(
        update={"close_relatives_of_public_officials": True})})
    case.now += timedelta(minutes=1)
    case.state = project(decide(case.state, c.AcceptApplication(close_relatives=[filed]),
                                DecisionContext(now=case.now, actor=WINDOW, case_id=case.case_id, params=enabled)),
                         case.state)
    at_county_review(case)
    case.do(COUNTY_REVIEWER, c.RecordCountyHomeVisit(investigators=["cr-01", "cr-02"], findings="县级入户核查"))
    case.do(COUNTY_APPROVER_2, c.Approve(reason="符合条件"))
    case.do(CASEWORKER, c.PostPublication(location="村务公开栏"))
    assert case.state is not None and case.state.stage is Stage.IN_PAYMENT

    conflict(case.refused(COUNTY_APPROVER, c.OpenAdHocReview(reason="核查")))
    version = "532302-test-recusal"
    book = load_book(book_with_version(tmp_path / "book.json", version, date(2026, 12, 1), rural="420.00",
                                       urban="700.00"))
    params = resolve(book, case.state.village_code, date(2026, 12, 1))
    events = decide(case.state, c.ApplyStandardChange(version=version, effective_from=date(2026, 12, 1)),
                    DecisionContext(now=case.now, actor=COUNTY_APPROVER, case_id=case.case_id, params=params))
    assert [ev.type for ev in events][:1] == ["benefit_recalculated"]
