"""Masking of resident ID numbers for the roles that need not identify the person (SPEC §9; PIPL Art. 28)."""

from __future__ import annotations

import re
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.identity import mask_resident_id, parse_resident_id
from tests.builders import resident_id

MASKED = re.compile(r"^[0-9]{6}\*{8}[0-9]{3}[0-9X]$")


def test_the_address_code_and_the_last_four_stay_the_birth_date_and_sequence_go() -> None:
    assert mask_resident_id("532302202103150029") == "532302********0029"


def test_a_check_character_x_is_kept_upper_case() -> None:
    rid = next(r for r in (resident_id(seq=f"{n:03d}") for n in range(1000)) if r.endswith("X"))

    masked = mask_resident_id(rid.lower())

    assert masked == rid[:6] + "*" * 8 + rid[-4:]
    assert masked.endswith("X")


def test_it_agrees_with_the_masked_form_of_a_parsed_number() -> None:
    rid = resident_id(birth="19800101", seq="123")

    assert mask_resident_id(rid) == parse_resident_id(rid).masked()


@pytest.mark.parametrize(("raw", "masked"), [
    ("", ""),
    ("1234", "****"),
    ("1234567890", "**********"),  # 6 + 4: nothing would be masked, so everything is
    ("12345678901", "123456*8901"),
    ("532302800101002", "532302*****1002"),  # the old 15-digit numbers: same rule
    ("  532302202103150029 ", "532302********0029"),
])
def test_any_string_is_masked_and_never_returned_in_clear(raw: str, masked: str) -> None:
    assert mask_resident_id(raw) == masked


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2099, 12, 31)), st.integers(0, 999))
def test_every_valid_number_masks_to_the_published_shape_hiding_its_birth_date(birth: date, seq: int) -> None:
    rid = resident_id(birth=birth.strftime("%Y%m%d"), seq=f"{seq:03d}")

    masked = mask_resident_id(rid)

    assert MASKED.fullmatch(masked), masked
    assert masked[:6] == rid[:6]
    assert masked[-4:] == rid[-4:]
    assert birth.strftime("%Y%m%d") not in masked
