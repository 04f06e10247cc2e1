"""Confirmation devolved to the township (S1 Art. 2; S6 §四(一)): the township confirms, within 20 wd."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal
from uuid import uuid4

import pytest

from adapters.parameters import DEFAULT_BOOK
from domain import commands as c
from domain.actors import Actor, Role
from domain.errors import NotPermitted
from domain.kernel.context import SYSTEM_ACTOR, DecisionContext
from domain.parameters import ParameterBook, ResolvedParameters, resolve
from domain.programmes import CaseState, decide, project
from domain.programmes.dibao.deadlines import DEADLINES
from domain.programmes.dibao.stages import Stage
from domain.verification import InfoCheckReport
from tests.builders import FIXED_NOW, application
from tests.workflows.lifecycle import income_per_capita


def _params(devolved: bool) -> ResolvedParameters:
    raw = json.loads(DEFAULT_BOOK.read_text(encoding="utf-8"))
    for version in raw["versions"]:
        version["values"]["confirmation_devolved_to_township"] = devolved
    return resolve(ParameterBook.model_validate(raw), "532302101001", FIXED_NOW.date())


DEVOLVED = _params(True)
WINDOW = Actor(id="w1", role=Role.FRONT_OFFICE, jurisdiction="532302101")
CASEWORKER = Actor(id="inv-01", role=Role.TOWNSHIP_CASEWORKER, jurisdiction="532302101")
APPROVER = Actor(id="tsa-01", role=Role.TOWNSHIP_APPROVER, jurisdiction="532302101")
COUNTY_APPROVER = Actor(id="ca-01", role=Role.COUNTY_APPROVER, jurisdiction="532302")
TEAM = ["inv-01", "inv-02"]


def _step(state: CaseState | None, actor: Actor, cmd: object, minutes: int,
          params: ResolvedParameters = DEVOLVED) -> CaseState:
    ctx = DecisionContext(now=FIXED_NOW + timedelta(minutes=minutes), actor=actor,
                          case_id=state.case_id if state else uuid4(), params=params)
    after = project(decide(state, cmd, ctx), state)
    assert after is not None
    return after


def _in_review() -> CaseState:
    s = _step(None, WINDOW, application(declaration=income_per_capita(Decimal(200), 2)), 0)
    s = _step(s, WINDOW, c.AcceptApplication(), 1)
    s = _step(s, CASEWORKER, c.StartInvestigation(investigators=TEAM), 2)
    s = _step(s, CASEWORKER, c.RecordHomeVisit(investigators=TEAM, household_signed=True, findings="入户"), 3)
    s = _step(s, CASEWORKER, c.RequestInfoCheck(), 4)
    s = _step(s, SYSTEM_ACTOR, c.CompleteInfoCheck(report=InfoCheckReport()), 5)
    s = _step(s, APPROVER, c.DecideVillageReview(disputed=False, reason="无争议"), 6)
    s = _step(s, APPROVER, c.IssuePrelimOpinion(eligible=True), 7)
    s = _step(s, CASEWORKER, c.StartPublicity(location="村务公开栏"), 8)
    s = _step(s, SYSTEM_ACTOR, c.ClosePublicity(), 8 * 24 * 60)
    return _step(s, APPROVER, c.StartCountyReview(), 8 * 24 * 60 + 1)


def test_the_township_approver_confirms_where_confirmation_is_devolved() -> None:
    """S1 Art. 2: where devolved, the township's approver takes the 审核确认 decision."""
    state = _step(_in_review(), APPROVER, c.Approve(reason="符合条件"), 8 * 24 * 60 + 2)

    assert state.stage is Stage.APPROVED
    assert state.monthly_amount is not None and state.monthly_amount > 0


def test_the_county_approver_has_no_say_where_confirmation_is_devolved() -> None:
    with pytest.raises(NotPermitted):
        _step(_in_review(), COUNTY_APPROVER, c.Approve(reason="符合条件"), 8 * 24 * 60 + 2)


def test_the_overall_limit_is_twenty_working_days_where_devolved() -> None:
    """S6 §四(一): 20 working days instead of 30 where the township confirms."""
    submitted = _step(None, WINDOW, application(), 0)
    ctx = DecisionContext(now=FIXED_NOW, actor=WINDOW, case_id=submitted.case_id, params=DEVOLVED)
    events = decide(submitted, c.AcceptApplication(), ctx)
    after = project(events, submitted)
    assert after is not None

    limits = {step: days for step, _, days in DEADLINES.to_set(after, events, DEVOLVED)}
    county = {step: days for step, _, days in DEADLINES.to_set(after, events, _params(False))}

    assert limits["overall"] == 20
    assert county["overall"] == 30
