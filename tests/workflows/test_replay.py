"""Replay every checked-in history with today's workflow code: the versioning gate (STYLE guideline 14).

A change to a deployed workflow's command sequence must go behind ``workflow.patched()``; if it does not,
the histories below stop replaying and this test fails (``test_patching.py`` shows it on a real change).

The histories are only as good as the branches they cover, so the coverage is checked too: ``BRANCHES`` names
each branch of the lifecycle and of the other workflows, the histories that hold it, and the facts that prove
it — read from the histories themselves (the domain events in the ``record_case`` activity inputs, the
Updates, timers, activities and patch markers, how the run ended) — and every domain event type must occur
somewhere.
"""

from __future__ import annotations

import functools
import json
import typing
from pathlib import Path
from typing import Any

import pytest
from temporalio import workflow
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from domain.events import CaseEvent
from workflows import WORKFLOWS

HISTORY_DIR = Path(__file__).parent / "histories"
HISTORIES = sorted(HISTORY_DIR.glob("*.json"))

#: A golden history larger than this is too big to keep in the repository and replay on every run.
MAX_BYTES = 600_000

#: branch → (histories that hold it, facts that prove it). A fact is one of ``workflow:<type>``,
#: ``event:<domain event type>``, ``activity:<name>``, ``update:<name>``, ``search_attribute:<name>``,
#: ``patch:<id>``, ``timer_fired``, ``end:<completed|continued_as_new|running>``, ``result:<truthy field of the
#: result>``, or an event detail: ``escalated:<step>``, ``review_trigger:<trigger>``,
#: ``review_outcome:<outcome>``, ``stop_reason:<reason_code>``, ``publicity_unit:<unit>``,
#: ``opinion:<eligible|ineligible>``. ``not:<fact>`` claims that none of the histories shows the fact.
BRANCHES: dict[str, tuple[tuple[str, ...], frozenset[str]]] = {}


def _branch(name: str, stems: str | tuple[str, ...], *shown: str) -> None:
    BRANCHES[name] = ((stems,) if isinstance(stems, str) else stems, frozenset(shown))


# --- the dibao procedure (S1; SPEC §3) ---
_branch("application submitted, nothing decided yet", "case_v1_submitted",
        "event:application_submitted", "end:running")
_branch("a case opened before the parameter preload (patch case-params-preload-v1, old path)",
        "case_v1_submitted", "activity:record_case", "not:activity:resolve_parameters",
        "not:patch:case-params-preload-v1")
_branch("in payment before the in-payment timers (patch case-dynamic-v1, old path)", "case_v2_in_payment",
        "event:payment_scheduled", "patch:case-params-preload-v1", "not:patch:case-dynamic-v1")
_branch("undisputed: exemption, 公示 without objection, approval and 公布 into payment", "case_v2_in_payment",
        "event:village_review_exempted", "event:publicity_window_elapsed", "event:application_approved",
        "event:publication_posted", "event:payment_scheduled", "publicity_unit:calendar_day")
_branch("objection in 公示 → re-investigation → refusal → notice served → closed",
        "case_v4_objection_reinvestigation_rejected",
        "event:publicity_objection_logged", "event:reinvestigation_ordered", "opinion:ineligible",
        "event:application_rejected", "event:rejection_notice_served", "end:completed")
_branch("overall limit extended on a recorded ground (S1 Art. 22)",
        "case_v4_objection_reinvestigation_rejected", "event:deadline_extended")
_branch("missing materials notified (补正), then accepted; a close relative filed",
        "case_v4_materials_appraisal_complaint_approved",
        "event:materials_deficiency_notified", "event:application_accepted", "event:close_relative_filed")
_branch("a close relative filed naming the staff member, who is recused (回避); county home visit, approval",
        "case_v6_close_relative_staff_recused",
        "event:close_relative_filed", "event:staff_recused", "event:county_home_visit_recorded",
        "event:application_approved", "event:payment_scheduled", "end:running")
