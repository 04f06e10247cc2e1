"""zh-CN names of the lifecycle stages of every programme, for staff-facing text (the console, the demo's
summary). Each programme names its own stages (``Programme.stage_labels``); this is their union by code."""

from __future__ import annotations

from domain.programmes import REGISTRY

STAGE_LABELS: dict[str, str] = {
    stage: label for programme in REGISTRY.values() for stage, label in programme.stage_labels.items()
}
