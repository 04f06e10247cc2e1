"""A case's decision trail across all its workflow runs: the recorded decisions (from ``case_events``, one
unbroken sequence over every continue-as-new run) with their ledger positions and hashes, and the refused
commands (from the ledger), in the order they happened. Without personal data."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

from adapters.audit.chain import EntryKind
from adapters.audit.ledger import case_entries
from adapters.db.cases import PgCaseStore

#: Event fields the trail shows. A whitelist: free texts (findings, notes, minutes, complaint and objection
#: contents, evidence) and anything about members stay out of it; they may carry personal data.
_TRAIL_DETAILS = frozenset({
    "program", "area_type", "village_code", "items", "t0", "member_index", "related_to", "investigators", "remote",
    "evidence_sha256", "eligible", "reasons", "reissued", "starts_on", "ends_on", "unit", "location",
    "notice_sha256", "objections", "real_name", "feedback_sent", "conclusion", "monthly_amount",
    "first_payment_month", "notice_due", "ground", "step", "due", "calendar_version", "start", "working_days",
    # the in-payment life (issue 4)
    "review_class", "interval_months", "trigger", "alert", "occurred_on", "source", "outcome", "periodic",
    "next_review_due", "old_amount", "new_amount", "household_size", "from_month", "months", "ends_month",
    "stop_effective_month", "override_reason", "reason_code", "effective_month", "decided_seq", "granted_seq",
    "amount", "per_month", "multiple", "consecutive", "good_reason", "share_cut", "version",
    # household amendments before the decision (issue 20 item 1)
    "proposal_seq", "eligible_before", "eligible_after", "amount_before", "amount_after", "size_after",
    # 回避: the staff member a close-relative filing recused (an actor id, as every entry's actor_id)
    "staff_id",
})



#: What the trail shows of each earlier case linked at intake (``earlier_cases_linked``): which case, its
#: programme, outcome and dates, and which members (by index) it shares. Not the refusal's reasons — free text,
#: shown on the case itself to readers whose jurisdiction covers that case — and nothing about the members.
_EARLIER_CASE_DETAILS = ("case_id", "program", "village_code", "opened_at", "outcome", "decided_at",
                         "member_indexes")

#: Events whose ``reason`` is a note about the household (a close relative filed, a change the household
#: reported), not the reason for a decision: free text that may name people, so the trail withholds it.
_NOTE_AS_REASON = frozenset({"close_relative_filed", "change_reported", "household_amended"})


async def case_trail(pool: asyncpg.Pool, case_id: UUID) -> list[dict[str, Any]]:
    """The trail's steps as dicts (the fields of ``api.schemas.TrailEntry``), oldest first."""
    entries = await case_entries(pool, case_id)
    decisions = {e.seq: e for e in entries if e.kind == EntryKind.DECISION}
    out: list[dict[str, Any]] = []
    for ev in await PgCaseStore(pool).get_events(case_id):
        p = ev["payload"]
        details = {k: v for k, v in p.items() if k in _TRAIL_DETAILS}
        if ev["type"] == "application_submitted":
            details["household_size"] = len(p.get("members", []))
        if ev["type"] == "earlier_cases_linked":
            details["earlier_cases"] = [{k: link.get(k) for k in _EARLIER_CASE_DETAILS}
                                        for link in p.get("earlier_cases", [])]
        assessment = p.get("assessment") or {}
        if assessment:
            details["monthly_amount"] = assessment.get("monthly_amount")
            details["eligible"] = assessment.get("eligible")
        entry = decisions.get(ev["seq"])
        out.append({
            "kind": "decision", "seq": ev["seq"], "type": ev["type"], "at": datetime.fromisoformat(p["at"]),
            "actor_id": p["actor"]["id"],
            "actor_role": p["actor"]["role"], "actor_jurisdiction": p["actor"]["jurisdiction"],
            "reason": None if ev["type"] in _NOTE_AS_REASON else p.get("reason"),
            "legal_basis": list(p.get("legal_basis", [])),
            "parameter_set_version": p.get("parameter_set_version"), "details": details,
            "explanation": list(assessment.get("criteria", [])),
            "ledger_position": entry.position if entry else None, "ledger_hash": entry.entry_hash if entry else None,
        })
    for refusal in (e for e in entries if e.kind == EntryKind.REFUSAL):
        c = json.loads(refusal.content)
        out.append({
            "kind": "refused", "seq": None, "type": c["command"], "at": refusal.recorded_at,
            "actor_id": refusal.actor_id, "actor_role": refusal.actor_role,
            "actor_jurisdiction": c.get("actor_jurisdiction", ""), "reason": c.get("message"),
            "details": {"code": c.get("code"), "field": c.get("field", []), "status": c.get("status")},
            "ledger_position": refusal.position, "ledger_hash": refusal.entry_hash,
        })
    out.sort(key=lambda step: step["at"])  # stable: decisions keep their order; refusals fall in where they happened
    return out