_branch("neighbour visit and letter evidence", "case_v4_materials_appraisal_complaint_approved",
        "event:neighbour_visit_recorded", "event:letter_evidence_recorded")
_branch("village democratic appraisal (民主评议) instead of the exemption",
        "case_v4_materials_appraisal_complaint_approved",
        "event:democratic_appraisal_ordered", "event:democratic_appraisal_held")
_branch("公示 counted in working days (its end from the calendar activity)",
        "case_v4_materials_appraisal_complaint_approved",
        "publicity_unit:working_day", "activity:compute_deadline")
_branch("complaint logged and resolved in county review; county home visit",
        "case_v4_materials_appraisal_complaint_approved",
        "event:complaint_received", "event:county_home_visit_recorded", "event:complaint_resolved",
        "event:application_approved")
_branch("information check shows ineligibility; the applicant objects; recheck",
        "case_v4_check_objection_withdrawn",
        "event:ineligibility_by_info_check_notified", "event:check_result_objected")
_branch("withdrawal of the application", "case_v4_check_objection_withdrawn",
        "event:application_withdrawn", "end:completed")
_branch("ineligible check, no objection: an 'ineligible' opinion to the county without 公示, refused",
        "case_v4_check_ineligible_rejected_escalated",
        "event:ineligibility_by_info_check_notified", "opinion:ineligible", "event:case_submitted_to_county",
        "event:application_rejected", "end:completed")
_branch("a deadline passes: the timer raises an escalation, never a decision",
        ("case_v4_escalation_noncooperation", "case_v4_check_ineligible_rejected_escalated"),
        "timer_fired", "escalated:start_investigation", "escalated:overall", "escalated:prelim_opinion",
        "escalated:rejection_notice")
_branch("timers decide at the instant they were set for (patch case-timer-instant-v1): 公示 closes, a county "
        "limit escalates, a periodic review opens", "case_v5_timers_decide_at_their_instant",
        "patch:case-timer-instant-v1", "timer_fired", "event:publicity_window_elapsed", "escalated:county_decision",
        "event:periodic_review_due", "end:running")
_branch("timers as deployed before case-timer-instant-v1 (the patch's old path)",
        ("case_v4_escalation_noncooperation", "case_v2_in_payment"), "timer_fired",
        "not:patch:case-timer-instant-v1")
_branch("re-application after a refusal: the members' earlier case linked at intake (issue 20)",
        "case_v6_reapplication_linked",
        "event:application_submitted", "event:earlier_cases_linked", "event:application_accepted", "end:running")
_branch("a deadline counted provisionally into an uncovered year records what it counted (patch "
        "case-deadline-count-v1); the recompute_deadlines Update counts it again once the year is entered",
        "case_v6_provisional_deadline_recounted", "patch:case-deadline-count-v1", "update:recompute_deadlines",
        "event:deadline_set", "end:running")
_branch("deadlines as recorded before case-deadline-count-v1 (the patch's old path)",
        ("case_v4_escalation_noncooperation", "case_v5_timers_decide_at_their_instant"), "event:deadline_set",
        "not:patch:case-deadline-count-v1")
_branch("termination for non-cooperation", "case_v4_escalation_noncooperation",
        "event:non_cooperation_recorded", "event:review_terminated_for_non_cooperation", "end:completed")
_branch("household amended before the decision: by the window; a data alert's proposals confirmed and dismissed; "
        "the opinion reopened, given again and published again (issue 20 item 1)", "case_v6_amendments_republished",
        "event:household_amended", "event:amendment_proposed", "event:amendment_dismissed",
        "event:opinion_reopened_by_amendment", "event:application_approved")
# --- the in-payment life (SPEC §8) ---
_branch("a standard issued late with a past effective date: the recalculation decides the 补发 for months already "
        "on the rolls (patch case-back-pay-v1; issue 20 item 5)", "case_v6_back_pay",
        "patch:case-back-pay-v1", "event:benefit_recalculated", "event:back_pay_decided")
