"""Workflow definitions. ``WORKFLOWS`` is what workers register and replay tests replay."""

from workflows.case import CaseWorkflow
from workflows.review_sweep import ReviewSweepWorkflow
from workflows.standard_change import StandardChangeWorkflow

WORKFLOWS = [CaseWorkflow, ReviewSweepWorkflow, StandardChangeWorkflow]
