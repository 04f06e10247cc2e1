"""A death another case of a member recorded reaches a 临时救助 case too (issue 17 item 3: every case of the person,
through the kernel): recorded on its trail as ``link_received``; it decides nothing there — the township cancels
the remaining instalments with its reasons (S8 §二(二))."""

from __future__ import annotations

from datetime import date
from uuid import uuid4

from domain import commands as c
from domain.kernel.context import SYSTEM_ACTOR
from domain.programmes.temporary.stages import Stage
from tests.unit.domain.test_temporary import APPROVER, urgent_case


def test_a_death_link_is_recorded_on_a_temporary_case_and_decides_nothing() -> None:
    case = urgent_case()
    case.do(APPROVER, c.GrantUrgentAssistance(amount="500.00", reason="房屋失火，先行救助"))
    before = case.state
    link = c.ApplyLink(key="k-death", effect=c.LinkEffect.PERSON_DIED, source_case_id=uuid4(), source_program="dibao",
                       source_seq=7, resident_id=before.members[0].resident_id, occurred_on=date(2026, 11, 1))
    events = case.do(SYSTEM_ACTOR, link)
    assert [ev.type for ev in events] == ["link_received"]
    assert case.state.stage == before.stage == Stage.URGENT_GRANTED
    assert "k-death" in case.state.links_received