_branch("data alert opens an ad-hoc review; fraud finding: stop, recovery, fine; stop notice closes",
        "case_v4_alert_fraud_stopped",
        "event:data_alert_raised", "review_trigger:data_alert", "stop_reason:fraud",
        "event:overpayment_recovery_ordered", "event:fine_imposed", "event:stop_notice_served",
        "end:completed")
_branch("job refusals: one member's share cut", "case_v4_job_refusals_stopped",
        "event:job_refusal_recorded", "event:member_benefit_reduced")
_branch("stop_benefit and serve_stop_notice", "case_v4_job_refusals_stopped",
        "stop_reason:moved_away", "activity:paid_months", "event:stop_notice_served", "end:completed")
_branch("a stop after next month's roll was drawn withdraws its unpaid line (patch case-stop-withdraws-unpaid-v1)",
        "case_v6_stop_withdraws_unpaid_line",
        "patch:case-stop-withdraws-unpaid-v1", "activity:paid_months", "event:payment_lines_withdrawn",
        "not:event:overpayment_recovery_ordered", "event:stop_notice_served", "end:completed")
_branch("a stop leaves the case stopping until its month begins and its notice is served; the month's timer "
        "exits it (patch case-stopping-v1)", "case_v6_stop_exits_when_its_month_begins",
        "patch:case-stopping-v1", "stop_reason:voluntary_exit", "event:stop_notice_served", "timer_fired",
        "event:case_exited", "end:completed")
_branch("the 渐退期's stop leaves the case stopping; a notice served in the stop month exits it at once",
        "case_v6_gradual_exit_stopping_notice_late",
        "event:gradual_exit_ended", "event:benefit_stopped", "patch:case-stopping-v1", "event:stop_notice_served",
        "event:case_exited", "end:completed")
_branch("a refused household referred to another programme before its notice (转介, S4 Art. 60)",
        "case_v7_refused_referred_to_temporary",
        "event:application_rejected", "event:referral_recorded", "event:rejection_notice_served", "end:completed")
_branch("stops as deployed before case-stopping-v1: exited at once, closed by the notice (the patch's old path)",
        ("case_v4_job_refusals_stopped", "case_v4_alert_fraud_stopped", "case_v3_gradual_exit_run"),
        "event:benefit_stopped", "event:stop_notice_served", "end:completed", "not:patch:case-stopping-v1",
        "not:event:case_exited")
_branch("a death reported after its 3-month limit: escalated at once, decided by the review",
        "case_v4_death_reported_late",
        "event:change_reported", "escalated:death_resolution", "review_outcome:decreased",
        "end:continued_as_new")
_branch("reported change, review without change; one run per review cycle", "case_v3_review_cycle",
        "review_trigger:change_report", "review_outcome:no_change", "end:continued_as_new")
_branch("periodic review opened by the case's own timer; increase", "case_v4_reviews_run1_periodic_increase",
        "timer_fired", "event:periodic_review_due", "review_outcome:increased", "end:continued_as_new")
_branch("ad-hoc review opened by staff; decrease", "case_v4_reviews_run2_ad_hoc_decrease",
        "review_trigger:ad_hoc", "review_outcome:decreased", "end:continued_as_new")
_branch("employment income above the standard: 渐退期 granted", "case_v4_reviews_run3_gradual_exit_granted",
        "event:gradual_exit_granted", "review_outcome:gradual_exit", "end:continued_as_new")
_branch("the 渐退期 runs out: the stop decided with it, edge monitoring, stop notice",
        "case_v3_gradual_exit_run",
        "event:gradual_exit_ended", "event:benefit_stopped", "event:edge_monitoring_referred",
        "escalated:stop_notice", "end:completed")
