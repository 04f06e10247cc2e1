"""Activities: the only place where workflows touch the outside world."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from activities.cases import CaseStoreActivities
from infra.db.cases import CaseStore


def build_activities(*, store: CaseStore) -> list[Callable[..., Any]]:
    """The activity callables a worker registers, wired to their dependencies."""
    return [CaseStoreActivities(store).record_case]
