"""The competent place of application: SPEC §12.20 and §2, S1 Arts. 4 and 5."""

from __future__ import annotations

import pytest

from domain.errors import InvalidInput
from domain.household import Member, Relation
from domain.place import competent_place
from domain.programmes import decide
from tests.builders import JINSHAN_VILLAGE, application, ctx, resident_id

GUANGDONG_HUKOU = "440106001001"  # a Guangzhou village code (another province)
JINSHAN_HUKOU = "532302101001"


def _members(applicant_hukou: str | None, applicant_home: str | None, spouse_hukou: str | None,
             spouse_home: str | None) -> list[Member]:
    return [
        Member(name="甲", resident_id=resident_id(birth="19800101", seq="123"), relation=Relation.APPLICANT,
               hukou_code=applicant_hukou, residence_code=applicant_home),
        Member(name="乙", resident_id=resident_id(birth="19820202", seq="124"), relation=Relation.SPOUSE,
               hukou_code=spouse_hukou, residence_code=spouse_home),
    ]


def test_two_provinces_the_member_whose_hukou_and_residence_coincide_applies_at_that_hukou() -> None:
    """SPEC §12.20 — S1 Art. 5 para 1: hukou in Yunnan and Guangdong; only the spouse lives at their hukou
    (金山镇), so 金山镇 is the competent place, and the event cites Art. 5."""
    members = _members(GUANGDONG_HUKOU, JINSHAN_HUKOU, JINSHAN_HUKOU, JINSHAN_HUKOU)

    competence = competent_place(members)
    [event] = decide(None, application(JINSHAN_VILLAGE, members=members), ctx())

    assert competence is not None and competence.places == {"532302101"}
    assert competence.rule == "cross_province_hukou_matches_residence"
    assert "S1 Art. 5" in event.legal_basis


def test_two_provinces_applying_at_the_other_members_hukou_is_refused() -> None:
    """S1 Art. 5 para 1: the member whose hukou and residence differ may not pull the case to their hukou."""
    members = _members(JINSHAN_HUKOU, GUANGDONG_HUKOU, GUANGDONG_HUKOU, GUANGDONG_HUKOU)

    with pytest.raises(InvalidInput, match="competent place") as err:
        decide(None, application(JINSHAN_VILLAGE, members=members), ctx())
    assert err.value.field == ("village_code",)


def test_when_no_member_lives_at_their_hukou_any_members_hukou_will_do() -> None:
    """S1 Art. 5 para 1, second sentence."""
    members = _members(JINSHAN_HUKOU, GUANGDONG_HUKOU, GUANGDONG_HUKOU, JINSHAN_HUKOU)

    competence = competent_place(members)

    assert competence is not None and competence.places == {"532302101", "440106001"}
    assert decide(None, application(JINSHAN_VILLAGE, members=members), ctx())


def test_the_default_is_the_households_hukou_township() -> None:
    """S1 Art. 4: same county — apply at the applicant's hukou township; another township is refused."""
    members = _members("532302103004", None, "532302103004", None)

    with pytest.raises(InvalidInput, match="household_hukou"):
        decide(None, application(JINSHAN_VILLAGE, members=members), ctx())


def test_unknown_hukou_is_not_checked() -> None:
    assert competent_place(_members(None, None, None, None)) is None
