"""物价联动 for 特困 (S4 Art. 10): a person in support is recalculated under the new version's 特困 section, the
basic-living standard (S3 Art. 19) plus the care standard of the tier and support form (S3 Art. 20; S4 Art. 15),
each part to the fen, from the change's effective month, once per version."""

from __future__ import annotations

import copy
import json
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from adapters.parameters import DEFAULT_BOOK
from domain import commands as c
from domain.errors import DomainError, InvalidInput, InvalidTransition
from domain.household import AreaType, Program
from domain.kernel.state import PaidMonth
from domain.parameters import CareTier, ParameterBook, ResolvedParameters, SupportForm
from domain.programmes import REGISTRY
from domain.programmes.tekun.recalculation import recalculation_refused
from domain.programmes.tekun.stages import Stage
from domain.standard_change import preview_standard_change
from tests.unit.domain.tekun_support import (
    CASEWORKER,
    COUNTY_APPROVER,
    COUNTY_REVIEWER,
    PARAMS,
    Driver,
)

NEW = "532302-tekun-2027"
EFFECTIVE = date(2027, 1, 1)
PARTIAL = (c.AdlItem.BATHING, c.AdlItem.DRESSING)  # two items not achieved: partially lost (S3 Art. 22)


def new_version(basic: str = "873.455", care_partial_dispersed: str = "315.005") -> ResolvedParameters:
    """The version in force from EFFECTIVE: new standards, with half-fen values to show the rounding."""
    t = PARAMS.values.tekun
    assert t is not None
    care = {form: dict(tiers) for form, tiers in t.care_standard_monthly.items()}
    care[SupportForm.DISPERSED][CareTier.PARTIAL] = Decimal(care_partial_dispersed)
    tekun = t.model_copy(update={"basic_living_standard_monthly": {a: Decimal(basic) for a in AreaType},
                                 "care_standard_monthly": care})
    return PARAMS.model_copy(update={"version": NEW, "effective_from": EFFECTIVE,
                                     "values": PARAMS.values.model_copy(update={"tekun": tekun})})


def recalc(case: Driver, p: ResolvedParameters, **kw: Any) -> Any:
    case.params = p
    return case.do(COUNTY_APPROVER, c.ApplyStandardChange(version=p.version, effective_from=EFFECTIVE), **kw)


def test_a_standard_change_recalculates_both_parts_to_the_fen_from_its_month_s4_art_10_s3_art_20() -> None:
    case = Driver()
    case.in_payment(failed=PARTIAL)
    assert case.state.amount_parts == (Decimal("832.00"), Decimal("300.00"))
    assert case.state.monthly_amount == Decimal("1132.00")
    state = recalc(case, new_version())
    ev = case.events[-1]
    assert ev.type == "benefit_recalculated"
    assert "S4 Art. 10" in ev.legal_basis and "S3 Art. 20" in ev.legal_basis
    assert ev.parameter_set_version == NEW and ev.version == NEW
    # 873.455 → 873.46 and 315.005 → 315.01 (ROUND_HALF_UP, once on each part)
    assert (ev.old_amount, ev.new_amount, ev.from_month) == (Decimal("1132.00"), Decimal("1188.47"), "2027-01")
    amount = next(cr for cr in ev.assessment.criteria if cr.code == "amount")
    assert amount.parameters["basic_living_standard_monthly"] == "873.46"
    assert amount.parameters["care_standard_monthly"] == "315.01"
    assert amount.inputs["care_tier"] == "partial" and amount.inputs["support_form"] == "dispersed"
    assert (amount.inputs["basic_living_before"], amount.inputs["care_before"]) == ("832.00", "300.00")
    assert ev.reason and NEW in ev.reason
    assert state.amount_parts == (Decimal("873.46"), Decimal("315.01"))
    assert state.monthly_amount == Decimal("1188.47")
    assert state.amount_for("2026-12") == Decimal("1132.00")
    assert state.amount_for("2027-01") == Decimal("1188.47")
    assert state.benefit_periods[-1].parameter_set_version == NEW
    assert state.stage is Stage.IN_PAYMENT
    assert state.standard_versions_applied == (NEW,)


def test_the_recalculation_applies_once_per_version_s4_art_10() -> None:
    case = Driver()
    case.in_payment(failed=PARTIAL)
    state = recalc(case, new_version())
    assert recalculation_refused(state, NEW) == "already_applied"
    with pytest.raises(InvalidTransition):
        recalc(case, new_version())


def test_only_a_person_in_support_is_recalculated_termination_stages_still_paid_s4_art_10_s3_art_26() -> None:
    before = Driver()
    before.investigated()
    assert recalculation_refused(before.state, NEW) == "not_active"
    with pytest.raises(DomainError):
        recalc(before, new_version())

    case = Driver()
    case.in_payment(failed=PARTIAL)
    case.do(CASEWORKER, c.ProposeTermination(ground=c.TerminationGround.ABLE_SUPPORTER, reasons=["其子返乡"]))
    assert case.state.stage is Stage.TERMINATION_PROPOSED
    assert recalculation_refused(case.state, NEW) is None
    assert recalc(case, new_version()).monthly_amount == Decimal("1188.47")


def test_the_version_must_be_the_one_in_force_on_the_effective_date_s4_art_10() -> None:
    case = Driver()
    case.in_payment()
    case.params = new_version()
    with pytest.raises(InvalidInput) as err:
        case.do(COUNTY_APPROVER, c.ApplyStandardChange(version="other-version", effective_from=EFFECTIVE))
    assert err.value.field == ("version",)


