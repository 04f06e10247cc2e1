"""How a 公示 period is counted (S1 Art. 19: 公示期为7天; 《民法典》第二百零一条: 开始的当日不计入).

A 7-day 公示 posted on the 6th runs to the end of the 13th; the counting rule is a parameter (the book says
``exclude_start_day``), and parameters recorded before the rule existed keep the old count (the 12th), so a
replayed history reaches the same end day it recorded.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from decimal import Decimal
from uuid import uuid4

from adapters.parameters import DEFAULT_BOOK
from adapters.rendering.notices import render_notice
from domain import commands as c
from domain.actors import Actor, Role
from domain.kernel.clock import CHINA_TZ
from domain.kernel.context import SYSTEM_ACTOR, DecisionContext
from domain.parameters import ParameterBook, ResolvedParameters, resolve
from domain.programmes import CaseState, decide, notice_for, project
from domain.verification import InfoCheckReport
from tests.builders import application
from tests.workflows.lifecycle import income_per_capita

POSTED = datetime(2026, 11, 6, 9, 30, tzinfo=CHINA_TZ)  # a Friday; calendar days ignore the weekend anyway
WINDOW = Actor(id="w1", role=Role.FRONT_OFFICE, jurisdiction="532302101")
CASEWORKER = Actor(id="inv-01", role=Role.TOWNSHIP_CASEWORKER, jurisdiction="532302101")
APPROVER = Actor(id="tsa-01", role=Role.TOWNSHIP_APPROVER, jurisdiction="532302101")
TEAM = ["inv-01", "inv-02"]


def _params(counting: str | None) -> ResolvedParameters:
    raw = json.loads(DEFAULT_BOOK.read_text(encoding="utf-8"))
    for version in raw["versions"]:
        if counting is None:
            version["values"].pop("publicity_counting", None)
        else:
            version["values"]["publicity_counting"] = counting
    return resolve(ParameterBook.model_validate(raw), "532302101001", POSTED.date())


def _posted(params: ResolvedParameters) -> CaseState:
    state: CaseState | None = None
    steps: list[tuple[Actor, object]] = [
        (WINDOW, application(declaration=income_per_capita(Decimal(200), 2))),
        (WINDOW, c.AcceptApplication()),
        (CASEWORKER, c.StartInvestigation(investigators=TEAM)),
        (CASEWORKER, c.RecordHomeVisit(investigators=TEAM, household_signed=True, findings="入户")),
        (CASEWORKER, c.RequestInfoCheck()),
        (SYSTEM_ACTOR, c.CompleteInfoCheck(report=InfoCheckReport())),
        (APPROVER, c.DecideVillageReview(disputed=False, reason="无争议")),
        (APPROVER, c.IssuePrelimOpinion(eligible=True)),
    ]
    start = POSTED - timedelta(days=3)
    for i, (actor, cmd) in enumerate(steps):
        ctx = DecisionContext(now=start + timedelta(minutes=i), actor=actor,
                              case_id=state.case_id if state else uuid4(), params=params)
        state = project(decide(state, cmd, ctx), state)
    assert state is not None
    ctx = DecisionContext(now=POSTED, actor=CASEWORKER, case_id=state.case_id, params=params)
    after = project(decide(state, c.StartPublicity(location="村务公开栏"), ctx), state)
    assert after is not None
    return after


def test_a_seven_day_publicity_posted_on_the_6th_ends_on_the_13th() -> None:
    """S1 Art. 19 with 《民法典》第二百零一条: the posting day is not counted; day 1 is the 7th."""
    state = _posted(_params("exclude_start_day"))
    assert state.publicity_starts_on == date(2026, 11, 6)
    assert state.publicity_ends_on == date(2026, 11, 13)
    assert state.publicity_ends_at == datetime(2026, 11, 14, tzinfo=CHINA_TZ)


def test_the_book_counts_by_the_civil_code() -> None:
    """The county's book carries 民法典 Art. 201 as its counting rule (a parameter, not a constant)."""
    book = ParameterBook.load(json.loads(DEFAULT_BOOK.read_text(encoding="utf-8")))
    assert resolve(book, "532302101001", POSTED.date()).values.publicity_counting == "exclude_start_day"
    assert _posted(_params("exclude_start_day")).publicity_counting == "exclude_start_day"


def test_parameters_recorded_before_the_rule_keep_counting_the_posting_day() -> None:
    """Replay: a case whose recorded parameters lack the key was decided with the posting day as day 1."""
    state = _posted(_params(None))
    assert state.publicity_ends_on == date(2026, 11, 12)
    assert state.publicity_counting is None
    assert _posted(_params("include_start_day")).publicity_ends_on == date(2026, 11, 12)


def test_the_publicity_notice_shows_the_period_and_its_end_date() -> None:
    """S1 Art. 19: the notice names the period, that the posting day is not counted (民法典 Art. 201) and
    the last day objections are taken."""
    state = _posted(_params("exclude_start_day"))
    notice = notice_for(state, "publicity")
    assert (notice.period_days, notice.start_day_excluded) == (7, True)
    html = render_notice(notice)
    assert "公示期7日" in html and "第二百零一条" in html
    assert "2026年11月13日" in html