_branch("standard change through the recalculate Update; crossing out opens a review, never a stop",
        "case_v4_standard_change_crossing_out",
        "update:recalculate", "event:benefit_recalculated", "review_trigger:standard_change")
_branch("periodic review opened by the sweep's open_periodic_review Update", "case_v4_review_opened_by_sweep",
        "update:open_periodic_review", "event:periodic_review_due", "event:info_check_completed")
_branch("the case's stage and overdue search attributes kept current (dev server)",
        ("case_v4_review_opened_by_sweep", "case_v4_standard_change_crossing_out"),
        "search_attribute:CaseStage", "search_attribute:CaseOverdue")
# --- 残疾人两项补贴, 高龄津贴 and the kernel's links (issue 17; SPEC §6.2, §6.3) ---
_branch("a dibao stop delivers its effect to the person's other cases and records where it went (patch "
        "case-links-v1); a death from another case is recorded on the stopping case",
        "case_v7_links_dibao_stopped",
        "event:benefit_stopped", "patch:case-links-v1", "activity:deliver_links", "event:links_delivered",
        "event:link_received")
_branch("两项补贴: received elsewhere (跨省通办), township review with the person's dibao case, county "
        "confirmation; the dibao stop opens a review (link), decided: the living subsidy ends",
        "case_v7_links_disability_run1_reviewed",
        "event:application_submitted", "event:deadline_set", "event:offsite_receipt_recorded",
        "activity:related_cases", "event:allowance_reviewed", "event:allowance_granted", "update:apply_link",
        "event:link_received", "event:allowance_review_opened", "event:allowance_changed", "end:continued_as_new")
_branch("两项补贴: a death alert stops it from the next month and reaches the person's other cases",
        "case_v7_links_disability_run2_died",
        "event:data_alert_raised", "event:allowance_stopped", "activity:deliver_links", "event:links_delivered",
        "end:completed")
_branch("高龄津贴 opened from the hukou data, confirmed; the death another case recorded stops it",
        "case_v7_links_old_age_stopped_by_death",
        "event:enrolment_proposed", "event:allowance_granted", "update:apply_link", "event:link_received",
        "event:allowance_stopped", "end:completed")
_branch("两项补贴 end branches: the township's limit escalates, not recommended (refused); a 跨省通办 forward "
        "returned; withdrawn after the township's review",
        ("case_v7_disability_escalated_refused", "case_v7_disability_forwarded_returned",
         "case_v7_disability_withdrawn"),
        "escalated:township_review", "event:allowance_refused", "event:application_forwarded",
        "event:application_withdrawn", "end:completed")
_branch("高龄津贴 refused by the township", "case_v7_old_age_refused",
        "event:enrolment_proposed", "event:allowance_refused", "end:completed")
_branch("高龄津贴: the confirmation limit escalates; the band moves on the 90th birthday (timer); the survival "
        "check is missed (payment held, timer) and done late (resumed); a death alert stops it",
        ("case_v7_old_age_run1_band_held_resumed", "case_v7_old_age_run2_died"),
        "escalated:enrolment_confirmation", "timer_fired", "event:allowance_changed", "event:payment_held",
        "event:survival_check_recorded", "end:continued_as_new", "event:allowance_stopped", "end:completed")
_branch("高龄津贴 under patch old-age-survival-escalation-v1: the missed survival check escalates (timer, no "
        "decision, SPEC §0.1); the township approver holds payment by hand; the late check resumes it",
        "case_v8_old_age_survival_escalated_held",
        "patch:old-age-survival-escalation-v1", "escalated:survival_check", "timer_fired", "event:payment_held",
        "event:survival_check_recorded", "end:continued_as_new")