def test_only_the_county_approver_applies_a_standard_change_s4_art_10() -> None:
    case = Driver()
    case.in_payment()
    case.params = new_version()
    with pytest.raises(DomainError) as err:
        case.do(COUNTY_REVIEWER, c.ApplyStandardChange(version=NEW, effective_from=EFFECTIVE))
    assert err.value.code == "not_permitted"


def test_a_capable_person_gets_the_new_basic_standard_and_the_unchanged_care_s3_art_20() -> None:
    case = Driver()
    case.in_payment()  # capable, dispersed: care 60.00
    state = recalc(case, new_version(basic="900.004"))
    assert state.amount_parts == (Decimal("900.00"), Decimal("60.00"))
    assert state.monthly_amount == Decimal("960.00")


def test_the_tekun_programme_answers_the_recalculate_update_s4_art_10() -> None:
    hooks = REGISTRY[Program.TEKUN].in_payment
    assert hooks is not None and hooks.patch is not None
    cmd = hooks.recalculate_command(NEW, EFFECTIVE)
    assert cmd == c.ApplyStandardChange(version=NEW, effective_from=EFFECTIVE)


def _book_with_tekun_version() -> ParameterBook:
    raw = json.loads(DEFAULT_BOOK.read_text(encoding="utf-8"))
    new = copy.deepcopy(raw["versions"][-1])
    new.update(version=NEW, effective_from=EFFECTIVE.isoformat(), label=f"test 特困 standard change {NEW}")
    new["values"]["tekun"]["basic_living_standard_monthly"] = {"urban": "873.455", "rural": "873.455"}
    new["values"]["tekun"]["care_standard_monthly"]["dispersed"]["partial"] = "315.005"
    raw["versions"].append(new)
    return ParameterBook.model_validate(raw)


def test_the_standard_change_preview_counts_tekun_cases_with_their_two_parts_s4_art_10_s3_art_20() -> None:
    case = Driver()
    case.in_payment(failed=PARTIAL)
    before = Driver()
    before.investigated()  # not in support: not previewed
    preview = preview_standard_change(_book_with_tekun_version(), NEW, [case.state, before.state])
    (row,) = preview.rows
    assert row.case_id == case.case_id and row.stage == "in_payment"
    assert (row.old_amount, row.recalculated_amount, row.new_amount) == (
        Decimal("1132.00"), Decimal("1188.47"), Decimal("1188.47"))
    assert not row.crosses_out and not row.opens_review and not row.already_applied
    assert preview.totals.cases == 1 and preview.totals.difference == Decimal("56.47")
    # the preview mirrors the recalculation itself
    recalc(case, new_version())
    assert case.state.monthly_amount == row.new_amount
    (again,) = preview_standard_change(_book_with_tekun_version(), NEW, [case.state]).rows
    assert again.already_applied and again.new_amount == Decimal("1188.47")


def test_months_paid_at_the_old_standard_are_owed_the_difference_once_s4_art_10_s3_art_20() -> None:
    """补发: a standard issued late with effect from 1 January reaches months already on a roll at the old amount
    (1132.00); from January 1188.47 is due, so 56.47 a month is owed for January to March. December (before the
    effective date) is untouched; a month paid at the new amount is owed nothing; a later version raising again
    owes only what the first 补发 did not cover."""
    case = Driver()
    case.in_payment(failed=PARTIAL)
    paid = (*(PaidMonth(month=m, amount=Decimal("1132.00")) for m in ("2026-12", "2027-01", "2027-02", "2027-03")),
            PaidMonth(month="2027-04", amount=Decimal("1188.47")))
    state = recalc(case, new_version(), payments=paid)
    recalculated, back = case.events[-2:]
    assert recalculated.type == "benefit_recalculated"
    assert back.type == "back_pay_decided"
    assert back.legal_basis == ("S4 Art. 10", "S3 Art. 19", "S3 Art. 20")
    assert back.version == NEW
    assert back.per_month == {"2027-01": Decimal("56.47"), "2027-02": Decimal("56.47"), "2027-03": Decimal("56.47")}
    assert back.amount == Decimal("169.41")
    assert state.back_pay_decided == Decimal("169.41")
    assert state.back_paid == back.per_month

    again = new_version(basic="900.00").model_copy(update={"version": "532302-tekun-2027b"})
    case.params = again
    state = case.do(COUNTY_APPROVER, c.ApplyStandardChange(version=again.version, effective_from=EFFECTIVE),
                    payments=paid)
    back = case.events[-1]
    # 900.00 + 315.01 = 1215.01 due: January–March owe 1215.01 − 1132.00 − 56.47 = 26.54; April 26.54 too
    assert back.type == "back_pay_decided"
    assert back.per_month == {m: Decimal("26.54") for m in ("2027-01", "2027-02", "2027-03", "2027-04")}
    assert state.back_pay_decided == Decimal("169.41") + Decimal("106.16")


def test_no_back_pay_without_months_on_a_roll_or_for_a_lowering_s4_art_10() -> None:
    """Nothing paid short, nothing owed; a lowered standard recovers nothing (the person was paid what was due)."""
    case = Driver()
    case.in_payment(failed=PARTIAL)
    recalc(case, new_version())
    assert case.events[-1].type == "benefit_recalculated"

    lowered = Driver()
    lowered.in_payment(failed=PARTIAL)
    state = recalc(lowered, new_version(basic="800.00"), payments=(PaidMonth(month="2027-01", amount=Decimal("1132.00")),))
    assert lowered.events[-1].type == "benefit_recalculated"
    assert state.back_pay_decided == Decimal("0")
