"""特困's links to the person's other cases (issue 17 item 3, through the kernel): recognition tells the other cases
the person entered 特困 (the 两项补贴 care subsidy's exclusion, SPEC §6.2), termination that they left (S3 Art. 26),
and a death another case recorded opens a 特困 review (S3 Arts. 24-25: an alert never terminates by itself)."""

from __future__ import annotations

from uuid import uuid4

from domain import commands as c
from domain import events as e
from domain.kernel.context import SYSTEM_ACTOR
from domain.programmes.tekun.programme import TEKUN
from domain.programmes.tekun.stages import Stage
from tests.unit.domain.tekun_support import TODAY, Driver


def _link(driver: Driver, effect: c.LinkEffect, resident_id: str) -> c.ApplyLink:
    return c.ApplyLink(key=f"k-{uuid4()}", effect=effect, source_case_id=uuid4(), source_program="dibao",
                       source_seq=9, resident_id=resident_id, occurred_on=TODAY)


def test_recognition_tells_the_persons_other_cases_they_entered_tekun_s3_art_17() -> None:
    case = Driver()
    before = case.approved()
    approved = [ev for ev in case.events if isinstance(ev, e.ApplicationApproved)]
    assert approved
    # the hook names the person of the case for each of the decision's events
    links = TEKUN.links(before, approved)
    assert [(lk.effect, lk.resident_id) for lk in links] == [
        (c.LinkEffect.ENTERED_PROGRAMME, before.members[0].resident_id)]


def test_a_death_another_case_recorded_opens_a_tekun_review_never_a_termination_s3_art_25() -> None:
    case = Driver()
    case.in_payment()
    assert case.state.stage is Stage.IN_PAYMENT
    person = case.state.members[0].resident_id
    state = case.do(SYSTEM_ACTOR, _link(case, c.LinkEffect.PERSON_DIED, person))
    types = [ev.type for ev in case.events[-3:]]
    assert types == ["link_received", "data_alert_raised", "tekun_review_opened"]
    assert case.events[-2].source == "link:dibao"
    assert state.stage is Stage.UNDER_REVIEW  # the township investigates and proposes; nothing is decided


def test_another_effect_or_another_person_is_only_recorded() -> None:
    case = Driver()
    case.in_payment()
    case.do(SYSTEM_ACTOR, _link(case, c.LinkEffect.LEFT_PROGRAMME, case.state.members[0].resident_id))
    case.do(SYSTEM_ACTOR, _link(case, c.LinkEffect.PERSON_DIED, "532302195001010011"))
    assert [ev.type for ev in case.events[-2:]] == ["link_received", "link_received"]
    assert case.state.stage is Stage.IN_PAYMENT