# --- 临时救助 (S4 Arts. 47-49; S8 §二; S5 item 15; issue 16) ---
_branch("临时救助 normal path: 一次性告知, 民主评议, 公示 objection and re-investigation, township approval within its "
        "cap in two instalments; complete when the last instalment's month begins", "case_v7_temporary_normal_staged",
        "event:temporary_need_declared", "event:democratic_appraisal_held", "event:reinvestigation_ordered",
        "event:temporary_assistance_approved", "timer_fired", "event:temporary_assistance_completed",
        "end:completed")
_branch("先行救助 from the reserve fund, eased, regularised with 跟进救助; complaint, repeat justified, 一事一议, "
        "county approval; next month's instalment cancelled and its drawn line withdrawn",
        "case_v7_temporary_urgent_follow_up_case_by_case",
        "event:emergency_reported", "activity:draw_reserve_fund", "event:urgent_assistance_granted",
        "event:emergency_eased", "event:urgent_grant_regularised", "event:follow_up_opened",
        "event:repeat_assistance_justified", "event:case_discussion_held", "event:instalments_cancelled",
        "event:payment_lines_withdrawn", "event:temporary_assistance_completed", "end:completed")
_branch("先行救助 in kind; the regularisation limit escalates (never decides); regularised, closed",
        "case_v7_temporary_urgent_overdue",
        "event:urgent_assistance_granted", "escalated:regularisation", "event:urgent_grant_regularised",
        "not:event:follow_up_opened", "end:completed")
_branch("临时救助 information check negative, objection, recheck; refusal by the township, notice served",
        "case_v7_temporary_check_negative_rejected",
        "event:ineligibility_by_info_check_notified", "event:check_result_objected", "opinion:ineligible",
        "event:application_rejected", "event:rejection_notice_served", "end:completed")
_branch("临时救助 close relative recused, non-cooperation; an emergency report withdrawn",
        ("case_v7_temporary_noncooperation", "case_v7_temporary_urgent_withdrawn"),
        "event:staff_recused", "event:review_terminated_for_non_cooperation", "event:application_withdrawn",
        "end:completed")
_branch("一门受理: a 临时救助 case opened from an intake, the screening linked on its trail",
        "case_v7_temporary_opened_from_intake", "event:intake_linked", "event:application_withdrawn",
        "end:completed")
# --- the other workflows ---
_branch("ReviewSweepWorkflow: batches, max_batches truncation, overdue report, the daily audit",
        "review_sweep_v1",
        "workflow:ReviewSweepWorkflow", "activity:find_due_reviews", "activity:open_due_reviews",
        "activity:overdue_reviews", "result:opened", "result:truncated", "result:overdue_reviews_by_township",
        "patch:sweep-daily-audit-v1", "activity:daily_audit", "end:completed")
_branch("ReviewSweepWorkflow as deployed before the daily audit (the patch's old path)",
        "review_sweep_v1_before_daily_audit",
        "workflow:ReviewSweepWorkflow", "activity:open_due_reviews", "result:truncated", "end:completed",
        "not:patch:sweep-daily-audit-v1", "not:activity:daily_audit")
_branch("StandardChangeWorkflow: batches across continue-as-new, to the end",
        ("standard_change_v1_run1", "standard_change_v1_run2"),
        "workflow:StandardChangeWorkflow", "activity:list_active_cases",
        "activity:apply_standard_change_batch", "end:continued_as_new", "end:completed", "result:done")
_branch("AllowanceCatchUpWorkflow (issue 17 item 4): pages of one case, continue-as-new with the cursor, to the end",
        ("allowance_catch_up_v1_run1", "allowance_catch_up_v1_run2", "allowance_catch_up_v1_run3"),
        "workflow:AllowanceCatchUpWorkflow", "activity:find_allowance_catch_ups", "activity:catch_up_allowances",
        "end:continued_as_new", "end:completed", "result:done")
_branch("高龄津贴 band move recorded by the daily catch-up's Update ahead of the case's own timer (SPEC §6.3)",
        "case_v8_old_age_band_moved_by_catch_up", "update:catch_up_timers", "event:allowance_changed",
        "end:running")

