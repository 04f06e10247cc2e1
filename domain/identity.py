"""Resident ID numbers (公民身份号码), GB 11643-1999, SPEC §10.1.

Structure: 6-digit address code, 8-digit birth date, 3-digit sequence (odd = male), ISO 7064 MOD 11-2 check
character. The address code is the county code *at the time of issue*, so prefixes missing from today's code
table (e.g. 532331, the former 禄丰县) are accepted.

Legacy 15-digit numbers (issued before GB 11643-1999; SPEC §10.1): 6-digit address code, ``YYMMDD``, 3-digit
sequence, no check character. Following SPEC §10.1 ("accept them only in data migration") they are *converted*
only where data comes from another department's system (``legacy=True``: the bulk data-comparison alerts, the
information-check extracts) and *refused with their own reason* everywhere a person is entered at the window,
where the 18-digit number is on the person's card and hukou register (a 15-digit number has no check
character, so a mistyped digit could not be caught). The conversion is GB 11643-1999's: insert ``19`` before
the two-digit birth year, then append the MOD 11-2 check character; it is done only when the address code
names a province of GB/T 2260 and ``19YYMMDD`` is a real date, and the converted 18-digit number is what is
stored and matched.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from domain.errors import InvalidInput

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_CHARS = "10X98765432"
_SHAPE = re.compile(r"^[0-9]{17}[0-9X]$")
_LEGACY_SHAPE = re.compile(r"^[0-9]{15}$")
#: Province-level codes of GB/T 2260 (the first two digits of every address code).
_PROVINCES = frozenset({
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37", "41", "42", "43",
    "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65", "71", "81", "82",
})
#: Why a 15-digit number is refused at the window: in words the window staff can act on (no number echoed).
LEGACY_REFUSED = (
    "this is a 15-digit legacy resident ID number (旧15位身份证号码, issued before 1999): enter the 18-digit "
    "number on the person's current resident ID card or hukou register (GB 11643-1999)"
)


def check_character(body17: str) -> str:
    """The ISO 7064 MOD 11-2 check character of a 17-digit body (GB 11643-1999 §5.2).

    Args:
        body17: the first 17 digits.

    Returns:
        One of ``0-9`` or ``X``.
    """
    total = sum(int(ch) * w for ch, w in zip(body17, _WEIGHTS, strict=True))
    return _CHECK_CHARS[total % 11]


@dataclass(frozen=True, slots=True)
class ResidentId:
    """A syntactically valid 18-character resident ID number, normalised to upper-case ``X``.

    ``converted_from_legacy`` says the number was entered in its 15-digit form and converted (not part of
    equality: it is the same number).
    """

    value: str
    converted_from_legacy: bool = field(default=False, compare=False)

    @property
    def address_code(self) -> str:
        return self.value[:6]

    @property
    def birth_date(self) -> date:
        return date(int(self.value[6:10]), int(self.value[10:12]), int(self.value[12:14]))

    @property
    def is_male(self) -> bool:
        return int(self.value[16]) % 2 == 1

    def masked(self) -> str:
        """First 6 and last 4 characters, the middle masked (SPEC §9: ``532302********0029``)."""
        return mask_resident_id(self.value)


#: Characters kept in clear at each end of a masked number: the address code and the last four.
_KEEP_HEAD, _KEEP_TAIL = 6, 4


def mask_resident_id(raw: str) -> str:
    """A resident ID number as roles that need not identify the person see it (SPEC §9; PIPL Art. 28):
    the 6-digit address code and the last 4 characters, the rest — birth date and sequence — as ``*``.

    ``532302202103150029`` → ``532302********0029``. Total on any string: surrounding whitespace is dropped,
    a lower-case ``x`` upper-cased and the length kept; a value too short to keep both ends in clear while
    masking anything (10 characters or fewer) is masked whole, so no input ever comes back unmasked.

    Args:
        raw: the number as stored (normally the 18 characters of a validated number).

    Returns:
        The masked number.
    """
    value = raw.strip().upper()
    if len(value) <= _KEEP_HEAD + _KEEP_TAIL:
        return "*" * len(value)
    return value[:_KEEP_HEAD] + "*" * (len(value) - _KEEP_HEAD - _KEEP_TAIL) + value[-_KEEP_TAIL:]


def is_legacy_shape(raw: str) -> bool:
    """Whether ``raw`` (surrounding blanks ignored) has the shape of a 15-digit legacy number."""
    return bool(_LEGACY_SHAPE.fullmatch(raw.strip()))


def convert_legacy_resident_id(raw: str) -> ResidentId:
    """Convert a 15-digit legacy number to its 18-digit form (GB 11643-1999; SPEC §10.1).

    ``AAAAAA YYMMDD SSS`` becomes ``AAAAAA 19YYMMDD SSS C``: ``19`` inserted before the birth year (every
    15-digit number was issued to a person born in the 1900s), ``C`` the ISO 7064 MOD 11-2 check character of
    the 17 digits.

    Args:
        raw: 15 digits (surrounding blanks ignored).

    Returns:
        The 18-digit :class:`ResidentId`, marked ``converted_from_legacy``.

    Raises:
        InvalidInput: not 15 digits, an address code whose first two digits name no province (GB/T 2260), or
            positions 7-12 not a real date in 19YY; the reason only, never the number.
    """
    value = raw.strip()
    if not _LEGACY_SHAPE.fullmatch(value):
        raise InvalidInput("a legacy resident ID number must be 15 digits (GB 11643-1999)")
    if value[:2] not in _PROVINCES or value[2:6] == "0000":
        raise InvalidInput("15-digit legacy number: positions 1-6 are not an address code (GB/T 2260; "
                           "GB 11643-1999)")
    try:
        date(1900 + int(value[6:8]), int(value[8:10]), int(value[10:12]))
    except ValueError:
        raise InvalidInput("15-digit legacy number: positions 7-12 are not a valid birth date YYMMDD "
                           "(GB 11643-1999)") from None
    body17 = value[:6] + "19" + value[6:]
    return ResidentId(body17 + check_character(body17), converted_from_legacy=True)


def parse_resident_id(raw: str, *, legacy: bool = False) -> ResidentId:
    """Validate and normalise an 18-character resident ID number.

    Checks the shape, that positions 7-14 are a real calendar date, and the check character.
    Whether the birth date lies in the future depends on today's date and is checked by the caller
    that knows the clock (see :func:`domain.programmes.decide`).

    Args:
        raw: the number as entered; a lower-case ``x`` is accepted and normalised.
        legacy: convert a 15-digit legacy number (:func:`convert_legacy_resident_id`) instead of refusing it:
            for data from other departments' systems only (SPEC §10.1), never for a person at the window.

    Returns:
        The normalised :class:`ResidentId`.

    Raises:
        InvalidInput: naming the reason, never echoing the number; a 15-digit number without ``legacy`` is
            refused as a legacy number (:data:`LEGACY_REFUSED`), not as a wrong length.
    """
    value = raw.strip().upper()
    if _LEGACY_SHAPE.fullmatch(value):
        if legacy:
            return convert_legacy_resident_id(value)
        raise InvalidInput(LEGACY_REFUSED)
    if not _SHAPE.fullmatch(value):
        raise InvalidInput("must be 18 characters: 17 digits and a check digit or X (GB 11643-1999)")
    try:
        date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        raise InvalidInput("positions 7-14 are not a valid birth date (GB 11643-1999)") from None
    if int(value[6:10]) < 1850:
        raise InvalidInput("birth year before 1850 is not plausible (GB 11643-1999)")
    if check_character(value[:17]) != value[17]:
        raise InvalidInput("check digit does not match (GB 11643-1999, ISO 7064 MOD 11-2)")
    return ResidentId(value)
