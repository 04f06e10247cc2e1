"""物价联动 preview (SPEC §7.3, §7.4, §8; S4 Arts. 10, 12; S1 Arts. 23, 31-33): per case the current and the new
amount, eligibility after, crossing out of eligibility (a review, never a stop), and totals per township.

The households are taken into payment by ``decide`` under the shipped book's 2020 floor (rural 375, urban
640 yuan per person per month); the new version raises the rural standard to 420 and lowers the urban one
to 600 from 2026-07-01.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from domain import commands as c
from domain.actors import Actor, Role
from domain.events import BenefitRecalculated
from domain.household import AreaType
from domain.kernel.context import DecisionContext
from domain.parameters import ParameterBook, resolve
from domain.programmes import CaseState, decide, project
from domain.programmes.dibao.stages import Stage
from domain.standard_change import (
    UnknownVersion,
    VersionNotInForce,
    VersionSuperseded,
    check_applicable,
    preview_case,
    preview_standard_change,
)
from tests.builders import BICHENG, BICHENG_VILLAGE, JINSHAN, JINSHAN_VILLAGE
from tests.standard_change_cases import book_with_version, in_payment_state, load_book

NEW = "532302-test-2026-07"
EFFECTIVE = date(2026, 7, 1)
DECIDED = date(2026, 3, 2)
APPROVER = Actor(id="ca-01", role=Role.COUNTY_APPROVER, jurisdiction="532302")


@pytest.fixture(scope="module")
def book(tmp_path_factory: pytest.TempPathFactory) -> ParameterBook:
    path = tmp_path_factory.mktemp("book") / "book.json"
    return load_book(book_with_version(path, NEW, EFFECTIVE, rural="420.00", urban="600.00"))


def recalculated(book: ParameterBook, state: CaseState) -> list[object]:
    """What the domain's own standard-change decision records for the case."""
    params = resolve(book, state.village_code, EFFECTIVE)
    ctx = DecisionContext(now=datetime(2026, 11, 2, 2, 30, tzinfo=UTC), actor=APPROVER, case_id=state.case_id,
                          params=params)
    return decide(state, c.ApplyStandardChange(version=NEW, effective_from=EFFECTIVE), ctx)


def test_a_higher_rural_standard_raises_the_gap_top_up_by_the_difference_per_member(book: ParameterBook) -> None:
    """S4 Art. 12: (S − I) × N. Two members at 200 a head: (375 − 200) × 2 = 350 before, (420 − 200) × 2 = 440."""
    state = in_payment_state(book, village_code=JINSHAN_VILLAGE, per_capita_monthly="200", members=2,
                             decided_on=DECIDED)
    row = preview_case(state, resolve(book, state.village_code, EFFECTIVE),
                       resolve(book, state.village_code, date(2026, 6, 30)))
    assert (row.old_amount, row.recalculated_amount, row.new_amount) == (Decimal("350.00"), Decimal("440.00"),
                                                                         Decimal("440.00"))
    assert row.eligible_before and row.eligible_after
    assert not row.crosses_out and not row.opens_review and not row.already_applied
    assert row.household_size == 2 and row.township_code == JINSHAN


def test_a_household_the_new_standard_makes_ineligible_crosses_out_and_keeps_its_amount_until_a_review(
    book: ParameterBook,
) -> None:
    """S1 Arts. 31, 32: an urban single at 620 a head was eligible under 640 (20 yuan) and is not under 600. The
    recalculation keeps the 20 and opens a review; it never stops the benefit itself."""
    state = in_payment_state(book, village_code=JINSHAN_VILLAGE, per_capita_monthly="620", members=1,
                             area_type=AreaType.URBAN, decided_on=DECIDED)
    preview = preview_standard_change(book, NEW, [state])
    (row,) = preview.rows
    assert row.old_amount == Decimal("20.00")
    assert row.recalculated_amount == Decimal("0.00")
    assert row.new_amount == Decimal("20.00")
    assert row.eligible_before is True and row.eligible_after is False
    assert row.crosses_out and row.opens_review
    assert preview.totals.crossing_out == 1 and preview.totals.difference == Decimal("0.00")


def test_the_preview_shows_what_the_recalculation_records_case_by_case(book: ParameterBook) -> None:
    """The preview and the domain's ``benefit_recalculated`` decision agree on every amount and on eligibility,
    and a crossing out is followed by an ad-hoc review in the same decision."""
    states = [
        in_payment_state(book, village_code=JINSHAN_VILLAGE, per_capita_monthly="200", members=2, decided_on=DECIDED),
        in_payment_state(book, village_code=BICHENG_VILLAGE, per_capita_monthly="0", members=3, decided_on=DECIDED),
        in_payment_state(book, village_code=JINSHAN_VILLAGE, per_capita_monthly="620", members=1,
                         area_type=AreaType.URBAN, decided_on=DECIDED),
    ]
    preview = preview_standard_change(book, NEW, states)
    for state, row in zip(states, preview.rows, strict=True):
        events = recalculated(book, state)
        first = events[0]
        assert isinstance(first, BenefitRecalculated)
        assert (first.old_amount, first.new_amount, first.eligible) == (row.old_amount, row.new_amount,
                                                                       row.eligible_after)
        assert [e.type for e in events[1:]] == (["ad_hoc_review_opened"] if row.opens_review else [])


