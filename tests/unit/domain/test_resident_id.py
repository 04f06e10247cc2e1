"""Resident ID numbers: SPEC §10.1 test vectors and §12 scenario 19 (GB 11643-1999)."""

from __future__ import annotations

from datetime import date

import pytest

from domain.errors import InvalidInput
from domain.identity import LEGACY_REFUSED, check_character, convert_legacy_resident_id, parse_resident_id
from tests.builders import resident_id

VALID = ["11010519491231002X", "440524188001010014", "53010219200508011X",
         "532331198001011231", "532302202103150029", "532331194507010043"]


@pytest.mark.parametrize("raw", VALID)
def test_every_spec_test_vector_is_valid_and_its_check_character_matches(raw: str) -> None:
    """GB 11643-1999 §5.2 (ISO 7064 MOD 11-2), SPEC §10.1 test vectors."""
    assert parse_resident_id(raw).value == raw
    assert check_character(raw[:17]) == raw[17]


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("110105194912310021", "check digit"),  # SPEC §10.1 negative vector: expected check X
        ("", "18 characters"),
        ("53230219800101123", "18 characters"),
        ("5323021980010112311", "18 characters"),
        ("5323021980010112X1", "18 characters"),
        ("53230219800101123A", "18 characters"),
        ("５３２３０２１９８００１０１１２３１", "18 characters"),  # full-width digits
        (resident_id(birth="19800230"), "birth date"),  # 30 February
        (resident_id(birth="19801301"), "birth date"),
        (resident_id(birth="19800100"), "birth date"),
        (resident_id(birth="18491231"), "1850"),
    ],
)
def test_malformed_numbers_are_rejected_without_echoing_them(raw: str, reason: str) -> None:
    """GB 11643-1999; SPEC §9: error messages carry no personal data."""
    with pytest.raises(InvalidInput, match=reason) as exc:
        parse_resident_id(raw)
    assert "GB 11643-1999" in str(exc.value)
    if raw:
        assert raw not in str(exc.value)
        assert raw[:17] not in str(exc.value)
        assert raw[6:14] not in str(exc.value)  # not even the birth date


def test_a_lower_case_x_is_normalised_to_upper_case() -> None:
    """GB 11643-1999, SPEC §12 scenario 19."""
    assert parse_resident_id("11010519491231002x").value == "11010519491231002X"


def test_the_old_lufeng_county_prefix_532331_is_accepted() -> None:
    """GB 11643-1999: the address code is the county at issue time (SPEC §10.1, §12 scenario 19)."""
    assert parse_resident_id("532331198001011231").address_code == "532331"


def test_masked_shows_only_the_first_six_and_last_four_characters() -> None:
    """SPEC §9 publication privacy."""
    assert parse_resident_id("532302202103150029").masked() == "532302********0029"


@pytest.mark.parametrize(
    ("raw", "male", "born"),
    [
        ("11010519491231002X", False, date(1949, 12, 31)),
        ("440524188001010014", True, date(1880, 1, 1)),
        ("532331198001011231", True, date(1980, 1, 1)),
        ("532302202103150029", False, date(2021, 3, 15)),
        (resident_id(birth="20240229"), True, date(2024, 2, 29)),
    ],
)
def test_sex_and_birth_date_are_read_from_positions_7_to_17(raw: str, male: bool, born: date) -> None:
    """GB 11643-1999: positions 7-14 birth date, position 17 odd = male."""
    rid = parse_resident_id(raw)
    assert (rid.is_male, rid.birth_date) == (male, born)


# --- legacy 15-digit numbers (GB 11643-1999 conversion; SPEC §10.1) ----------------------------------------

#: SPEC §10.1's vectors in their pre-1999 15-digit form: address code, YYMMDD, sequence (no check character).
LEGACY = [("532331800101123", "532331198001011231"), ("110105491231002", "11010519491231002X"),
          ("532331450701004", "532331194507010043")]


@pytest.mark.parametrize(("legacy", "converted"), LEGACY)
def test_a_15_digit_legacy_number_converts_by_inserting_19_and_appending_the_check_digit(
    legacy: str, converted: str,
) -> None:
    """GB 11643-1999 (SPEC §10.1): "19" goes before the two-digit birth year and the ISO 7064 MOD 11-2 check
    character is appended; the 18-digit number is the one kept."""
    rid = convert_legacy_resident_id(legacy)
    assert (rid.value, rid.converted_from_legacy) == (converted, True)
    assert parse_resident_id(f" {legacy} ", legacy=True) == parse_resident_id(converted)
    assert parse_resident_id(converted, legacy=True).converted_from_legacy is False


@pytest.mark.parametrize(("legacy", "_converted"), LEGACY)
def test_a_15_digit_number_at_the_window_is_refused_as_a_legacy_number_not_as_a_short_one(
    legacy: str, _converted: str,
) -> None:
    """GB 11643-1999; SPEC §10.1 (conversion only in data migration): the window is told it is a legacy
    number and where to find the 18-digit one, never "must be 18 characters"; the number is not echoed."""
    with pytest.raises(InvalidInput) as exc:
        parse_resident_id(legacy)
    assert exc.value.message == LEGACY_REFUSED
    assert "15-digit legacy" in exc.value.message and "18-digit" in exc.value.message
    assert "GB 11643-1999" in exc.value.message and legacy not in exc.value.message


@pytest.mark.parametrize(
    ("legacy", "reason"),
    [
        ("992302800101123", "address code"),  # 99: no province of GB/T 2260
        ("530000800101123", "address code"),  # a province, not a county
        ("532331800230123", "birth date"),  # 30 February 1980
        ("532331801301123", "birth date"),
        ("532331800100123", "birth date"),
    ],
)
def test_a_legacy_number_converts_only_with_a_real_address_code_and_birth_date(legacy: str, reason: str) -> None:
    """GB 11643-1999; GB/T 2260: with no check character, the address code and the date are all there is to
    check; a failure names the reason and GB 11643-1999, never the number or its birth date."""
    with pytest.raises(InvalidInput, match=reason) as exc:
        parse_resident_id(legacy, legacy=True)
    assert "15-digit legacy" in exc.value.message and "GB 11643-1999" in exc.value.message
    assert legacy not in exc.value.message and legacy[6:12] not in exc.value.message
