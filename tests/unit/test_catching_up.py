"""A command refused while a decision has fallen due and is not yet taken is "retry", not "refused" (issue 18).

Case reads come from the read model, which a timer's decision reaches when its local record commits. If the worker
is lost before that workflow task completes, the task is retried with the next command in the same activation, and
the ``execute`` validator runs on the state from before the timer's decision: a command valid in the stage the
reads show (``start_county_review`` once the 公示 window has closed) was refused 409 "not possible in stage
publicity" — seen in ``make chaos`` (3 of 40 cases). The validator now answers ``case_catching_up`` when the case
has a decision due (S1 Art. 19's 公示 end here), and the gateway turns that into ``CaseNotReady`` (503 with
Retry-After, nothing written, no refusal on the trail).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from temporalio.exceptions import ApplicationError

from domain.errors import InvalidTransition
from services.cases import CaseNotReady, CaseRefused, _update_failure
from workflows.case import validator_refusal
from workflows.models import CATCHING_UP

NOW = datetime(2026, 12, 7, 3, 0, tzinfo=UTC)
REFUSED = InvalidTransition("starting the review is not possible in stage publicity")


def test_a_refusal_while_a_decision_is_due_is_catching_up() -> None:
    for wake in (NOW, NOW - timedelta(seconds=1), NOW - timedelta(days=3)):
        answer = validator_refusal(REFUSED, wake, NOW)
        assert answer.type == CATCHING_UP and answer.non_retryable


def test_a_refusal_with_nothing_due_is_the_domain_s() -> None:
    for wake in (None, NOW + timedelta(seconds=1)):
        answer = validator_refusal(REFUSED, wake, NOW)
        assert answer.type == "invalid_transition"
        assert answer.details[0] == {"code": "invalid_transition", "field": []}


def test_the_gateway_answers_catching_up_as_not_ready_and_a_refusal_as_refused() -> None:
    catching_up = _update_failure(validator_refusal(REFUSED, NOW, NOW))
    assert isinstance(catching_up, CaseNotReady)
    refused = _update_failure(validator_refusal(REFUSED, None, NOW))
    assert isinstance(refused, CaseRefused) and refused.code == "invalid_transition"
    other = _update_failure(ApplicationError("x", type="not_permitted"))
    assert isinstance(other, CaseRefused) and other.code == "not_permitted"
