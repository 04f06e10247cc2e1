"""After a negative information check (S1 Art. 18): the applicant may object, or the township concludes."""

from __future__ import annotations

import json
from datetime import timedelta
from uuid import uuid4

import pytest

from adapters.parameters import DEFAULT_BOOK
from domain import commands as c
from domain.actors import Actor, Role
from domain.errors import InvalidTransition
from domain.kernel.context import SYSTEM_ACTOR, DecisionContext
from domain.parameters import ParameterBook, resolve
from domain.programmes import CaseState, decide, project
from domain.programmes.dibao.stages import Stage
from domain.verification import InfoCheckReport
from tests.builders import FIXED_NOW, application

PARAMS = resolve(ParameterBook.model_validate(json.loads(DEFAULT_BOOK.read_text())), "532302101001",
                 FIXED_NOW.date())
WINDOW = Actor(id="w1", role=Role.FRONT_OFFICE, jurisdiction="532302101")
CASEWORKER = Actor(id="inv-01", role=Role.TOWNSHIP_CASEWORKER, jurisdiction="532302101")
APPROVER = Actor(id="tsa-01", role=Role.TOWNSHIP_APPROVER, jurisdiction="532302101")


def _step(state: CaseState | None, actor: Actor, cmd: object, minutes: int) -> CaseState:
    ctx = DecisionContext(now=FIXED_NOW + timedelta(minutes=minutes), actor=actor,
                          case_id=state.case_id if state else uuid4(), params=PARAMS)
    after = project(decide(state, cmd, ctx), state)
    assert after is not None
    return after


def _negative_case() -> CaseState:
    s = _step(None, WINDOW, application(), 0)
    s = _step(s, WINDOW, c.AcceptApplication(), 1)
    s = _step(s, CASEWORKER, c.StartInvestigation(investigators=["inv-01", "inv-02"]), 2)
    s = _step(s, CASEWORKER, c.RecordHomeVisit(investigators=["inv-01", "inv-02"], household_signed=True,
                                               findings="入户"), 3)
    s = _step(s, CASEWORKER, c.RequestInfoCheck(), 4)
    s = _step(s, SYSTEM_ACTOR, c.CompleteInfoCheck(report=InfoCheckReport()), 5)
    return _step(s, CASEWORKER, c.NotifyInfoCheckIneligible(reasons=["存款超过标准"]), 6)


def test_without_an_objection_the_township_may_conclude_not_eligible() -> None:
    """SPEC §3.3 row 8 (S1 Art. 18): no objection → an 'ineligible' 初审意见, then on to the county."""
    state = _step(_negative_case(), APPROVER, c.IssuePrelimOpinion(eligible=False, reasons=["存款超标"]), 10)

    assert state.stage is Stage.PRELIM_OPINION_ISSUED
    assert state.prelim_eligible is False
    assert _step(state, CASEWORKER, c.SubmitToCounty(), 11).stage is Stage.SUBMITTED_TO_COUNTY


def test_after_a_negative_check_an_eligible_opinion_is_refused() -> None:
    with pytest.raises(InvalidTransition, match="S1 Art. 18"):
        _step(_negative_case(), APPROVER, c.IssuePrelimOpinion(eligible=True), 10)


