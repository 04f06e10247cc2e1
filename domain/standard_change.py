"""物价联动: what a new parameter version (a new dibao standard) does to the cases in payment, before it
is applied.

The preview recomputes every active case under the new version exactly as the mass recalculation will
(:func:`domain.procedure.in_payment._standard_change`): the household is assessed with the members who
still count and the declaration as corrected by the last information check, the 补差 amount less any shares cut
for job refusals is the recalculated amount, and

- a household that the new version makes ineligible keeps its current amount: the recalculation only opens a
  review (S1 Arts. 31, 32), it never stops a benefit by itself;
- a household in its 渐退期 keeps the amount the 渐退期 was granted with (S1 Art. 33);
- a case the version was already applied to is left as it is.

A programme whose recalculation computes its own amount (``InPayment.recalculated_amount``: 特困's basic-living
plus care standards, S3 Arts. 19, 20) is previewed with it: the person is not re-assessed (a review's work), so
no such case crosses out or opens a review.

Totals are per township (the level that pays and that the county budgets by) and for the whole preview.
Pure: the caller reads the cases and the parameter book.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from datetime import date, timedelta
from decimal import Decimal
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from domain.errors import DomainError, InvalidInput, InvalidTransition
from domain.parameters import (
    ParameterBook,
    ParametersNotInForce,
    ParameterVersion,
    ResolvedParameters,
    resolve,
)
from domain.programmes import CaseState, programme_of
from domain.programmes.dibao.rules import household_assessment, payable_amount
from domain.programmes.dibao.stages import Stage

ZERO = Decimal("0.00")


class UnknownVersion(InvalidInput):
    """The parameter book has no version of that name (maps to 422)."""

    code = "unknown_version"


class VersionNotInForce(InvalidTransition):
    """The version takes effect later: cases decided before then would miss the recalculation (→ 409)."""

    code = "version_not_in_force"


class VersionSuperseded(InvalidTransition):
    """A later version is already in force: recalculating under the older one would replace amounts decided
    under the newer one from the month they apply (maps to 409)."""

    code = "version_superseded"


class StandardChangeAlreadyStarted(InvalidTransition):
    """A recalculation for this version is running or has completed (maps to 409)."""

    code = "standard_change_started"

    def __init__(self, version: str, workflow_id: str) -> None:
        super().__init__(f"the recalculation for version {version} was already started as {workflow_id}",
                         field=("version",))
        self.workflow_id = workflow_id


class PreviewRow(BaseModel):
    """One case under the new version. Codes and amounts only: nothing personal.

    ``recalculated_amount`` is the 补差 amount the new version gives (0 when the household is ineligible);
    ``new_amount`` is what the recalculation will record as payable from the effective month: the
    recalculated amount, or the current one where a review or the 渐退期 decides instead.
    """

    model_config = ConfigDict(frozen=True)

    case_id: UUID
    township_code: str
    village_code: str
    stage: str  # the case's programme's stage code
    household_size: int
    old_amount: Decimal
    recalculated_amount: Decimal
    new_amount: Decimal
    eligible_before: bool | None  # under the version in force before; None when there is none
    eligible_after: bool
    crosses_out: bool  # eligible before, not after: a review opens (never an automatic stop)
    opens_review: bool  # the recalculation will open an ad-hoc review (one may be open already)
    in_gradual_exit: bool
    already_applied: bool


class Totals(BaseModel):
    """Sums over a set of preview rows (yuan per month)."""

    model_config = ConfigDict(frozen=True)

    cases: int = 0
    old_total: Decimal = ZERO
    new_total: Decimal = ZERO
    difference: Decimal = ZERO
    increased: int = 0
    decreased: int = 0
    crossing_out: int = 0
    already_applied: int = 0

    def plus(self, row: PreviewRow) -> Totals:
        return Totals(
            cases=self.cases + 1,
            old_total=self.old_total + row.old_amount,
            new_total=self.new_total + row.new_amount,
            difference=self.difference + row.new_amount - row.old_amount,
            increased=self.increased + (row.new_amount > row.old_amount),
            decreased=self.decreased + (row.new_amount < row.old_amount),
            crossing_out=self.crossing_out + row.crosses_out,
            already_applied=self.already_applied + row.already_applied,
        )


class TownshipTotals(Totals):
    township_code: str
    township_name: str | None = None


class StandardChangePreview(BaseModel):
    """The impact of applying ``version`` to the active cases given."""

    model_config = ConfigDict(frozen=True)

    version: str
    effective_from: date
    label: str
    previous_version: str | None
    rows: list[PreviewRow]
    townships: list[TownshipTotals]
    totals: Totals
    #: Active cases the book has no parameters for (outside its county): not previewed, not recalculated.
    skipped: list[UUID] = []


def find_version(book: ParameterBook, version: str) -> ParameterVersion:
    """The version of the book called ``version``.

    Raises:
        UnknownVersion: the book has none of that name.
    """
    for v in book.versions:
        if v.version == version:
            return v
    raise UnknownVersion(f"the parameter book has no version {version!r}", field=("version",))


def previous_version(book: ParameterBook, version: str) -> ParameterVersion | None:
    """The version in force the day before ``version`` takes effect, if any."""
    target = find_version(book, version)
    earlier = [v for v in book.versions if v.effective_from < target.effective_from]
    return earlier[-1] if earlier else None


def check_applicable(book: ParameterBook, version: str, today: date) -> ParameterVersion:
    """The version, if it may be applied to the cases in payment today.

    A version is applied once it is in force: a case decided between an early run and the effective date
    would be decided under the old version and never recalculated. And only while it is the version in force:
    the recalculation sets the amount from the version's month (or from the case's latest period, if later),
    so an older version applied late would overwrite amounts decided under a newer one.

    Raises:
        UnknownVersion: the book has no such version.
        VersionNotInForce: it takes effect after ``today``.
        VersionSuperseded: a later version is already in force on ``today``.
    """
    target = find_version(book, version)
    if target.effective_from > today:
        raise VersionNotInForce(
            f"version {version} takes effect on {target.effective_from.isoformat()}; "
            "apply it on or after that date",
            field=("version",),
        )
    later = [v for v in book.versions if target.effective_from < v.effective_from <= today]
    if later:
        raise VersionSuperseded(
            f"version {version} was superseded by {later[0].version} "
            f"on {later[0].effective_from.isoformat()}; apply the version in force",
            field=("version",),
        )
    return target


def preview_case(state: CaseState, new: ResolvedParameters, old: ResolvedParameters | None) -> PreviewRow:
    """What the recalculation under ``new`` will do to one active case (mirrors the domain's decision).

    Args:
        state: the case, in an active stage.
        new: the new version, resolved for the case's village at its effective date.
        old: the version in force before it, for the same village, or None.

    Returns:
        The row.
    """
    assessment = household_assessment(state, new)
    old_amount = state.monthly_amount or ZERO
    recalculated = payable_amount(state, assessment, new) if assessment.eligible else ZERO
    in_exit = state.gradual_exit_ends_month is not None
    applied = new.version in state.standard_versions_applied
    keep = applied or in_exit or not assessment.eligible
    before = household_assessment(state, old).eligible if old is not None else None
    return PreviewRow(
        case_id=state.case_id,
        township_code=state.township_code,
        village_code=state.village_code,
        stage=state.stage,
        household_size=assessment.household_size,
        old_amount=old_amount,
        recalculated_amount=recalculated,
        new_amount=old_amount if keep else recalculated,
        eligible_before=before,
        eligible_after=assessment.eligible,
        crosses_out=not applied and before is not False and not assessment.eligible,
        opens_review=(not applied and not assessment.eligible and not in_exit
                      and state.stage is not Stage.UNDER_REVIEW),
        in_gradual_exit=in_exit,
        already_applied=applied,
    )


def amount_only_row(state: CaseState, new: ResolvedParameters, recalculated: Decimal) -> PreviewRow:
    """The row of a case whose recalculation changes only the amount (no re-assessment, never a review)."""
    old_amount = state.monthly_amount or ZERO
    applied = new.version in state.standard_versions_applied
    return PreviewRow(
        case_id=state.case_id,
        township_code=state.township_code,
        village_code=state.village_code,
        stage=state.stage,
        household_size=len(state.counted_members),
        old_amount=old_amount,
        recalculated_amount=recalculated,
        new_amount=old_amount if applied else recalculated,
        eligible_before=True,
        eligible_after=True,
        crosses_out=False,
        opens_review=False,
        in_gradual_exit=False,
        already_applied=applied,
    )


def summarise(rows: Iterable[PreviewRow],
              township_names: dict[str, str]) -> tuple[list[TownshipTotals], Totals]:
    """Totals per township (in code order) and overall."""
    per: dict[str, Totals] = {}
    total = Totals()
    for row in rows:
        per[row.township_code] = per.get(row.township_code, Totals()).plus(row)
        total = total.plus(row)
    townships = [
        TownshipTotals(township_code=code, township_name=township_names.get(code), **per[code].model_dump())
        for code in sorted(per)
    ]
    return townships, total


class Previewer:
    """Builds a preview case by case, so a caller paging through thousands of cases keeps only the rows.

    Args:
        book: the county's parameter book.
        version: the version to preview.

    Raises:
        UnknownVersion: the book has no such version.
    """

    def __init__(self, book: ParameterBook, version: str) -> None:
        self.book = book
        self.target = find_version(book, version)
        self.before = previous_version(book, version)
        on_before = self.target.effective_from - timedelta(days=1)
        self._new: Callable[[str], ResolvedParameters] = functools.cache(
            lambda village: resolve(book, village, self.target.effective_from))
        self._old: Callable[[str], ResolvedParameters] = functools.cache(
            lambda village: resolve(book, village, on_before))
        self.skipped: list[UUID] = []

    def row(self, state: CaseState) -> PreviewRow | None:
        """The case's row; None for a case not in payment, or outside the book's county or with no member
        left in its household (then skipped: its open review decides the stop, not the recalculation)."""
        programme = programme_of(state.program)
        if state.stage not in programme.active_stages or programme.in_payment is None:
            return None
        if not state.counted_members:
            self.skipped.append(state.case_id)
            return None
        try:
            new = self._new(state.village_code)
            old = self._old(state.village_code) if self.before is not None else None
        except ParametersNotInForce:
            self.skipped.append(state.case_id)
            return None
        own = programme.in_payment.recalculated_amount
        if own is None:
            return preview_case(state, new, old)
        try:
            return amount_only_row(state, new, own(state, new))
        except DomainError:  # the version has no section for the programme, or the case no amount basis
            self.skipped.append(state.case_id)
            return None

    def preview(self, rows: list[PreviewRow]) -> StandardChangePreview:
        townships, totals = summarise(rows, self.book.townships)
        return StandardChangePreview(
            version=self.target.version,
            effective_from=self.target.effective_from,
            label=self.target.label,
            previous_version=self.before.version if self.before else None,
            rows=rows,
            townships=townships,
            totals=totals,
            skipped=list(self.skipped),
        )


def preview_standard_change(book: ParameterBook, version: str,
                            states: Iterable[CaseState]) -> StandardChangePreview:
    """The impact of applying ``version`` to ``states``: a row per active case, totals per township.

    Args:
        book: the county's parameter book.
        version: the version to preview.
        states: the cases (those not in an active stage are ignored).

    Returns:
        The preview.

    Raises:
        UnknownVersion: the book has no such version.
    """
    previewer = Previewer(book, version)
    rows = [r for s in states if (r := previewer.row(s)) is not None]
    return previewer.preview(rows)
