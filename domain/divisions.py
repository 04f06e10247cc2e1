"""Administrative division codes (SPEC §10.2) and jurisdictions.

A village code is the 12-digit NBS statistical code ``PP CC DD TTT VVV``; its first 9 digits are the township
code and its first 6 the county code (GB/T 2260). Jurisdiction codes are 6 (county), 9 (township) or 12
(village) digits, and a jurisdiction covers every code it is a prefix of.
"""

from __future__ import annotations

import re
from types import MappingProxyType

from domain.errors import InvalidInput

LUFENG_COUNTY_CODE = "532302"

#: Lufeng (禄丰市) townships, NBS 2022/2023 statistical codes [SPEC §10.2, source S14].
LUFENG_TOWNSHIPS: MappingProxyType[str, str] = MappingProxyType(
    {
        "532302101": "金山镇",
        "532302102": "仁兴镇",
        "532302103": "碧城镇",
        "532302104": "勤丰镇",
        "532302105": "一平浪镇",
        "532302106": "广通镇",
        "532302107": "黑井镇",
        "532302108": "土官镇",
        "532302109": "彩云镇",
        "532302110": "和平镇",
        "532302111": "恐龙山镇",
        "532302201": "中村乡",
        "532302202": "高峰乡",
        "532302203": "妥安乡",
    }
)

#: Townships known per county. A county absent from this table accepts any well-formed township code.
KNOWN_TOWNSHIPS: MappingProxyType[str, MappingProxyType[str, str]] = MappingProxyType(
    {LUFENG_COUNTY_CODE: LUFENG_TOWNSHIPS}
)

_JURISDICTION = re.compile(r"^(?:[0-9]{6}|[0-9]{9}|[0-9]{12})$")
_VILLAGE = re.compile(r"^[0-9]{12}$")


def is_jurisdiction_code(code: str) -> bool:
    """Whether ``code`` has the shape of a county (6), township (9) or village (12) code."""
    return bool(_JURISDICTION.fullmatch(code))


def covers(jurisdiction: str, code: str) -> bool:
    """Whether a jurisdiction contains the division ``code`` (itself, or a division below it).

    Args:
        jurisdiction: a 6-, 9- or 12-digit code.
        code: a 6-, 9- or 12-digit code.

    Returns:
        True when ``code`` lies inside ``jurisdiction``.
    """
    return is_jurisdiction_code(jurisdiction) and is_jurisdiction_code(code) and code.startswith(jurisdiction)


def township_of(village_code: str) -> str:
    """The 9-digit township code of a 12-digit village code."""
    return village_code[:9]


def county_of(code: str) -> str:
    """The 6-digit county code of any division code."""
    return code[:6]


def validate_village_code(code: str) -> str:
    """Validate a 12-digit village (村/社区) code against the known township table.

    Args:
        code: the code as entered.

    Returns:
        The code.

    Raises:
        InvalidInput: when the shape is wrong, the village part is ``000`` (that is the township itself), or
            the township is not one of the county's known townships.
    """
    if not _VILLAGE.fullmatch(code):
        raise InvalidInput("must be a 12-digit village code (统计用区划代码)")
    if code[9:] == "000":
        raise InvalidInput("village part (digits 10-12) is 000, which names a township, not a village")
    townships = KNOWN_TOWNSHIPS.get(county_of(code))
    if townships is not None and township_of(code) not in townships:
        raise InvalidInput("township (digits 1-9) is not a township of its county")
    return code
