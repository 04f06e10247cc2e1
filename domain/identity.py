"""Resident ID numbers (公民身份号码), GB 11643-1999, SPEC §10.1.

Structure: 6-digit address code, 8-digit birth date, 3-digit sequence (odd = male), ISO 7064 MOD 11-2 check
character. The address code is the county code *at the time of issue*, so prefixes missing from today's code
table (e.g. 532331, the former 禄丰县) are accepted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from domain.errors import InvalidInput

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_CHARS = "10X98765432"
_SHAPE = re.compile(r"^[0-9]{17}[0-9X]$")


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
    """A syntactically valid 18-character resident ID number, normalised to upper-case ``X``."""

    value: str

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


def parse_resident_id(raw: str) -> ResidentId:
    """Validate and normalise an 18-character resident ID number.

    Checks the shape, that positions 7-14 are a real calendar date, and the check character.
    Whether the birth date lies in the future depends on today's date and is checked by the caller
    that knows the clock (see :func:`domain.programmes.decide`).

    Args:
        raw: the number as entered; a lower-case ``x`` is accepted and normalised.

    Returns:
        The normalised :class:`ResidentId`.

    Raises:
        InvalidInput: naming the reason, never echoing the number.
    """
    value = raw.strip().upper()
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
