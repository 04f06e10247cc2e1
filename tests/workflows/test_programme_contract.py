"""The programme contract (issue 14): every programme registered on the kernel is complete.

Also: the shared procedure steps it runs find the state fields and the articles they need.

For each programme in :data:`domain.programmes.REGISTRY`:

- every command of its vocabulary has a handler, and nothing else does;
- every event of its vocabulary has a mutator, and nothing else does;
- every deadline step has a rule with a legal basis (an article), and every step its pending steps, its
  handlers or its events name has a rule;
- every stage is entered by some recorded case (the golden histories), is reachable from the application, and
  leads on to a stage in which a case closes;
- every event type appears in at least one golden history.

The stage graph is the one the golden histories show (folded with the programme's own mutators), so a stage
that only a hand-made state could be in fails here.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict, deque
from pathlib import Path
from typing import Any, NamedTuple

import pytest
from pydantic import TypeAdapter
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHistory

from domain import events as e
from domain.kernel.programme import Programme
from domain.programmes import REGISTRY
from workflows.models import CaseWorkflowInput

HISTORY_DIR = Path(__file__).parent / "histories"
PROGRAMMES = list(REGISTRY.values())
IDS = [p.code.value for p in PROGRAMMES]
#: An article of a source (SPEC §0.2); a source's document by its number where its articles were not retrieved
#: (S12 云政发〔2016〕5号); or — for a step no source governs — the SPEC section that says so, labelled
#: UNCONFIRMED (the value is then a parameter).
ARTICLE = re.compile(r"^S\d+ (Arts?\. \d+|§|item \d+|\S+〔\d{4}〕\d+号)|^SPEC §\d+(\.\d+)? \(UNCONFIRMED")


def _json(payload: Any) -> Any:
    return json.loads(payload.data)


def _case_runs() -> list[tuple[Any | None, list[dict[str, Any]]]]:
    """Per case-workflow history: the state it started from (a continued run's) and the events it recorded."""
    runs = []
    for path in sorted(HISTORY_DIR.glob("*.json")):
        history = WorkflowHistory.from_json(path.stem, path.read_text())
        started = history.events[0].workflow_execution_started_event_attributes
        if started.workflow_type.name != "CaseWorkflow":
            continue
        inp = CaseWorkflowInput.model_validate(_json(started.input.payloads[0]))
        events: list[dict[str, Any]] = []
        for ev in history.events:
            if ev.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
                attrs = ev.activity_task_scheduled_event_attributes
                if attrs.activity_type.name == "record_case":
                    events += _json(attrs.input.payloads[0])["events"]
        runs.append((inp.carried, events))
    return runs


class Graph(NamedTuple):
    seen: set[str]  # stages entered
    edges: dict[str, set[str]]  # stage → the stages entered from it
    opening: set[str]  # stages a case starts in
    closing: set[str]  # stages a case was closed in
    deadline_steps: set[str]  # steps a recorded deadline or escalation names


def _stage_graph(programme: Programme) -> Graph:
    """The stage graph the golden histories show, folded with the programme's own mutators."""
    events_of = TypeAdapter(e.CaseEvent)
    seen: set[str] = set()
    opening: set[str] = set()
    deadline_steps: set[str] = set()
    edges: dict[str, set[str]] = defaultdict(set)
    closing: set[str] = set()
    for carried, raw in _case_runs():
        state = carried if carried is not None and carried.program == programme.code else None
        if carried is not None and state is None:
            continue
        for item in raw:
            event = events_of.validate_python(item)
            if state is None and not (isinstance(event, programme.first_event)
                                      and getattr(event, "program", programme.code) == programme.code):
                break  # another programme's case
            before = None if state is None else str(state.stage)
            state = programme.evolve(state, event)
            after = str(state.stage)
            seen.add(after)
            if before is None:
                opening.add(after)
            elif before != after:
                edges[before].add(after)
            if state.is_closed:
                closing.add(after)
            if isinstance(event, e.DeadlineSet | e.EscalationRaised):
                deadline_steps.add(event.step)
    return Graph(seen, edges, opening, closing, deadline_steps)


@pytest.mark.parametrize("programme", PROGRAMMES, ids=IDS)
def test_every_command_has_a_handler(programme: Programme) -> None:
    assert programme.command_vocabulary, "the programme lists no commands"
    assert set(programme.command_vocabulary) == set(programme.commands)


@pytest.mark.parametrize("programme", PROGRAMMES, ids=IDS)
def test_every_event_has_a_mutator(programme: Programme) -> None:
    assert programme.event_vocabulary, "the programme lists no events"
    assert set(programme.event_vocabulary) == set(programme.event_types)


@pytest.mark.parametrize("programme", PROGRAMMES, ids=IDS)
def test_every_deadline_step_has_a_rule_with_an_article(programme: Programme) -> None:
    rules = programme.deadlines.rules
    assert rules
    for rule in rules:
        assert rule.basis, f"{rule.step}: no legal basis"
        assert all(ARTICLE.match(b) for b in rule.basis), f"{rule.step}: basis {rule.basis}"
    steps = {r.step for r in rules}
    recorded = _stage_graph(programme).deadline_steps
    assert recorded, "no golden history records a deadline"
    assert recorded <= steps, f"recorded deadlines without a rule: {sorted(recorded - steps)}"


@pytest.mark.parametrize("programme", PROGRAMMES, ids=IDS)
def test_every_stage_is_reachable_from_the_application_and_leads_to_a_closed_case(programme: Programme) -> None:
    seen, edges, opening, closing, _ = _stage_graph(programme)
    stages = {s.value for s in programme.stages} - {s.value for s in programme.vocabulary_only_stages}
    assert stages - seen == set(), f"no golden history enters {sorted(stages - seen)}"
    assert opening, "no golden history opens a case"
    reachable: set[str] = set()
    queue = deque(opening)
    while queue:
        stage = queue.popleft()
        if stage in reachable:
            continue
        reachable.add(stage)
        queue.extend(edges.get(stage, ()))
    assert stages <= reachable, f"not reachable from the application: {sorted(stages - reachable)}"
    assert closing, "no golden history closes a case"
    for stage in stages:
        found, queue, visited = False, deque([stage]), set()
        while queue and not found:
            s = queue.popleft()
            if s in visited:
                continue
            visited.add(s)
            found = s in closing
            queue.extend(edges.get(s, ()))
        assert found, f"from {stage} no recorded path leads to a closed case"


@pytest.mark.parametrize("programme", PROGRAMMES, ids=IDS)
def test_every_event_type_appears_in_a_golden_history(programme: Programme) -> None:
    recorded = {item["type"] for _carried, raw in _case_runs() for item in raw}
    types = {t.model_fields["type"].default for t in programme.event_vocabulary}
    assert types - recorded == set(), f"no golden history records {sorted(types - recorded)}"


@pytest.mark.parametrize("programme", PROGRAMMES, ids=IDS)
def test_the_state_and_the_articles_cover_what_the_shared_steps_use(programme: Programme) -> None:
    """Each shared procedure step (domain/procedure) lists the state fields it reads and writes and the article
    keys it cites; the programme's state has those fields and its spec gives those articles."""
    fields = set(programme.state_type.model_fields)
    assert programme.steps
    for step, spec in programme.steps:
        assert step.FIELDS <= fields, f"{step.__name__}: the state lacks {sorted(step.FIELDS - fields)}"
        missing = step.ARTICLE_KEYS - set(spec.articles)
        assert not missing, f"{step.__name__}: no articles for {sorted(missing)}"
        for key, basis in spec.articles.items():
            assert all(ARTICLE.match(b) for b in basis), f"{step.__name__} {key}: {basis}"
