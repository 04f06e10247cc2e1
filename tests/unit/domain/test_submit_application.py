"""SubmitApplication: decide / evolve / project for the first event of a case (S1 Arts. 4, 6, 9)."""

from __future__ import annotations

from datetime import UTC, datetime

import pydantic
import pytest

from domain.actors import Role
from domain.errors import InvalidInput, InvalidTransition, NotPermitted
from domain.events import ApplicationSubmitted
from domain.household import Member, Relation
from domain.programmes import decide, evolve, project
from domain.programmes.dibao.stages import Stage
from tests.builders import (
    BICHENG_VILLAGE,
    FIXED_NOW,
    JINSHAN,
    JINSHAN_VILLAGE,
    actor,
    application,
    ctx,
    resident_id,
    with_bad_check_digit,
)

APPLICANT = Member(
    name="测试甲", resident_id=resident_id(birth="19800101", seq="123"), relation=Relation.APPLICANT
)


def child(rid: str, relation: Relation = Relation.CHILD) -> Member:
    return Member(name="测试乙", resident_id=rid, relation=relation)


def test_submitting_an_application_records_one_application_submitted_event() -> None:
    """S1 Art. 4: the household applies through one member at the township window."""
    c = ctx(actor(Role.FRONT_OFFICE, JINSHAN, "window-01"))
    cmd = application()

    events = decide(None, cmd, c)

    assert len(events) == 1
    event = events[0]
    assert isinstance(event, ApplicationSubmitted)
    assert (event.case_id, event.seq, event.at) == (c.case_id, 1, FIXED_NOW)
    assert event.actor == actor(Role.FRONT_OFFICE, JINSHAN, "window-01")
    assert "S1 Art. 4" in event.legal_basis
    assert "S1 Art. 6" not in event.legal_basis
    assert (event.program, event.village_code) == (cmd.program, JINSHAN_VILLAGE)
    assert event.area_type == cmd.area_type
    assert event.members == tuple(cmd.members)


def test_a_village_committee_submitting_as_agent_cites_article_6() -> None:
    """S1 Art. 6: the village committee may apply on the family's behalf."""
    (event,) = decide(None, application(), ctx(actor(Role.VILLAGE_COMMITTEE, JINSHAN_VILLAGE, "vc-01")))

    assert {"S1 Art. 4", "S1 Art. 6"} <= set(event.legal_basis)
    assert event.actor.role == Role.VILLAGE_COMMITTEE


def test_evolving_the_event_opens_a_submitted_case_with_derived_division_codes() -> None:
    """SPEC §10.2: township and county codes derive from the village code."""
    c = ctx(actor(jurisdiction="532302"))
    (event,) = decide(None, application(BICHENG_VILLAGE), c)

    state = evolve(None, event)

    assert (state.stage, state.case_id, state.version) == (Stage.SUBMITTED, c.case_id, 1)
    assert (state.village_code, state.township_code) == (BICHENG_VILLAGE, "532302103")
    assert state.county_code == "532302"
    assert state.opened_at == state.stage_since == state.updated_at == FIXED_NOW
    assert state.members == event.members


def test_project_folds_the_events_into_the_same_state_as_evolve() -> None:
    events = decide(None, application(), ctx())

    assert project(events) == evolve(None, events[0])
    assert project([]) is None


def test_a_lower_case_x_in_a_resident_id_is_normalised_in_the_event() -> None:
    """GB 11643-1999 (SPEC §10.1): accept lower-case x, store upper case."""
    assert APPLICANT.resident_id.endswith("X")
    lower = APPLICANT.model_copy(update={"resident_id": APPLICANT.resident_id.lower()})

    (event,) = decide(None, application(members=[lower]), ctx())

    assert event.members[0].resident_id == APPLICANT.resident_id