# --- one round trip per decision (issue 18) ---
_branch("the S1 procedure into payment with the store's calls as local activities (patch case-local-records-v1): "
        "records, deadlines, the 公示 end and the parameters in the decision's own workflow task; the information "
        "check still an activity",
        "case_v8_local_records_in_payment",
        "patch:case-local-records-v1", "local_activity:record_case", "local_activity:compute_deadline",
        "local_activity:resolve_parameters", "activity:run_info_check", "not:activity:record_case",
        "not:activity:compute_deadline", "not:activity:resolve_parameters", "update:execute", "timer_fired",
        "end:running")
_branch("the information check as a local activity too (patch case-local-info-check-v1): the S1 procedure into "
        "payment with no activity task at all",
        "case_v9_local_info_check_in_payment",
        "patch:case-local-records-v1", "patch:case-local-info-check-v1", "local_activity:run_info_check",
        "local_activity:record_case", "not:activity:run_info_check", "update:execute", "timer_fired", "end:running")
_branch("the information check an activity before its patch (its old path)", "case_v8_local_records_in_payment",
        "activity:run_info_check", "not:patch:case-local-info-check-v1", "not:local_activity:run_info_check")
_branch("records as regular activities before the local-records patch (its old path)", "case_v2_in_payment",
        "activity:record_case", "not:patch:case-local-records-v1", "not:local_activity:record_case")

# --- 特困人员救助供养 (tekun, S3; SPEC §4) ---
_branch("特困 物价联动 (S4 Art. 10; S3 Arts. 19, 20): the recalculate Update records the new basic-living + care "
        "standards from the version's month (patch case-tekun-recalculation-v1); once per version",
        "tekun_v2_standard_change",
        "update:recalculate", "patch:case-tekun-recalculation-v1", "event:benefit_recalculated",
        "event:payment_scheduled", "end:running")
_branch("特困 补发 (S4 Art. 10; S3 Arts. 19, 20): a standard issued late from a month already on the rolls; the "
        "recalculation decides the difference for each month paid (patch case-tekun-back-pay-v1, asked at the start; "
        "the records are local activities, whose inputs a history does not keep: the export asserts the Update "
        "answered benefit_recalculated and back_pay_decided)",
        "tekun_v3_back_pay",
        "patch:case-tekun-back-pay-v1", "update:recalculate", "local_activity:paid_months", "end:running")
_branch("特困 物价联动 before its 补发 (the patch not taken: no back pay asked for)", "tekun_v2_standard_change",
        "not:patch:case-tekun-back-pay-v1", "not:event:back_pay_decided")
_branch("特困: 补正, 受理, supporter in prison, self-care assessment, full 敬老院 → waiting list, home support, "
        "民主评议, objection → re-investigation → 公示 again (S3 Art. 15), drawn → county home visit, approval",
        "tekun_v1_recognised",
        "event:materials_deficiency_notified", "event:eligibility_facts_recorded", "event:self_care_assessed",
        "event:placement_waitlisted", "event:support_form_chosen", "event:democratic_appraisal_held",
        "event:publicity_objection_logged", "event:reinvestigation_ordered", "event:drawn_for_county_check",
        "event:county_home_visit_recorded", "event:application_approved", "event:review_scheduled",
        "event:payment_scheduled", "end:running")
_branch("特困 termination (S3 Arts. 24-26): 7-day termination 公示, objection, county investigation, proposed and "
        "published again, the county's decision from next month, notice served",
        "tekun_v1_terminated_after_objection",
        "event:termination_proposed", "event:publicity_objection_logged", "event:reinvestigation_ordered",
        "event:support_terminated", "event:referral_recorded", "event:termination_notice_served", "timer_fired",
        "end:completed")
