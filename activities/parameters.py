"""The parameters in force, read by an activity so replay never depends on today's parameter file."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel
from temporalio import activity
from temporalio.exceptions import ApplicationError

from adapters.parameters import ParameterFile
from domain.parameters import ParametersNotInForce, ResolvedParameters, resolve


class ResolveParametersInput(BaseModel):
    division_code: str
    on: date


class ParameterActivities:
    """Resolves parameters from a :class:`ParameterFile` (not owned)."""

    def __init__(self, source: ParameterFile) -> None:
        self._source = source

    @activity.defn(name="resolve_parameters")
    async def resolve_parameters(self, inp: ResolveParametersInput) -> ResolvedParameters:
        book, sha256 = self._source.current()
        try:
            resolved = resolve(book, inp.division_code, inp.on)
        except ParametersNotInForce as err:
            raise ApplicationError(err.message, type=err.code, non_retryable=True) from None
        return resolved.model_copy(update={"book_sha256": sha256})
