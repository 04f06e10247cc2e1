"""The programmes' states share the procedure steps' fields through one base (:class:`ProcedureSteps`); a state
travels in Temporal payloads (a continued run's input, ``record_case``'s input), so moving fields into a base
must not change what a state writes.

Each checked state is the last one a golden history handed to ``record_case``, decoded and dumped again; the
expected dumps in ``data/state_dumps.json`` were written before the base existed. Dibao's and 特困's are equal
byte for byte (the base holds exactly their leading fields, in their order), but for the two 补发 fields 特困
gained later, at their defaults. 临时救助's keys come in the base's
order now and it carries the base's ``rejection_notice_due`` (None): the same object apart from that key,
which no comparison of a history reads (replay compares commands; the golden-payload test compares events).
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from domain.procedure.steps import ProcedureSteps
from domain.programmes import CASE_STATE
from domain.programmes.dibao.state import DibaoState
from domain.programmes.tekun.state import TekunState
from domain.programmes.temporary.state import TemporaryState

ROOT = Path(__file__).resolve().parents[3]
HISTORIES = ROOT / "tests" / "workflows" / "histories"
EXPECTED = json.loads((Path(__file__).parent / "data" / "state_dumps.json").read_text())


def last_recorded_state(history: str) -> dict[str, Any]:
    """The ``state`` of the last ``record_case`` input in a golden history (as Temporal stored it)."""
    state: dict[str, Any] | None = None
    for ev in json.loads((HISTORIES / f"{history}.json").read_text())["events"]:
        attrs = ev.get("activityTaskScheduledEventAttributes")
        if attrs and attrs["activityType"]["name"] == "record_case":
            state = json.loads(base64.b64decode(attrs["input"]["payloads"][0]["data"]))["state"]
    assert state is not None
    return state


@pytest.mark.parametrize("history", ["case_v3_review_cycle", "case_v6_amendments_republished",
                                     "tekun_v1_minor_in_school_reviewed", "tekun_v1_terminated_after_objection"])
def test_dibao_and_tekun_states_dump_byte_for_byte_as_before_the_base(history: str) -> None:
    state = CASE_STATE.validate_python(last_recorded_state(history))
    assert isinstance(state, DibaoState | TekunState)
    assert isinstance(state, ProcedureSteps)
    dumped = state.model_dump_json()
    if isinstance(state, TekunState):  # 特困's 补发 fields came later (S4 Art. 10): at their defaults, as added
        dumped = dumped.replace(',"back_paid":{},"back_pay_decided":"0"', "", 1)
    assert dumped == EXPECTED[history]
    assert CASE_STATE.validate_json(state.model_dump_json()) == state
    assert CASE_STATE.validate_json(EXPECTED[history]) == state  # a payload written before decodes the same


@pytest.mark.parametrize("history", ["case_v7_temporary_urgent_follow_up_case_by_case",
                                     "case_v7_temporary_check_negative_rejected"])
def test_temporary_states_dump_the_same_object_as_before_the_base(history: str) -> None:
    state = CASE_STATE.validate_python(last_recorded_state(history))
    assert isinstance(state, TemporaryState)
    assert isinstance(state, ProcedureSteps)
    dumped = json.loads(state.model_dump_json())
    assert dumped.pop("rejection_notice_due") is None
    assert dumped == json.loads(EXPECTED[history])
    assert CASE_STATE.validate_json(EXPECTED[history]) == state  # a payload written before decodes the same


def test_the_base_holds_the_leading_fields_of_dibao_and_tekun_in_their_order() -> None:
    shared = list(ProcedureSteps.model_fields)
    assert list(DibaoState.model_fields)[:len(shared)] == shared
    assert list(TekunState.model_fields)[:len(shared)] == shared
    assert set(shared) <= set(TemporaryState.model_fields)
    assert ProcedureSteps.model_config.get("extra") != "forbid"