_branch("特困: a minor's 18th birthday without schooling opens a review by timer (S3 Art. 24 note); termination "
        "公示 without objection; decided; closed",
        "tekun_v1_minor_turns_18_terminated",
        "event:tekun_review_opened", "event:termination_proposed", "event:support_terminated", "timer_fired",
        "end:completed")
_branch("特困: a minor in school keeps support past 18; the annual review (S5 item 7) concluded; continue-as-new",
        "tekun_v1_minor_in_school_reviewed",
        "event:schooling_recorded", "event:tekun_review_opened", "event:tekun_review_concluded",
        "end:continued_as_new")
_branch("特困: negative check, ineligible opinion to the county, not drawn, refusal, notice (S3 Art. 18)",
        "tekun_v1_refused",
        "event:ineligibility_by_info_check_notified", "opinion:ineligible", "event:drawn_for_county_check",
        "event:application_rejected", "event:rejection_notice_served", "end:completed")
_branch("特困: withdrawal; the procedure ended for non-cooperation", ("tekun_v1_withdrawn", "tekun_v1_noncooperation"),
        "event:application_withdrawn", "event:review_terminated_for_non_cooperation", "end:completed")
_branch("特困 in payment: 集中供养 when a bed frees, a reported change re-assessed within 10 wd (S3 Art. 23); a "
        "termination objected to and dropped by the county (S3 Art. 26)",
        "tekun_v1_termination_dropped",
        "event:self_care_change_reported", "event:self_care_assessed", "event:support_form_chosen",
        "event:termination_dropped", "end:running")

#: Details of a domain event worth naming as a fact: event type → (payload field, fact prefix).
_DETAILS = {
    "escalation_raised": ("step", "escalated"),
    "ad_hoc_review_opened": ("trigger", "review_trigger"),
    "review_completed": ("outcome", "review_outcome"),
    "benefit_stopped": ("reason_code", "stop_reason"),
    "publicity_started": ("unit", "publicity_unit"),
}

_ENDINGS = {
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED: "completed",
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW: "continued_as_new",
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED: "failed",
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED: "terminated",
}


def _json(payload: Any) -> Any:
    encoding = payload.metadata.get("encoding", b"")
    assert encoding == b"json/plain", f"a {encoding!r} payload: export golden histories without the codec"
    return json.loads(payload.data)


@functools.cache
def facts(path: Path) -> frozenset[str]:
    """What a history shows, as facts (see ``BRANCHES``)."""
    history = WorkflowHistory.from_json(path.stem, path.read_text())
    out: set[str] = set()
    for ev in history.events:
        match ev.event_type:
            case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED:
                out.add(f"workflow:{ev.workflow_execution_started_event_attributes.workflow_type.name}")
            case EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
                attrs = ev.activity_task_scheduled_event_attributes
                out.add(f"activity:{attrs.activity_type.name}")
                if attrs.activity_type.name == "record_case":  # activities.models.RecordCaseInput
                    for event in _json(attrs.input.payloads[0])["events"]:
                        out.add(f"event:{event['type']}")
                        if event["type"] in _DETAILS:
                            field, prefix = _DETAILS[event["type"]]
                            out.add(f"{prefix}:{event[field]}")
                        if event["type"] == "prelim_opinion_issued":
                            out.add(f"opinion:{'eligible' if event['eligible'] else 'ineligible'}")
            case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED:
                accepted = ev.workflow_execution_update_accepted_event_attributes.accepted_request
                out.add(f"update:{accepted.input.name}")
            case EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES:
                upserted = ev.upsert_workflow_search_attributes_event_attributes.search_attributes
                out.update(f"search_attribute:{name}" for name in upserted.indexed_fields)
            case EventType.EVENT_TYPE_TIMER_FIRED:
                out.add("timer_fired")
            case EventType.EVENT_TYPE_MARKER_RECORDED:
                details = ev.marker_recorded_event_attributes.details
                if "patch-data" in details:
                    out.add(f"patch:{_json(details['patch-data'].payloads[0])['id']}")
                if ev.marker_recorded_event_attributes.marker_name == "core_local_activity":  # issue 18
                    out.add(f"local_activity:{json.loads(details['data'].payloads[0].data)['activity_type']}")
            case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED:
                result = ev.workflow_execution_completed_event_attributes.result.payloads
                if result and isinstance(value := _json(result[0]), dict):
                    out.update(f"result:{key}" for key, v in value.items() if v)
    out.add(f"end:{_ENDINGS.get(history.events[-1].event_type, 'running')}")
    return frozenset(out)


