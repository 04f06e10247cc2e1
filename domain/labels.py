"""zh-CN names of the lifecycle stages of every programme, for staff-facing text (the console, the demo's
summary). Each programme names its own stages (``Programme.stage_labels``); this is their union by code (a
shared code keeps the first registered programme's name)."""

from __future__ import annotations

from domain.programmes import REGISTRY

STAGE_LABELS: dict[str, str] = {}
for _programme in REGISTRY.values():  # a code two programmes share keeps the first-registered one's name
    for _stage, _label in _programme.stage_labels.items():
        STAGE_LABELS.setdefault(_stage, _label)
