"""A history is a contract: every model Temporal stores (workflow and Update inputs and results, activity
inputs and results, the events and states inside them, resolved parameters) decodes payloads with fields it
does not know, so a field dropped from a model later does not make old histories unreadable (issue 14).

The strictness lives at the edges that take input from people: the API's request bodies (``api/schemas.py``,
tested in tests/api/test_hostile_input.py) and the parameter book an operator writes (``ParameterBook.load``).
"""

from __future__ import annotations

import inspect
import json
import typing
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic import BaseModel, ValidationError

import activities.audit
import activities.calendar
import activities.models
import activities.parameters
import activities.review_sweep
import activities.standard_change
import activities.verification
import workflows.models
from domain.parameters import ParameterBook, ResolvedParameters, resolve
from workflows.models import CommandInput

PAYLOAD_MODULES = [workflows.models, activities.models, activities.audit, activities.calendar, activities.parameters,
                   activities.review_sweep, activities.standard_change, activities.verification]
DEFAULT_BOOK = Path(__file__).resolve().parents[2] / "domain" / "data" / "parameters_532302.json"


def _models_in(annotation: object, seen: set[type]) -> None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        if annotation in seen:
            return
        seen.add(annotation)
        for sub in annotation.__subclasses__():
            _models_in(sub, seen)
        for f in annotation.model_fields.values():
            _models_in(f.annotation, seen)
        return
    for arg in typing.get_args(annotation):
        _models_in(arg, seen)


def payload_models() -> set[type[BaseModel]]:
    seen: set[type] = set()
    for module in PAYLOAD_MODULES:
        for _, obj in inspect.getmembers(module, inspect.isclass):
            if issubclass(obj, BaseModel) and obj.__module__ == module.__name__:
                _models_in(obj, seen)
    return {m for m in seen if not m.__module__.startswith(("api.", "pydantic"))}


def test_no_model_temporal_stores_forbids_unknown_fields() -> None:
    models = payload_models()
    assert len(models) > 50  # events, commands, states, parameters, activity inputs …
    strict = sorted(f"{m.__module__}.{m.__qualname__}" for m in models if m.model_config.get("extra") == "forbid")
    assert strict == []


def test_a_recorded_command_with_a_field_dropped_since_still_decodes() -> None:
    payload = {"actor": {"id": "inv-01", "role": "township_caseworker", "jurisdiction": "532302101"},
               "command": {"type": "start_investigation", "investigators": ["a", "b"], "dropped_since": 1}}
    decoded = CommandInput.model_validate_json(json.dumps(payload))
    assert decoded.command.investigators == ["a", "b"]


def test_resolved_parameters_with_a_field_dropped_since_still_decode() -> None:
    params = resolve(ParameterBook.load(json.loads(DEFAULT_BOOK.read_text(encoding="utf-8"))), "532302101001",
                     datetime(2026, 11, 2, tzinfo=UTC).date())
    raw = params.model_dump(mode="json")
    raw["values"]["dropped_since"] = 1
    raw["values"]["deadlines"]["dropped_since"] = 1
    assert ResolvedParameters.model_validate(raw).values == params.values


@pytest.mark.parametrize("where", [(), ("values",), ("values", "deadlines"), ("values", "dynamic")])
def test_the_parameter_book_refuses_a_field_it_does_not_know(where: tuple[str, ...]) -> None:
    """A misspelt limit in the book the operator edits is refused, not ignored."""
    raw = json.loads(DEFAULT_BOOK.read_text(encoding="utf-8"))
    target = raw["versions"][0] if where else raw
    for key in where:
        target = target[key]
    target["publicity_periodd"] = 7
    with pytest.raises(ValidationError, match="Extra inputs are not permitted"):
        ParameterBook.load(raw)