def _path(stem: str) -> Path:
    return HISTORY_DIR / f"{stem}.json"


def test_there_are_histories_to_replay() -> None:
    """STYLE guideline 14: the versioning gate has histories to check."""
    assert HISTORIES, "no checked-in histories: export one with python -m tests.workflows.export_history"


@pytest.mark.parametrize("path", HISTORIES, ids=[p.stem for p in HISTORIES])
async def test_checked_in_history_replays_deterministically(path: Path) -> None:
    """STYLE guideline 14: today's workflow code replays the golden history without nondeterminism."""
    history = WorkflowHistory.from_json(f"case-{path.stem}", path.read_text())
    replayer = Replayer(workflows=WORKFLOWS, data_converter=pydantic_data_converter)

    result = await replayer.replay_workflow(history, raise_on_replay_failure=False)

    assert result.replay_failure is None, f"{path.name}: {result.replay_failure}"


@pytest.mark.parametrize("branch", BRANCHES)
def test_a_golden_history_covers_the_branch(branch: str) -> None:
    """STYLE guideline 14 (histories for every branch): the histories named for the branch exist and, taken
    together, show every fact the table claims for it."""
    stems, claimed = BRANCHES[branch]
    missing_files = [s for s in stems if not _path(s).exists()]
    assert not missing_files, f"{branch}: no history {missing_files}"

    shown = frozenset().union(*(facts(_path(s)) for s in stems))

    present = {f for f in claimed if not f.startswith("not:")}
    absent = {f.removeprefix("not:") for f in claimed if f.startswith("not:")}
    assert present <= shown, f"{branch}: not in {stems}: {sorted(present - shown)}"
    assert not absent & shown, f"{branch}: shown in {stems}: {sorted(absent & shown)}"


def test_every_domain_event_type_is_recorded_in_some_golden_history() -> None:
    """Every event type of ``domain.events.CaseEvent`` is recorded by the case workflow in at least one golden
    history, so no decision the domain can take is left out of the versioning gate."""
    members = typing.get_args(typing.get_args(CaseEvent)[0])
    types = {m.model_fields["type"].default for m in members}

    recorded = {f.removeprefix("event:") for p in HISTORIES for f in facts(p) if f.startswith("event:")}

    assert types - recorded == set(), f"no golden history records {sorted(types - recorded)}"


def test_every_workflow_has_a_golden_history() -> None:
    """Each workflow the worker registers has at least one history to replay."""
    names = {defn_name(w) for w in WORKFLOWS}

    replayed = {f.removeprefix("workflow:") for p in HISTORIES for f in facts(p) if f.startswith("workflow:")}

    assert names <= replayed, f"no golden history of {sorted(names - replayed)}"


def test_every_golden_history_is_in_the_branch_table_and_small() -> None:
    """Each checked-in history is named for some branch (none unexplained) and stays under 600 KB."""
    named = {s for stems, _ in BRANCHES.values() for s in stems}

    assert {p.stem for p in HISTORIES} - named == set()
    assert {p.stem: p.stat().st_size for p in HISTORIES if p.stat().st_size > MAX_BYTES} == {}


def defn_name(cls: type) -> str:
    """The name a workflow class is registered under (the SDK has no public accessor)."""
    name = workflow._Definition.must_from_class(cls).name  # noqa: SLF001
    assert name is not None
    return name
