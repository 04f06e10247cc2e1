"""How each of 特困's own events changes its case (the shared steps fold theirs). Nothing here decides."""

from __future__ import annotations

from typing import Any

from domain import events as e
from domain.kernel.mutators import Mutators, moved
from domain.procedure.in_payment import with_period
from domain.programmes.tekun.stages import Stage
from domain.programmes.tekun.state import TekunState

MUTATORS = Mutators()


def _amount(state: TekunState, event: Any) -> dict[str, Any]:
    """A change in support that sets a new amount from a month (S3 Art. 23; S4 Art. 19)."""
    if event.from_month is None or event.monthly_amount is None:
        return {}
    return {**with_period(state, event, event.from_month, event.monthly_amount, 1),
            "basic_amount": event.basic_amount, "care_amount": event.care_amount}


@MUTATORS.on(e.EligibilityFactsRecorded)
def _facts(state: TekunState, event: Any) -> TekunState:
    return moved(state, event, facts_recorded=True, disability_kind=event.disability_kind,
                 disability_grade=event.disability_grade, supporters=event.supporters,
                 orphan_scheme_chosen=event.orphan_scheme_chosen,
                 applicant_signed_check_authorisation=event.applicant_signed_check_authorisation,
                 contracted_land=event.contracted_land, relocated_to_town=event.relocated_to_town)


@MUTATORS.on(e.SelfCareAssessed)
def _assessed(state: TekunState, event: Any) -> TekunState:
    return moved(state, event, adl_failed=event.failed_items, care_tier=event.care_tier, reassessment_pending=False,
                 **_amount(state, event))


@MUTATORS.on(e.SelfCareChangeReported)
def _change(state: TekunState, event: Any) -> TekunState:
    return moved(state, event, reassessment_pending=True)


@MUTATORS.on(e.SupportFormChosen)
def _form(state: TekunState, event: Any) -> TekunState:
    placed = state.waiting_for == event.institution_id
    return moved(state, event, support_form=event.form, institution_id=event.institution_id, carer=event.carer,
                 waiting_for=None if placed else state.waiting_for,
                 waiting_since=None if placed else state.waiting_since, **_amount(state, event))


@MUTATORS.on(e.PlacementWaitlisted)
def _waitlisted(state: TekunState, event: Any) -> TekunState:
    return moved(state, event, waiting_for=event.institution_id, waiting_since=event.at)


@MUTATORS.on(e.DrawnForCountyCheck)
def _drawn(state: TekunState, event: Any) -> TekunState:
    return moved(state, event, check_draw_id=event.draw_id, drawn_for_county_check=event.drawn)


@MUTATORS.on(e.DataAlertRaised)
def _alert(state: TekunState, event: Any) -> TekunState:
    return moved(state, event, data_alerts=(*state.data_alerts, event.alert.value))


@MUTATORS.on(e.SchoolingRecorded)
def _schooling(state: TekunState, event: Any) -> TekunState:
    return moved(state, event, schooling_until=event.expected_end)


@MUTATORS.on(e.ReviewScheduled)
def _scheduled(state: TekunState, event: Any) -> TekunState:
    return moved(state, event, next_review_due=event.due)


@MUTATORS.on(e.TekunReviewOpened)
def _review_opened(state: TekunState, event: Any) -> TekunState:
    minor = state.minor_review_opened or event.trigger == "minor_turns_18"
    return moved(state, event, Stage.UNDER_REVIEW, review_trigger=event.trigger, minor_review_opened=minor)


@MUTATORS.on(e.TekunReviewConcluded)
def _review_concluded(state: TekunState, event: Any) -> TekunState:
    return moved(state, event, Stage.IN_PAYMENT, review_trigger=None, next_review_due=event.next_review_due,
                 reviews_completed=state.reviews_completed + 1)


@MUTATORS.on(e.TerminationProposed)
def _proposed(state: TekunState, event: Any) -> TekunState:
    return moved(state, event, Stage.TERMINATION_PROPOSED, termination_ground=event.ground,
                 termination_reasons=event.reasons)


@MUTATORS.on(e.SupportTerminated)
def _terminated(state: TekunState, event: Any) -> TekunState:
    return moved(state, event, Stage.TERMINATED, termination_effective_month=event.effective_month,
                 termination_reasons=event.reasons, decided_at=event.at)


@MUTATORS.on(e.TerminationDropped)
def _dropped(state: TekunState, event: Any) -> TekunState:
    # back to support; a review that was open when the termination was proposed counts as done
    done = state.reviews_completed + (1 if state.review_trigger else 0)
    return moved(state, event, Stage.IN_PAYMENT, termination_ground=None, termination_reasons=(),
                 review_trigger=None, reviews_completed=done)


@MUTATORS.on(e.TerminationNoticeServed)
def _served(state: TekunState, event: Any) -> TekunState:
    return moved(state, event, termination_notice_served=True)


