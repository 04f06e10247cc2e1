"""Auditors (issue 6) through the API and the CLI, on a real case: HTTP → API → Temporal dev server → worker →
PostgreSQL. One case goes through an objection, a re-investigation and a refusal, with commands refused on
the way; the auditor reads its trail, exports its histories, replays them (from Temporal, and from the export
with no Temporal server), re-evaluates the refusal as of then and today, and every read is in the ledger."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from temporalio.testing import WorkflowEnvironment

from adapters.audit.chain import canonical_json, digest
from adapters.audit.checkpoints import check_checkpoints, read_checkpoints, verify_key
from adapters.audit.ledger import Ledger
from adapters.settings import Settings
from domain.actors import Role
from domain.ids import workflow_id_for
from services.audit.history import seal_closed_histories
from tests.api.conftest import PUBLICITY_SECONDS, TokenFactory
from tests.api.test_lifecycle_api import (
    CASEWORKER,
    COUNTY_APPROVER,
    COUNTY_REVIEWER,
    TOWNSHIP_APPROVER,
    WINDOW,
    Api,
    household,
)
from tests.builders import application_body
from tests.env import subprocess_env
from tests.workflows.lifecycle import TEAM, income_per_capita
from workflows.review_sweep import ReviewSweepWorkflow, SweepInput

REPO = Path(__file__).resolve().parents[2]
CASEWORK = str(Path(sys.executable).with_name("casework"))
AUDITOR = (Role.AUDITOR, "532302", "aud-01")
SUPERVISOR_BICHENG = (Role.SUPERVISOR, "532302102", "sup-bc")

#: What the case below goes through, in order (S1 Arts. 10, 15-17, 19 para 2, 21, 38).
STEPS = ["application_submitted", "application_accepted", "investigation_started", "home_visit_recorded",
         "info_check_requested", "info_check_completed", "village_review_exempted", "prelim_opinion_issued",
         "publicity_started", "publicity_objection_logged", "publicity_window_elapsed", "reinvestigation_ordered",
         "home_visit_recorded", "prelim_opinion_issued", "case_submitted_to_county", "county_review_started",
         "application_rejected", "rejection_notice_served"]


async def _objection_reinvestigation_refusal(api: Api) -> str:
    body = application_body(members=household("吴秀兰", "郑国强"), declaration=income_per_capita(Decimal("150"), 2))
    created = await api.create(body)
    assert created.status_code == 201, created.text
    case_id: str = created.json()["case_id"]
    await api.to_publicity(case_id)
    await api.ok(case_id, CASEWORKER, "log_objection", real_name=True, content="村民反映该户有经营收入未申报")
    await api.wait_stage(case_id, "objection_received", timeout=PUBLICITY_SECONDS + 18)
    await api.ok(case_id, TOWNSHIP_APPROVER, "resolve_objection", path="reinvestigation", reason="核实经营收入")
    await api.ok(case_id, CASEWORKER, "record_home_visit", investigators=TEAM, household_signed=True,
                 findings="入户核实：经营一家小卖部，收入未申报")
    await api.ok(case_id, TOWNSHIP_APPROVER, "issue_prelim_opinion", eligible=False,
                 reasons=["有未申报的经营收入，家庭收入情况不实"])
    # Refused by the workflow's validator: the investigator may not decide for the county (S1 Art. 20).
    by_validator = await api.command(case_id, CASEWORKER, "reject", reasons=["x"])
    assert by_validator.status_code == 403 and by_validator.json()["code"] == "not_permitted", by_validator.text
    # Refused by the policy table before reaching the case: an auditor takes no steps.
    by_policy = await api.command(case_id, AUDITOR, "start_county_review")
    assert by_policy.status_code == 403, by_policy.text
    await api.ok(case_id, COUNTY_REVIEWER, "start_county_review")
    # Refused by the domain in the handler's stage check: a second review start (409).
    twice = await api.command(case_id, COUNTY_REVIEWER, "start_county_review")
    assert twice.status_code == 409, twice.text
    await api.ok(case_id, COUNTY_APPROVER, "reject", reasons=["家庭收入情况不实：经营收入未申报"])
    await api.ok(case_id, CASEWORKER, "serve_rejection_notice")
    return case_id


async def _wait_closed(env: WorkflowEnvironment, case_id: str) -> None:
    await asyncio.wait_for(env.client.get_workflow_handle(workflow_id_for(uuid.UUID(case_id))).result(), 30)


async def test_the_trail_of_an_objection_a_reinvestigation_and_a_refusal_lists_every_step_and_every_refusal(
    http: httpx.AsyncClient, auth: TokenFactory, pg_pool: asyncpg.Pool,
) -> None:
    """Issue 6 item 1: every decision with who, when, why, legal basis and parameter version, in order, each
    with its ledger position; and the refused commands — by the validator, the policy table and the domain —
    with who tried what and why."""
    api = Api(http, auth)
    case_id = await _objection_reinvestigation_refusal(api)

    trail = (await api.trail(case_id)).json()

    decisions = [t for t in trail if t["kind"] == "decision" and t["type"] not in {"deadline_set"}]
    assert [t["type"] for t in decisions] == STEPS
    assert all(t["ledger_position"] and t["ledger_hash"] for t in trail)
    assert [t["seq"] for t in trail if t["kind"] == "decision"] == sorted(t["seq"] for t in trail
                                                                           if t["kind"] == "decision")
    by_type = {t["type"]: t for t in decisions}
    assert by_type["reinvestigation_ordered"]["legal_basis"] == ["S1 Art. 19 para 2"]
    assert by_type["reinvestigation_ordered"]["actor_id"] == "tsa-01"
    rejected = by_type["application_rejected"]
    assert rejected["actor_id"] == "ca-01" and rejected["actor_role"] == "county_approver"
    assert rejected["actor_jurisdiction"] == "532302" and rejected["parameter_set_version"]
    assert {"S1 Art. 21", "S1 Art. 38"} <= set(rejected["legal_basis"])

    refused = [t for t in trail if t["kind"] == "refused"]
    assert [(t["type"], t["actor_id"], t["details"]["code"], t["details"]["status"]) for t in refused] == [
        ("reject", "inv-01", "not_permitted", 403),
        ("POST case.command", "aud-01", "not_permitted", 403),
        ("start_county_review", "cr-01", "invalid_transition", 409),
    ]
    assert all(t["reason"] for t in refused), "why it was refused"
    # Refusals fall in where they happened: after the re-issued opinion, before the county's decision.
    positions = [t["type"] for t in trail]
    assert positions.index("reject") > positions.index("case_submitted_to_county")
    assert positions.index("start_county_review") < positions.index("application_rejected")
    assert "小卖部" not in json.dumps(trail, ensure_ascii=False), "no findings text in the trail"


async def test_an_auditor_exports_replays_and_re_evaluates_a_closed_case_and_each_read_is_logged(
    http: httpx.AsyncClient, auth: TokenFactory, pg_pool: asyncpg.Pool, dev_env: WorkflowEnvironment,
    api_settings: Settings, tmp_path: Path,
) -> None:
    """Issue 6 items 3, 4, 5, 7: the history of every run with a manifest of SHA-256s, sealed into the ledger
    when the case closes; the replay with today's code is deterministic and re-derives exactly the ledger's
    decisions; the refusal recomputed with the parameters then and now; every audit read is in the ledger;
    the export replays with no Temporal server; a front-office token gets 403."""
    api = Api(http, auth)
    case_id = await _objection_reinvestigation_refusal(api)
    await _wait_closed(dev_env, case_id)
    cid = uuid.UUID(case_id)
    assert await seal_closed_histories(dev_env.client, pg_pool, Ledger()) >= 1
    sealed = await pg_pool.fetchval("SELECT content FROM audit_ledger WHERE entry_key = $1", f"history:{case_id}")
    assert sealed is not None

    forbidden = await http.get(f"/v1/cases/{case_id}/history", headers=api.headers(WINDOW))
    assert forbidden.status_code == 403
    other_township = await http.get(f"/v1/cases/{case_id}/history", headers=api.headers(SUPERVISOR_BICHENG))
    assert other_township.status_code == 403

    exported = await http.get(f"/v1/cases/{case_id}/history", headers=api.headers(AUDITOR))
    assert exported.status_code == 200, exported.text
    doc = exported.json()
    assert doc["manifest"]["closed"] is True and len(doc["runs"]) == len(doc["manifest"]["runs"]) >= 1
    for run, row in zip(doc["runs"], doc["manifest"]["runs"], strict=True):
        assert digest("sha256", canonical_json(run["history"]).encode()) == run["sha256"] == row["sha256"]
        assert run["history"]["events"][0]["eventType"] in {"EVENT_TYPE_WORKFLOW_EXECUTION_STARTED",
                                                             "WorkflowExecutionStarted"}
    assert [r["sha256"] for r in json.loads(sealed)["runs"]] == [r["sha256"] for r in doc["runs"]]

    replayed = await http.post(f"/v1/cases/{case_id}/replay", headers=api.headers(AUDITOR))
    assert replayed.status_code == 200, replayed.text
    answer = replayed.json()
    assert answer["ok"] is True, answer
    report = answer["report"]
    assert all(r["deterministic"] for r in report["runs"])
    events = await pg_pool.fetchval("SELECT count(*) FROM case_events WHERE case_id = $1", cid)
    assert report["ledger"]["rederived"] == report["ledger"]["matching"] == report["ledger"]["ledger_entries"] == events
    assert report["sealed_hashes_match"] is True

    rejection_seq = await pg_pool.fetchval(
        "SELECT seq FROM case_events WHERE case_id = $1 AND type = 'application_rejected'", cid)
    as_of = await http.get(f"/v1/cases/{case_id}/decisions/{rejection_seq}/as-of", headers=api.headers(AUDITOR))
    assert as_of.status_code == 200, as_of.text
    assert as_of.json()["reproduced"] is True
    assert as_of.json()["recorded"]["parameter_set_version"] == as_of.json()["at_decision_date"][
        "parameter_set_version"]
    not_computed = await http.get(f"/v1/cases/{case_id}/decisions/2/as-of", headers=api.headers(AUDITOR))
    assert not_computed.status_code == 422 and not_computed.json()["detail"][0]["loc"] == ["path", "seq"]

    reads = await pg_pool.fetch("SELECT actor_id, content FROM audit_ledger WHERE case_id = $1 AND kind = 'access' "
                                "ORDER BY position", cid)
    assert [(r["actor_id"], json.loads(r["content"])["action"]) for r in reads][-3:] == [
        ("aud-01", "history_export"), ("aud-01", "replay"), ("aud-01", "as_of")]
    denials = await pg_pool.fetch("SELECT actor_id FROM audit_ledger WHERE case_id = $1 AND kind = 'refusal'", cid)
    assert "window-01" in {r["actor_id"] for r in denials}, "the front office's denied export is on record"

    # The CLI: export to files, then replay them with no Temporal server reachable at all.
    env = subprocess_env() | {
        "CASEWORK_DATABASE_URL": api_settings.database_url or "", "CASEWORK_VAR_DIR": str(tmp_path / "var"),
        "CASEWORK_TEMPORAL_ADDRESS": api_settings.temporal_address or "", "CASEWORK_LOG_JSON": "true",
        "CASEWORK_PARAMETERS_FILE": str(api_settings.parameters_file)}

    def audit(*args: str, **extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([CASEWORK, "audit", *args], cwd=REPO, env=env | extra, capture_output=True, text=True,
                              timeout=180)

    out = tmp_path / "export"
    done = await asyncio.to_thread(audit, "export", case_id, "--out", str(out), "--by", "aud-02")
    assert done.returncode == 0, done.stdout + done.stderr
    manifest = json.loads((out / "manifest.json").read_text())
    assert [r["sha256"] for r in manifest["runs"]] == [r["sha256"] for r in doc["runs"]]
    offline = await asyncio.to_thread(audit, "replay", str(out), CASEWORK_TEMPORAL_ADDRESS="127.0.0.1:9")
    assert offline.returncode == 0, offline.stdout + offline.stderr
    assert "deterministic" in offline.stdout and "sealed history hashes: match" in offline.stdout
    assert f"{events} of {events} re-derived decisions match" in offline.stdout

    # A changed export file is refused before anything is replayed.
    first = out / manifest["runs"][0]["file"]
    text = first.read_text()
    first.write_text(text.replace('"eventId":"2"', '"eventId":"3"', 1))
    assert first.read_text() != text
    changed = await asyncio.to_thread(audit, "replay", str(out), CASEWORK_TEMPORAL_ADDRESS="127.0.0.1:9")
    assert changed.returncode == 1 and "does not match its SHA-256" in changed.stderr


async def test_a_replay_reports_a_decision_that_differs_from_the_ledger(
    http: httpx.AsyncClient, auth: TokenFactory, pg_pool: asyncpg.Pool,
) -> None:
    """Issue 6 item 4: a deterministic replay whose re-derived decision is not the one in the ledger is reported
    as such (here the ledger's digest of one decision is altered by a superuser, then put back)."""
    api = Api(http, auth)
    body = application_body(members=household("冯玉梅", "蒋志明"), declaration=income_per_capita(Decimal("100"), 2))
    created = await api.create(body)
    case_id = created.json()["case_id"]
    await api.ok(case_id, WINDOW, "accept_application")
    key = f"decision:{case_id}:2"
    original = await pg_pool.fetchval("SELECT content FROM audit_ledger WHERE entry_key = $1", key)
    altered = json.dumps({**json.loads(original), "event_digest": "0" * 64})
    await _superuser(pg_pool, "UPDATE audit_ledger SET content = $2 WHERE entry_key = $1", key, altered)
    try:
        replayed = (await http.post(f"/v1/cases/{case_id}/replay", headers=api.headers(AUDITOR))).json()
    finally:
        await _superuser(pg_pool, "UPDATE audit_ledger SET content = $2 WHERE entry_key = $1", key, original)
    assert replayed["ok"] is False
    assert all(r["deterministic"] for r in replayed["report"]["runs"])
    assert replayed["report"]["ledger"]["mismatches"] == [{"seq": 2, "problem": "differs_from_ledger"}]


async def _superuser(pool: asyncpg.Pool, sql: str, *args: Any) -> None:
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("SET LOCAL session_replication_role = replica")
        await conn.execute(sql, *args)


@pytest.mark.parametrize("path", ["history", "ledger"])
async def test_audit_reads_are_for_auditors_and_supervisors_only(
    http: httpx.AsyncClient, auth: TokenFactory, path: str,
) -> None:
    api = Api(http, auth)
    created = await api.create(application_body(members=household("陈建华", "褚丽")))
    case_id = created.json()["case_id"]
    for who in (WINDOW, CASEWORKER, TOWNSHIP_APPROVER, COUNTY_REVIEWER, COUNTY_APPROVER):
        assert (await http.get(f"/v1/cases/{case_id}/{path}", headers=api.headers(who))).status_code == 403
    async with asyncio.timeout(20):  # the case row is written by the workflow shortly after the answer
        while (read := await http.get(f"/v1/cases/{case_id}/{path}", headers=api.headers(AUDITOR))).status_code == 404:
            await asyncio.sleep(0.1)
    assert read.status_code == 200, read.text
    missing = await http.get(f"/v1/cases/{uuid.uuid4()}/{path}", headers=api.headers(AUDITOR))
    assert missing.status_code == 404


async def test_the_daily_sweep_seals_closed_cases_and_signs_a_checkpoint(
    http: httpx.AsyncClient, auth: TokenFactory, pg_pool: asyncpg.Pool, dev_env: WorkflowEnvironment,
    api_settings: Settings,
) -> None:
    """Issue 6 items 2, 3: once a case has closed, the daily sweep writes its history hashes into the ledger
    (once) and signs the ledger's head into the checkpoint file, which verifies."""
    api = Api(http, auth)
    created = await api.create(application_body(members=household("卫东", "蒋芳")))
    case_id = created.json()["case_id"]
    await api.ok(case_id, WINDOW, "withdraw_application", reason="申请人主动撤回")
    await _wait_closed(dev_env, case_id)

    report = await dev_env.client.execute_workflow(
        ReviewSweepWorkflow.run, SweepInput(), id=f"sweep-{uuid.uuid4()}", task_queue=api_settings.temporal_task_queue)
    again = await dev_env.client.execute_workflow(
        ReviewSweepWorkflow.run, SweepInput(), id=f"sweep-{uuid.uuid4()}", task_queue=api_settings.temporal_task_queue)

    assert report.histories_sealed >= 1
    seals = await pg_pool.fetchval("SELECT count(*) FROM audit_ledger WHERE entry_key = $1", f"history:{case_id}")
    assert seals == 1
    assert again.checkpoint_position is not None and report.checkpoint_position is not None
    assert again.checkpoint_position >= report.checkpoint_position
    checkpoints = read_checkpoints(api_settings.effective_ledger_checkpoint_dir)
    assert [c.position for c in checkpoints][-2:] == [report.checkpoint_position, again.checkpoint_position]
    assert await check_checkpoints(pg_pool, checkpoints, verify_key(api_settings)) == []
