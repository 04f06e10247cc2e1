"""Lufeng's villages and communities as reference data (issue 19 item 5; SPEC §10.2): the checked-in table is
what scripts/regenerate_villages.py makes of china-division 2.7.0, and intake accepts only its codes."""

from __future__ import annotations

import pytest

from domain import lufeng_villages
from domain.divisions import (
    LUFENG_TOWNSHIPS,
    LUFENG_VILLAGES,
    place_name,
    township_of,
    validate_known_village,
    village_name,
)
from domain.errors import InvalidInput
from scripts.regenerate_villages import short_name


def test_the_table_has_the_168_villages_and_communities_of_the_14_townships() -> None:
    assert len(LUFENG_VILLAGES) == 168
    assert {township_of(code) for code in LUFENG_VILLAGES} == set(LUFENG_TOWNSHIPS)
    assert lufeng_villages.TOWNSHIPS == dict(LUFENG_TOWNSHIPS)  # the source agrees with SPEC §10.2's table
    assert all(full.endswith("委员会") and township == code[:9]
               for code, (full, _short, township) in lufeng_villages.VILLAGES.items())
    assert "MIT" in lufeng_villages.SOURCE and "2.7.0" in lufeng_villages.SOURCE


@pytest.mark.parametrize(("committee", "name"), [("董户村社区居民委员会", "董户村社区"), ("小街村民委员会", "小街村"),
                                                 ("大树村村民委员会", "大树村"), ("中村村民委员会", "中村")])
def test_names_are_the_ones_people_use(committee: str, name: str) -> None:
    assert short_name(committee) == name


def test_names_of_places() -> None:
    assert village_name("532302101001") == "董户村社区"
    assert place_name("532302101001") == "金山镇董户村社区"
    assert place_name("532302109") == "彩云镇" and place_name("532302") == "禄丰市"
    assert village_name("532331101001") is None and place_name("532331101001") == "532331101001"


@pytest.mark.parametrize("code", ["532302203017", "532302101099", "532302108006"])
def test_intake_refuses_a_lufeng_code_not_in_the_table(code: str) -> None:
    with pytest.raises(InvalidInput, match="division code table"):
        validate_known_village(code)


@pytest.mark.parametrize("code", ["532302101001", "532302203212", "532331101001"])
def test_intake_accepts_a_listed_code_or_one_of_a_county_without_a_table(code: str) -> None:
    assert validate_known_village(code) == code