def test_totals_are_per_township_in_code_order_and_add_up(book: ParameterBook) -> None:
    """金山镇: 350 → 440 and 20 → 20 (crossing out); 碧城镇: three members with no income, 1125 → 1260."""
    states = [
        in_payment_state(book, village_code=JINSHAN_VILLAGE, per_capita_monthly="200", members=2, decided_on=DECIDED),
        in_payment_state(book, village_code=BICHENG_VILLAGE, per_capita_monthly="0", members=3, decided_on=DECIDED),
        in_payment_state(book, village_code=JINSHAN_VILLAGE, per_capita_monthly="620", members=1,
                         area_type=AreaType.URBAN, decided_on=DECIDED),
    ]
    preview = preview_standard_change(book, NEW, states)
    assert preview.version == NEW and preview.effective_from == EFFECTIVE
    assert preview.previous_version == book.versions[0].version
    jinshan, bicheng = preview.townships
    assert (jinshan.township_code, jinshan.township_name) == (JINSHAN, "金山镇")
    assert (jinshan.cases, jinshan.old_total, jinshan.new_total, jinshan.difference, jinshan.crossing_out) == (
        2, Decimal("370.00"), Decimal("460.00"), Decimal("90.00"), 1)
    assert (bicheng.township_code, bicheng.township_name) == (BICHENG, "碧城镇")
    assert (bicheng.cases, bicheng.old_total, bicheng.new_total, bicheng.difference, bicheng.crossing_out) == (
        1, Decimal("1125.00"), Decimal("1260.00"), Decimal("135.00"), 0)
    total = preview.totals
    assert (total.cases, total.old_total, total.new_total, total.difference, total.crossing_out) == (
        3, Decimal("1495.00"), Decimal("1720.00"), Decimal("225.00"), 1)
    assert (total.increased, total.decreased) == (2, 0)


def test_a_case_already_recalculated_under_the_version_is_shown_unchanged(book: ParameterBook) -> None:
    """Applied once per version: after the recalculation the case shows 440 → 440, flagged as already applied."""
    state = in_payment_state(book, village_code=JINSHAN_VILLAGE, per_capita_monthly="200", members=2,
                             decided_on=DECIDED)
    after = project(recalculated(book, state), state)
    assert after is not None
    (row,) = preview_standard_change(book, NEW, [after]).rows
    assert row.already_applied
    assert (row.old_amount, row.new_amount) == (Decimal("440.00"), Decimal("440.00"))
    assert not row.crosses_out and not row.opens_review


def test_cases_not_in_payment_are_left_out_and_cases_outside_the_county_are_skipped(book: ParameterBook) -> None:
    state = in_payment_state(book, village_code=JINSHAN_VILLAGE, decided_on=DECIDED)
    exited = state.model_copy(update={"stage": Stage.EXITED})
    elsewhere = state.model_copy(update={"village_code": "532301101001", "township_code": "532301101",
                                         "county_code": "532301"})
    preview = preview_standard_change(book, NEW, [exited, elsewhere])
    assert preview.rows == [] and preview.townships == []
    assert preview.skipped == [state.case_id]
    assert preview.totals.cases == 0


def test_an_unknown_version_is_refused_and_a_future_one_cannot_be_applied_yet(book: ParameterBook) -> None:
    with pytest.raises(UnknownVersion) as unknown:
        preview_standard_change(book, "no-such-version", [])
    assert unknown.value.field == ("version",)
    with pytest.raises(VersionNotInForce):
        check_applicable(book, NEW, date(2026, 6, 30))
    assert check_applicable(book, NEW, EFFECTIVE).version == NEW


def test_a_version_superseded_by_one_in_force_cannot_be_applied(book: ParameterBook) -> None:
    """The recalculation sets the amount from the version's month or the case's latest period: an older version
    applied after a newer one took effect would overwrite amounts decided under the newer one."""
    with pytest.raises(VersionSuperseded) as superseded:
        check_applicable(book, book.versions[0].version, EFFECTIVE)
    assert NEW in superseded.value.message
    assert check_applicable(book, book.versions[0].version, date(2026, 6, 30)).version == book.versions[0].version
