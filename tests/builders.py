"""Test data: valid resident ID numbers, applications, actors, a fixed clock."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID, uuid4

from domain.actors import Actor, Role
from domain.case import DecisionContext
from domain.commands import SubmitApplication
from domain.household import AreaType, Member, Program, Relation
from domain.identity import check_character

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


def application(village_code: str = JINSHAN_VILLAGE, members: list[Member] | None = None) -> SubmitApplication:
    return SubmitApplication(
        program=Program.DIBAO,
        village_code=village_code,
        area_type=AreaType.RURAL,
        members=members
        or [
            Member(name="测试甲", resident_id=resident_id(birth="19800101", seq="123"), relation=Relation.APPLICANT),
            Member(name="测试乙", resident_id=resident_id(birth="20100315", seq="002"), relation=Relation.CHILD),
        ],
    )


def application_body(village_code: str = JINSHAN_VILLAGE) -> dict[str, object]:
    """The JSON body of ``POST /v1/cases`` for :func:`application`."""
    app = application(village_code)
    return {
        "program": app.program.value,
        "village_code": app.village_code,
        "area_type": app.area_type.value,
        "members": [m.model_dump(mode="json") for m in app.members],
    }


def ctx(who: Actor | None = None, now: datetime = FIXED_NOW, case_id: UUID | None = None) -> DecisionContext:
    return DecisionContext(now=now, actor=who or actor(), case_id=case_id or uuid4())
