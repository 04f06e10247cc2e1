"""Division codes and jurisdictions (SPEC §10.2, §2; GB/T 2260 and NBS 统计用区划代码)."""

from __future__ import annotations

import pytest

from domain.divisions import county_of, covers, is_jurisdiction_code, township_of, validate_village_code
from domain.errors import InvalidInput
from tests.builders import BICHENG, BICHENG_VILLAGE, JINSHAN, JINSHAN_VILLAGE


@pytest.mark.parametrize(
    "code",
    [JINSHAN_VILLAGE, BICHENG_VILLAGE, "532302203017", "532301101001", "532331101001", "110105001001"],
)
def test_a_village_in_a_known_lufeng_township_or_an_unlisted_county_is_valid(code: str) -> None:
    """SPEC §10.2: the Lufeng township table; counties missing from the table (e.g. old 532331) pass."""
    assert validate_village_code(code) == code


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("53230210100", "12-digit"),
        ("5323021010011", "12-digit"),
        ("53230210100A", "12-digit"),
        ("532302101000", "000"),  # digits 10-12 of 000 name the township itself
        ("532302199001", "township"),  # 532302199 is not one of the 14 Lufeng townships
    ],
)
def test_a_malformed_village_code_is_rejected(code: str, reason: str) -> None:
    """SPEC §10.2: PP CC DD TTT VVV."""
    with pytest.raises(InvalidInput, match=reason):
        validate_village_code(code)


@pytest.mark.parametrize(
    ("jurisdiction", "code"),
    [("532302", BICHENG_VILLAGE), ("532302", JINSHAN), ("532302", "532302"),
     (JINSHAN, JINSHAN_VILLAGE), (JINSHAN, JINSHAN), (JINSHAN_VILLAGE, JINSHAN_VILLAGE)],
)
def test_a_jurisdiction_covers_itself_and_every_division_below_it(jurisdiction: str, code: str) -> None:
    """SPEC §2 jurisdiction keys."""
    assert covers(jurisdiction, code)


@pytest.mark.parametrize(
    ("jurisdiction", "code"),
    [
        (JINSHAN, BICHENG_VILLAGE),  # 金山镇 does not cover a 碧城镇 village
        (JINSHAN, BICHENG),
        ("532301", JINSHAN_VILLAGE),
        (JINSHAN_VILLAGE, "532302101002"),
        (JINSHAN_VILLAGE, JINSHAN),  # a village does not cover its township
        (JINSHAN, "532302"),
        ("5323", JINSHAN_VILLAGE),  # not a jurisdiction shape
        ("", JINSHAN_VILLAGE),
    ],
)
def test_a_jurisdiction_does_not_cover_divisions_outside_it(jurisdiction: str, code: str) -> None:
    """SPEC §2: township staff act only on their township, county roles only in their county."""
    assert not covers(jurisdiction, code)


def test_township_and_county_are_the_first_nine_and_six_digits() -> None:
    """SPEC §10.2: township_code = village_code[0:9], county_code = village_code[0:6]."""
    assert (township_of(BICHENG_VILLAGE), county_of(BICHENG_VILLAGE), county_of(BICHENG)) == (
        BICHENG, "532302", "532302")


def test_a_trailing_newline_is_not_a_valid_code() -> None:
    """Regression: ``$`` in a regex matches before a final newline; codes must match in full."""
    with pytest.raises(InvalidInput):
        validate_village_code("532302101001\n")
    assert not is_jurisdiction_code("532302101\n")
    assert not covers("532302", "532302xyz")
