"""Parameter books: versions with effective dates and per-division overrides (SPEC §0.1, §7.4).

A small two-version book is built here so each rule is visible: version 2 raises the rural standard from
1 July 2026, and 金山镇 (532302101) and one of its villages override it.
"""

from __future__ import annotations

import json
from copy import deepcopy
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

import domain
from domain.household import AreaType, IncomeKind
from domain.parameters import ParameterBook, ParametersNotInForce, ProcedureProfile, Treatment, resolve

SHIPPED_PATH = Path(domain.__file__).parent / "data" / "parameters_532302.json"
SHIPPED = json.loads(SHIPPED_PATH.read_text(encoding="utf-8"))
BASE_VALUES: dict[str, Any] = SHIPPED["versions"][0]["values"]

JINSHAN = "532302101"
JINSHAN_VILLAGE = "532302101001"
OTHER_JINSHAN_VILLAGE = "532302101002"
BICHENG_VILLAGE = "532302103004"


def values(**changes: Any) -> dict[str, Any]:
    out = deepcopy(BASE_VALUES)
    out.update(changes)
    return out


def version(vid: str, effective_from: str, rural: str, overrides: dict[str, dict[str, Any]] | None = None,
            **changes: Any) -> dict[str, Any]:
    return {
        "version": vid,
        "effective_from": effective_from,
        "label": vid,
        "values": values(dibao_standard_monthly={"urban": "640.00", "rural": rural}, **changes),
        "overrides": overrides or {},
    }


def book(*versions: dict[str, Any]) -> ParameterBook:
    return ParameterBook.model_validate({
        "county_code": "532302",
        "county_name": "禄丰市",
        "townships": SHIPPED["townships"],
        "versions": list(versions),
    })


BOOK = book(
    version("v2021", "2021-07-01", "375.00"),
    version("v2026", "2026-07-01", "400.00", overrides={
        JINSHAN: {"dibao_standard_monthly": {"rural": "420.00"}, "publicity_unit": "working_day"},
        JINSHAN_VILLAGE: {"dibao_standard_monthly": {"rural": "430.00"}},
    }),
)


def test_resolve_picks_the_version_in_force_on_the_date() -> None:
    """SPEC §7.4: standards are versioned by (jurisdiction, effective_from); a decision uses the one in
    force on its date."""
    params = resolve(BOOK, BICHENG_VILLAGE, date(2026, 6, 30))

    assert (params.version, params.effective_from) == ("v2021", date(2021, 7, 1))
    assert params.standard(AreaType.RURAL) == Decimal("375.00")
    assert params.division_code == BICHENG_VILLAGE


@pytest.mark.parametrize("on", [date(2026, 7, 1), date(2026, 7, 2), date(2030, 1, 1)])
def test_a_later_version_applies_from_its_effective_date(on: date) -> None:
    """SPEC §0.1: a new standard (say from 1 July) applies from that day on, without a code change."""
    params = resolve(BOOK, BICHENG_VILLAGE, on)

    assert params.version == "v2026"
    assert params.standard(AreaType.RURAL) == Decimal("400.00")
    assert params.standard(AreaType.URBAN) == Decimal("640.00")


def test_a_township_override_wins_over_the_county_values() -> None:
    """SPEC §0.1 (LOCAL PARAMETER per division): 金山镇's override applies to its villages only, and merges
    into the county values rather than replacing them."""
    jinshan = resolve(BOOK, OTHER_JINSHAN_VILLAGE, date(2026, 7, 1))
    bicheng = resolve(BOOK, BICHENG_VILLAGE, date(2026, 7, 1))

    assert jinshan.standard(AreaType.RURAL) == Decimal("420.00")
    assert jinshan.standard(AreaType.URBAN) == Decimal("640.00")  # kept from the county values
    assert jinshan.values.publicity_unit == "working_day"
    assert bicheng.standard(AreaType.RURAL) == Decimal("400.00")
    assert bicheng.values.publicity_unit == "calendar_day"
    assert jinshan.version == bicheng.version == "v2026"


def test_the_most_specific_override_wins() -> None:
    """A village override beats its township's, which beats the county's."""
    village = resolve(BOOK, JINSHAN_VILLAGE, date(2026, 7, 1))
    township = resolve(BOOK, JINSHAN, date(2026, 7, 1))

    assert village.standard(AreaType.RURAL) == Decimal("430.00")
    assert village.values.publicity_unit == "working_day"  # from the township override
    assert township.standard(AreaType.RURAL) == Decimal("420.00")


def test_overrides_do_not_reach_back_into_earlier_versions() -> None:
    assert resolve(BOOK, JINSHAN_VILLAGE, date(2026, 6, 30)).standard(AreaType.RURAL) == Decimal("375.00")


def test_a_date_before_the_first_version_raises_parameters_not_in_force() -> None:
    """SPEC §0.1: no value is guessed for a date no version covers."""
    with pytest.raises(ParametersNotInForce, match="2021-06-30"):
        resolve(BOOK, JINSHAN_VILLAGE, date(2021, 6, 30))


def test_a_division_outside_the_county_raises_parameters_not_in_force() -> None:
    with pytest.raises(ParametersNotInForce) as err:
        resolve(BOOK, "532301001001", date(2026, 7, 1))  # 楚雄市
    assert err.value.code == "parameters_not_in_force"


def test_an_incomplete_income_treatment_is_refused() -> None:
    """S1 Art. 13: every income kind must have a treatment; a book that forgets one does not load."""
    incomplete = version("v-bad", "2021-07-01", "375.00")
    del incomplete["values"]["income_treatment"][IncomeKind.FAMILY_PLANNING_SUPPORT.value]

    with pytest.raises(ValidationError, match="income_treatment lacks.*family_planning_support"):
        book(incomplete)


def test_an_override_that_breaks_a_version_is_refused_when_the_book_loads() -> None:
    """Every override must validate on its own: a bad township value is caught at load, not at decision
    time."""
    bad = version("v-bad", "2021-07-01", "375.00",
                  overrides={JINSHAN: {"dibao_standard_monthly": {"rural": "0"}}})

    with pytest.raises(ValidationError):
        book(bad)


@pytest.mark.parametrize(
    "dates", [("2026-07-01", "2021-07-01"), ("2021-07-01", "2021-07-01")], ids=["out of order", "same date"]
)
def test_versions_must_be_in_effective_date_order_one_per_date(dates: tuple[str, str]) -> None:
    with pytest.raises(ValidationError, match="effective_from order"):
        book(version("a", dates[0], "375.00"), version("b", dates[1], "400.00"))


def test_the_shipped_book_resolves_to_the_2020_yunnan_floors() -> None:
    """SPEC §7.4 (S11): rural 4,500 / 12 = 375.00 and urban 7,680 / 12 = 640.00 a month; S1 procedure."""
    shipped = ParameterBook.model_validate(SHIPPED)

    params = resolve(shipped, JINSHAN_VILLAGE, date(2026, 11, 2))

    assert params.version == "532302-yn-floor-2020"
    assert params.standard(AreaType.RURAL) == Decimal("375.00")
    assert params.standard(AreaType.URBAN) == Decimal("640.00")
    assert params.values.employment_cost_deduction_rate == Decimal("0.20")
    assert params.values.income_treatment[IncomeKind.SOCIAL_ASSISTANCE] is Treatment.EXCLUDED
    assert params.values.procedure_profile is ProcedureProfile.P2021
    assert (params.values.deadlines.total_wd, params.values.deadlines.total_extended_wd) == (30, 45)