@pytest.mark.parametrize(
    ("role", "village"),
    [(role, JINSHAN_VILLAGE) for role in sorted(set(Role) - {Role.FRONT_OFFICE, Role.VILLAGE_COMMITTEE})]
    + [(Role.FRONT_OFFICE, BICHENG_VILLAGE)],  # 金山镇 staff may not submit for a 碧城镇 village (SPEC §2)
)
def test_only_the_window_and_village_committee_may_submit_and_only_in_their_area(
    role: Role, village: str
) -> None:
    """S1 Arts. 4, 6; S4 Art. 60: caseworkers, approvers and auditors do not hand in applications."""
    with pytest.raises(NotPermitted):
        decide(None, application(village), ctx(actor(role, JINSHAN)))


@pytest.mark.parametrize("code", ["53230210100", "532302101000", "532302199001"])
def test_a_bad_village_code_names_the_village_code_field(code: str) -> None:
    """SPEC §10.2."""
    with pytest.raises(InvalidInput) as exc:
        decide(None, application(code), ctx(actor(jurisdiction="532302")))
    assert exc.value.field == ("village_code",)


@pytest.mark.parametrize(
    ("rid", "reason"),
    [
        (with_bad_check_digit(resident_id(birth="20100315", seq="002")), "check digit"),
        (APPLICANT.resident_id.lower(), "twice"),  # S1 Art. 7: each member once, compared after normalising
    ],
)
def test_a_bad_or_repeated_resident_id_names_the_member_and_never_echoes_the_number(
    rid: str, reason: str
) -> None:
    """GB 11643-1999; SPEC §9: no personal data in messages."""
    with pytest.raises(InvalidInput, match=reason) as exc:
        decide(None, application(members=[APPLICANT, child(rid)]), ctx())

    assert exc.value.field == ("members", 1, "resident_id")
    assert rid.upper() not in str(exc.value).upper()


@pytest.mark.parametrize(
    ("now", "birth", "accepted"),
    [
        (datetime(2026, 11, 1, 16, 30, tzinfo=UTC), "20261102", True),  # UTC 1 Nov, Beijing 00:30 on 2 Nov
        (datetime(2026, 11, 1, 16, 30, tzinfo=UTC), "20261103", False),
        (datetime(2026, 11, 1, 15, 30, tzinfo=UTC), "20261102", False),  # still 1 Nov (23:30) in Beijing
        (FIXED_NOW, "20270101", False),
    ],
)
def test_a_birth_date_after_today_in_china_is_rejected(now: datetime, birth: str, accepted: bool) -> None:
    """GB 11643-1999 (SPEC §10.1): the birth date must not be in the future, in China time (UTC+8)."""
    cmd = application(members=[APPLICANT, child(resident_id(birth=birth, seq="002"))])

    if accepted:
        assert decide(None, cmd, ctx(now=now))[0].members[1].resident_id[6:14] == birth
    else:
        with pytest.raises(InvalidInput, match="future") as exc:
            decide(None, cmd, ctx(now=now))
        assert exc.value.field == ("members", 1, "resident_id")


@pytest.mark.parametrize(
    "relations", [[Relation.SPOUSE, Relation.CHILD], [Relation.APPLICANT, Relation.APPLICANT]]
)
def test_exactly_one_member_must_be_the_applicant(relations: list[Relation]) -> None:
    """S1 Art. 4: the household applies through one member."""
    members = [child(resident_id(seq=f"00{i}"), rel) for i, rel in enumerate(relations, start=1)]

    with pytest.raises(InvalidInput, match="exactly one") as exc:
        decide(None, application(members=members), ctx())
    assert exc.value.field == ("members",)


def test_submitting_to_an_existing_case_is_an_invalid_transition() -> None:
    """SPEC §3.2: an application opens a case exactly once."""
    c = ctx()
    state = project(decide(None, application(), c))

    with pytest.raises(InvalidTransition):
        decide(state, application(), c)


def test_a_blank_member_name_is_refused_not_recorded_empty() -> None:
    """Regression: names are stripped by validation, so a blank name cannot slip through as ''."""
    with pytest.raises(pydantic.ValidationError):
        Member(name="   ", resident_id="532331198001011231", relation=Relation.APPLICANT)
