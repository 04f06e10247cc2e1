"""Test data: valid resident ID numbers, applications, actors, a fixed clock."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from uuid import UUID, uuid4

from domain.actors import Actor, Role
from domain.commands import SubmitApplication
from domain.household import AreaType, Declaration, Member, Program, Relation
from domain.identity import check_character
from domain.kernel.context import DecisionContext

FIXED_NOW = datetime(2026, 11, 2, 2, 30, tzinfo=UTC)  # 10:30 Beijing time, a Monday

JINSHAN = "532302101"  # 金山镇
BICHENG = "532302103"  # 碧城镇
JINSHAN_VILLAGE = "532302101001"
BICHENG_VILLAGE = "532302103004"


def resident_id(address: str = "532302", birth: str = "19800101", seq: str = "123") -> str:
    """A valid 18-character resident ID number with a computed check character (GB 11643-1999)."""
    body = f"{address}{birth}{seq}"
    return body + check_character(body)


def with_bad_check_digit(rid: str) -> str:
    wrong = next(c for c in "0123456789X" if c != rid[17])
    return rid[:17] + wrong


def actor(role: Role = Role.FRONT_OFFICE, jurisdiction: str = JINSHAN, sub: str = "window-01") -> Actor:
    return Actor(id=sub, role=role, jurisdiction=jurisdiction)


_rng = random.Random()
#: Every number handed out in this test process, and the fixed ones of :func:`application`: 365,000 numbers
#: a birth year drawn at random repeat within a session (the birthday paradox: one member in two cases made a
#: create answer 409 member_in_case in CI), so a draw that was handed out before is drawn again.
_issued: set[str] = set()


def unique_resident_id(birth_year: int = 1980) -> str:
    """A valid resident ID number not handed out before in this process: cases in a shared test database must
    not share members."""
    while True:
        day = date(birth_year, 1, 1) + timedelta(days=_rng.randrange(365))
        rid = resident_id(birth=day.strftime("%Y%m%d"), seq=f"{_rng.randrange(1000):03d}")
        if rid not in _issued:
            _issued.add(rid)
            return rid


_FIXED_IDS = (resident_id(birth="19800101", seq="123"), resident_id(birth="20100315", seq="002"))
_issued.update(_FIXED_IDS)


def application(village_code: str = JINSHAN_VILLAGE, members: list[Member] | None = None,
                declaration: Declaration | None = None, unique: bool = False) -> SubmitApplication:
    """A rural two-person household. ``unique`` draws fresh ID numbers (needed wherever cases are stored)."""
    ids = (unique_resident_id(1980), unique_resident_id(2010)) if unique else _FIXED_IDS
    return SubmitApplication(
        program=Program.DIBAO,
        village_code=village_code,
        area_type=AreaType.RURAL,
        members=members
        or [
            Member(name="测试甲", resident_id=ids[0], relation=Relation.APPLICANT),
            Member(name="测试乙", resident_id=ids[1], relation=Relation.CHILD),
        ],
        declaration=declaration or Declaration(),
    )


def application_body(village_code: str = JINSHAN_VILLAGE, declaration: Declaration | None = None,
                     members: list[Member] | None = None) -> dict[str, object]:
    """The JSON body of ``POST /v1/cases``: a household with fresh ID numbers."""
    app = application(village_code, members=members, declaration=declaration, unique=True)
    return {
        "program": app.program.value,
        "village_code": app.village_code,
        "area_type": app.area_type.value,
        "members": [m.model_dump(mode="json", exclude_defaults=True) for m in app.members],
        "declaration": app.declaration.model_dump(mode="json"),
    }


def ctx(who: Actor | None = None, now: datetime = FIXED_NOW, case_id: UUID | None = None) -> DecisionContext:
    return DecisionContext(now=now, actor=who or actor(), case_id=case_id or uuid4())
