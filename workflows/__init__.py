"""Workflow definitions. ``WORKFLOWS`` is what workers register and replay tests replay."""

from workflows.case import CaseWorkflow

WORKFLOWS = [CaseWorkflow]
