"""物价联动 for 特困: when the county applies a new parameter version (S4 Art. 10: standards adjusted with prices),
every person in support is recalculated under the version's 特困 section: the basic-living standard of the
person's treatment area (S3 Art. 19) plus the care standard of the person's self-care tier and support form
(S3 Art. 20; S4 Art. 15), each to the fen, from the change's effective month, once per version.

The recalculation changes the amount only: the conditions of S3 Art. 4 are not re-assessed (that is the review's
work, S3 Art. 24), so it never ends support. It is recorded as ``benefit_recalculated`` (the same event as
dibao's): the assessment carries the two parts as its ``amount`` criterion, with the parts before and after.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from domain import commands as c
from domain import events as e
from domain.benefit import Assessment, Criterion
from domain.errors import InvalidInput, InvalidTransition
from domain.kernel.context import DecisionContext
from domain.kernel.drafts import Draft, draft
from domain.kernel.guards import COUNTY_APPROVER, need_params, need_role, need_stage
from domain.kernel.mutators import Mutators, moved
from domain.kernel.programme import InPayment
from domain.months import month_of
from domain.parameters import ResolvedParameters
from domain.procedure.in_payment import back_pay, back_pay_folded, with_period
from domain.programmes.tekun import rules
from domain.programmes.tekun.stages import ACTIVE_STAGES
from domain.programmes.tekun.state import TekunState

#: 物价联动 (S4 Art. 10) with the amount's two parts (S3 Arts. 19, 20; S4 Art. 15).
BASIS = ("S4 Art. 10", "S4 Art. 15", "S3 Art. 19", "S3 Art. 20")
#: 补发: the standards in force from the effective date (S4 Art. 10) are the support due for those months (S3 Arts.
#: 19, 20).
BACK_PAY_BASIS = ("S4 Art. 10", "S3 Art. 19", "S3 Art. 20")
ZERO = Decimal("0.00")
#: The workflow patch behind which a 特困 case applies a standard change (before it, ``not_active``).
PATCH = "case-tekun-recalculation-v1"
#: Runs that take this patch hand a 特困 recalculation the months already on a roll, so it decides the 补发 (runs
#: from before decided none: their histories keep that answer).
BACK_PAY_PATCH = "case-tekun-back-pay-v1"


def recalculation_refused(state: TekunState, version: str) -> str | None:
    """物价联动 applies once per version, and only to a person in support: in payment, under review, or while a
    termination is being decided (still paid, S3 Arts. 25-26)."""
    if version in state.standard_versions_applied:
        return "already_applied"
    if state.is_closed or state.stage not in ACTIVE_STAGES:
        return "not_active"
    return None


def recalculated_assessment(state: TekunState, params: ResolvedParameters) -> Assessment:
    """The amount under ``params``: the two parts for the case's area, tier and support form, each to the fen,
    explained with the parts in payment before.

    Raises:
        InvalidTransition: the self-care tier or the support form is not on record (no amount can be computed).
    """
    p = rules.tekun_params(params)
    tier, form = state.care_tier, state.support_form
    parts = rules.amount_parts(state, p, tier, form)
    if parts is None or tier is None or form is None:
        raise InvalidTransition("the self-care tier or the support form is not on record (S3 Art. 20; "
                                "S4 Art. 19): the amount cannot be recalculated")
    basic, care = parts
    before = state.amount_parts
    area = state.treatment_area
    criteria = (
        Criterion(code="treatment", inputs={"applied_as": state.area_type.value,
                                            "contracted_land": str(state.contracted_land).lower(),
                                            "relocated_to_town": str(state.relocated_to_town).lower()},
                  result=area.value, legal_basis=("S3 Art. 19",)),
        Criterion(
            code="amount",
            inputs={"area_type": area.value, "support_form": form.value, "care_tier": tier.value,
                    "basic_living_before": str(before[0]) if before else "",
                    "care_before": str(before[1]) if before else ""},
            parameters={"basic_living_standard_monthly": str(basic), "care_standard_monthly": str(care),
                        "status": "LOCAL, UNCONFIRMED"},
            result=str(basic + care),
            legal_basis=("S4 Art. 10", "S4 Art. 15", "S3 Art. 19", "S3 Art. 20"),
        ),
        Criterion(code="conditions", inputs={}, result="not_reassessed",
                  legal_basis=("S3 Art. 24",)),
    )
    decided = state.decision_assessment
    return Assessment(
        parameter_set_version=params.version,
        household_size=1,
        countable_income=decided.countable_income if decided else ZERO,
        per_capita_monthly_income=decided.per_capita_monthly_income if decided else ZERO,
        standard_monthly=params.standard(area),
        income_below_standard=decided.income_below_standard if decided else True,
        property_compliant=decided.property_compliant if decided else True,
        eligible=True,
        near_dibao=False,
        monthly_amount=basic + care,
        rounding_rule=rules.ROUNDING,
        criteria=criteria,
    )


def apply_standard_change(state: TekunState, cmd: c.ApplyStandardChange, ctx: DecisionContext) -> list[Draft]:
    """Recalculate the amount under the version in force from ``cmd.effective_from`` (S4 Art. 10), from its month
    (or from the case's latest period, when a later decision set the amount from a later month)."""
    params = need_params(ctx)
    need_role(ctx, COUNTY_APPROVER, "apply a standard change")
    need_stage(state, ACTIVE_STAGES, "recalculating the amount of support")
    if cmd.version in state.standard_versions_applied:
        raise InvalidTransition(f"standard change {cmd.version} was already applied to this case")
    if params.version != cmd.version:
        raise InvalidInput(f"the version in force on {cmd.effective_from.isoformat()} is {params.version}",
                           field=("version",))
    assessment = recalculated_assessment(state, params)
    from_month = month_of(cmd.effective_from)
    if state.benefit_periods and state.benefit_periods[-1].from_month > from_month:
        from_month = state.benefit_periods[-1].from_month  # a later decision stands; recalculate from it
    old = state.monthly_amount or ZERO
    new = assessment.monthly_amount
    return [draft(e.BenefitRecalculated, *BASIS, reason=f"物价联动：参数版本 {cmd.version} 自 {from_month} 起调整标准",
                  params_version=params.version, version=cmd.version, old_amount=old, new_amount=new,
                  from_month=from_month, eligible=True, assessment=assessment),
            # a standard issued late with a past effective date: the months already paid at the old amount are
            # owed the difference (补发); ctx.payments is empty on runs from before (patch BACK_PAY_PATCH)
            *back_pay(BACK_PAY_BASIS, state, ctx, cmd.version, from_month, new)]


def _parts(assessment: Assessment) -> tuple[Decimal, Decimal] | None:
    for criterion in assessment.criteria:
        if criterion.code == "amount":
            return (Decimal(criterion.parameters["basic_living_standard_monthly"]),
                    Decimal(criterion.parameters["care_standard_monthly"]))
    return None


MUTATORS = Mutators()


@MUTATORS.on(e.BenefitRecalculated)
def _recalculated(state: TekunState, event: Any) -> TekunState:
    applied = (*state.standard_versions_applied, event.version)
    parts = _parts(event.assessment)
    changes: dict[str, Any] = {}
    if parts is not None:
        changes = {"basic_amount": parts[0], "care_amount": parts[1]}
    if event.new_amount != event.old_amount or not state.benefit_periods:
        changes |= with_period(state, event, event.from_month, event.new_amount, 1)
    return moved(state, event, standard_versions_applied=applied, **changes)


@MUTATORS.on(e.BackPayDecided)
def _back_pay_decided(state: TekunState, event: Any) -> TekunState:
    return moved(state, event, **back_pay_folded(state, event))


IN_PAYMENT = InPayment(
    recalculation_refused=recalculation_refused,
    recalculate_command=lambda version, effective_from: c.ApplyStandardChange(version=version,
                                                                               effective_from=effective_from),
    # 特困's reviews are opened by its own timers (annual, a minor turning 18): the sweep's catch-up opens none
    # (the answer it had before the programme had in-payment hooks).
    periodic_review_refused=lambda _state, _due, _today: "not_in_payment",
    periodic_command=lambda due: c.OpenTekunReview(due=due, trigger="annual"),
    monthly_amount=lambda state: state.monthly_amount,
    # 特困 cases answered not_active before this hook: a history that recorded that answer keeps it on replay.
    patch=PATCH,
    back_pay_patch=BACK_PAY_PATCH,
    recalculated_amount=lambda state, params: recalculated_assessment(state, params).monthly_amount,
)

HANDLERS = {c.ApplyStandardChange: apply_standard_change}
