"""The members' earlier cases linked with the application (issue 20 item 4): decide / evolve for the link the
engine found at intake (S4 Art. 59; S1 Art. 20)."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

import pytest

from domain.errors import InvalidInput
from domain.events import ApplicationSubmitted, EarlierCasesLinked
from domain.household import Program
from domain.kernel.state import EarlierCase
from domain.programmes import decide, project
from tests.builders import JINSHAN_VILLAGE, application, ctx

REFUSED = EarlierCase(
    case_id=UUID("00000000-0000-4000-8000-000000000001"), program=Program.DIBAO, village_code=JINSHAN_VILLAGE,
    opened_at=datetime(2026, 3, 2, 2, 0, tzinfo=UTC), outcome="rejected",
    decided_at=datetime(2026, 4, 10, 3, 0, tzinfo=UTC), reasons=("家庭财产状况不符合规定：住房两套",),
    member_indexes=(0, 1),
)


def test_the_earlier_cases_are_linked_in_the_same_decision_as_the_application() -> None:
    """S4 Art. 59, S1 Art. 20: the link is recorded right after the application (seq 2), with its own legal
    basis, and folds into the state where the investigation and the county's review read it."""
    events = decide(None, application().model_copy(update={"earlier_cases": (REFUSED,)}), ctx())

    assert [type(e) for e in events] == [ApplicationSubmitted, EarlierCasesLinked]
    linked = events[1]
    assert isinstance(linked, EarlierCasesLinked)
    assert linked.seq == 2 and linked.legal_basis == ("S4 Art. 59", "S1 Art. 20")
    assert linked.earlier_cases == (REFUSED,)
    state = project(events)
    assert state is not None
    assert state.version == 2 and state.stage == "submitted"
    assert state.earlier_cases == (REFUSED,)


def test_an_application_without_earlier_cases_records_no_link() -> None:
    """S4 Art. 59: nothing to link, nothing recorded — the application's decision is what it always was (the
    golden histories recorded before links existed re-derive unchanged)."""
    events = decide(None, application(), ctx())

    assert [e.type for e in events] == ["application_submitted"]
    state = project(events)
    assert state is not None and state.earlier_cases == ()


@pytest.mark.parametrize(
    ("links", "field"),
    [
        ((REFUSED.model_copy(update={"member_indexes": (2,)}),), ("earlier_cases", 0, "member_indexes")),
        ((REFUSED.model_copy(update={"member_indexes": ()}),), ("earlier_cases", 0, "member_indexes")),
        ((REFUSED, REFUSED), ("earlier_cases",)),
    ],
)
def test_a_link_that_names_no_member_or_a_case_twice_is_refused(links: tuple[EarlierCase, ...],
                                                                   field: tuple[object, ...]) -> None:
    """S4 Art. 59: a link records which of this application's members were in the earlier case; one that
    names none of them, or the same case twice, is not the register's and is refused."""
    with pytest.raises(InvalidInput) as err:
        decide(None, application().model_copy(update={"earlier_cases": links}), ctx())
    assert err.value.field == field
