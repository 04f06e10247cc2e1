"""The in-payment life over real HTTP: reported changes, bulk data alerts, the review decision (issue 4 item 7)."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx

from adapters.settings import Settings
from domain.actors import Role
from tests.api.conftest import PUBLICITY_SECONDS, TokenFactory
from tests.api.test_lifecycle_api import (
    CASEWORKER,
    COUNTY,
    COUNTY_APPROVER,
    COUNTY_REVIEWER,
    WINDOW,
    Api,
    household,
)
from tests.builders import BICHENG, application_body, unique_resident_id
from tests.workflows.lifecycle import income_per_capita

CHECKING_CENTRE = (Role.COUNTY_REVIEWER, COUNTY, "check-01")
BICHENG_CASEWORKER = (Role.TOWNSHIP_CASEWORKER, BICHENG, "inv-bc-01")


async def in_payment(api: Api, members: list[Any], per_capita: str = "200") -> str:
    body = application_body(members=members, declaration=income_per_capita(Decimal(per_capita), len(members)))
    created = await api.create(body)
    assert created.status_code == 201, created.text
    case_id: str = created.json()["case_id"]
    await api.to_publicity(case_id)
    await api.wait_stage(case_id, "submitted_to_county", timeout=PUBLICITY_SECONDS + 18)
    await api.ok(case_id, COUNTY_REVIEWER, "start_county_review")
    await api.ok(case_id, COUNTY_APPROVER, "approve", reason="经审核符合条件")
    await api.ok(case_id, CASEWORKER, "post_publication", location="村务公开栏")
    return case_id


async def wait_review_checked(api: Api, case_id: str) -> dict[str, Any]:
    """The review's information check runs automatically once the review opens (S1 Art. 31)."""
    case = await api.wait_stage(case_id, "under_review")
    return case


async def test_a_death_alert_by_id_number_opens_the_review_and_the_decision_decreases_the_amount(
    http: httpx.AsyncClient, auth: TokenFactory
) -> None:
    """S6 §三(二), §一(三); S1 Arts. 7, 31, 32 (SPEC §12 scenario 12): the checking centre posts a death match by
    resident ID number; the engine routes it to the case, opens a review with the 3-month limit, and the county's
    decision recomputes the household for 3 (a decrease with reasons). The same match again is not a second
    alert; unknown people and malformed rows are answered per row, never echoing an ID number."""
    api = Api(http, auth)
    members = household("赵大", "钱二", "赵小一", "赵小二")
    case_id = await in_payment(api, members)
    deceased = members[3].resident_id
    batch = {"source": "民政殡葬数据比对", "alerts": [
        {"resident_id": deceased, "alert": "death", "occurred_on": "2026-11-01"},
        {"resident_id": unique_resident_id(1970), "alert": "death", "occurred_on": "2026-11-01"},
    ]}
    posted = await http.post("/v1/data-alerts", json=batch, headers=api.headers(CHECKING_CENTRE))
    assert posted.status_code == 200, posted.text
    assert [(o["row"], o["outcome"]) for o in posted.json()] == [(0, "raised"), (1, "no_active_case")]
    assert deceased not in posted.text
    again = await http.post("/v1/data-alerts", json=batch, headers=api.headers(CHECKING_CENTRE))
    assert again.json() == posted.json(), "the same file again: the same answer, nothing recorded twice"
    other_source = await http.post("/v1/data-alerts", json={**batch, "source": "公安户籍注销"},
                                   headers=api.headers(CHECKING_CENTRE))
    assert other_source.json()[0]["outcome"] == "already_recorded"

    case = await wait_review_checked(api, case_id)
    assert case["pending"]["step"] == "review_decision"
    decided = await api.command(case_id, COUNTY_APPROVER, "decide_review", reasons=["家庭成员死亡，保障人口减少"])
    assert decided.status_code == 200, decided.text
    assert decided.json()["events"][:1] == ["benefit_decreased"]
    after = decided.json()["case"]
    assert after["stage"] == "in_payment"
    assert after["monthly_amount"] == "325.00"  # 9,600 a year over 3: (375 − 266.67) × 3
    assert after["household_size"] == 3, "the member who died no longer counts (S1 Art. 7), as on the roll"
    # the decrease applies from the month after the death (it replaces the first period when the death came
    # before the first payment month)
    periods = after["benefit_periods"]
    assert (periods[-1]["monthly_amount"], periods[-1]["household_size"]) == ("325.00", 3)
    assert [p["from_month"] for p in periods] == sorted({p["from_month"] for p in periods})
    assert after["review_class"] == "semi_annual" and after["next_review_due"] is not None
    assert after["overdue"] is False

    trail = (await api.trail(case_id)).json()
    [alert] = [e for e in trail if e["type"] == "data_alert_raised"]
    assert alert["details"]["alert"] == "death" and "S6 §三(二)" in alert["legal_basis"]
    assert deceased not in str(trail)


async def test_alerts_outside_the_senders_jurisdiction_reveal_nothing_and_bad_rows_are_422(
    http: httpx.AsyncClient, auth: TokenFactory
) -> None:
    """S4 Art. 61 (confidentiality): a 碧城镇 caseworker's match for a 金山镇 household is answered
    ``no_active_case``; a front-office token may not post alerts (403); a malformed ID number is a 422 naming
    the row's field, without the value."""
    api = Api(http, auth)
    members = household("孙大", "李二")
    case_id = await in_payment(api, members)
    row = {"resident_id": members[0].resident_id, "alert": "imprisonment", "occurred_on": "2026-10-01"}
    other = await http.post("/v1/data-alerts", json={"source": "司法数据", "alerts": [row]},
                            headers=api.headers(BICHENG_CASEWORKER))
    assert other.status_code == 200 and other.json()[0]["outcome"] == "no_active_case"
    assert (await api.get(case_id))["stage"] == "in_payment", "nothing happened to the case"
    window = await http.post("/v1/data-alerts", json={"source": "x", "alerts": [row]}, headers=api.headers(WINDOW))
    assert window.status_code == 403
    bad_id = members[0].resident_id[:-1] + ("0" if members[0].resident_id[-1] != "0" else "1")
    bad = await http.post("/v1/data-alerts", json={"source": "x", "alerts": [{**row, "resident_id": bad_id}]},
                          headers=api.headers(CHECKING_CENTRE))
    assert bad.status_code == 422
    assert bad_id not in bad.text
    assert ["body", "alerts", 0, "resident_id"] in [d["loc"] for d in bad.json()["detail"]]


async def test_a_reported_change_opens_a_review_and_a_stop_needs_its_notice(
    http: httpx.AsyncClient, auth: TokenFactory
) -> None:
    """S1 Arts. 30-32 (SPEC §8.2, §8.3): the household reports a higher income at the window; the review's
    decision stops the benefit from next month with reasons; the case stays in payment (``stopping``, still an
    open case) until next month begins and the stop notice is served by the township — it then waits for the
    month only — and a stop by the window is refused (403)."""
    api = Api(http, auth)
    case_id = await in_payment(api, household("周大", "吴二"))
    richer = income_per_capita(Decimal("900"), 2).model_dump(mode="json")
    reported = await api.command(case_id, WINDOW, "report_change", declaration=richer, note="家庭收入增加")
    assert reported.status_code == 200, reported.text
    assert reported.json()["events"][:2] == ["change_reported", "ad_hoc_review_opened"]
    await wait_review_checked(api, case_id)
    refused = await api.command(case_id, WINDOW, "decide_review", reasons=["收入超标"])
    assert refused.status_code == 403
    stopped = await api.command(case_id, COUNTY_APPROVER, "decide_review", reasons=["家庭人均收入超过当地低保标准"])
    assert stopped.status_code == 200, stopped.text
    case = stopped.json()["case"]
    assert case["stage"] == "stopping"
    assert case["pending"]["step"] == "serve_stop_notice"
    served = await api.ok(case_id, CASEWORKER, "serve_stop_notice")
    assert served["stage"] == "stopping"
    assert served["pending"] == {"step": "stop_takes_effect", "roles": [], "overdue": False,
                                 "due": case["stop_effective_month"] + "-01"}


async def _casework(settings: Settings, cwd: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    """``casework …`` as a separate process against this session's servers."""
    env = {**os.environ, "CASEWORK_DATABASE_URL": str(settings.database_url),
           "CASEWORK_TEMPORAL_ADDRESS": str(settings.temporal_address),
           "CASEWORK_TEMPORAL_TASK_QUEUE": settings.temporal_task_queue, "CASEWORK_VAR_DIR": str(cwd)}
    return await asyncio.to_thread(subprocess.run, [str(Path(sys.executable).parent / "casework"), *argv],
                                   cwd=cwd, env=env, capture_output=True, text=True, timeout=60)


async def test_the_cli_imports_alerts_from_a_csv_and_sends_a_staff_command(
    http: httpx.AsyncClient, auth: TokenFactory, api_settings: Settings, tmp_path: Path
) -> None:
    """S6 §三(二); S1 Arts. 7, 31: ``casework alerts import`` routes a death match from a departmental CSV to its
    case (rows by number, no ID number printed); ``casework case command`` sends the county's review decision."""
    api = Api(http, auth)
    members = household("郑大", "王二", "郑小")
    case_id = await in_payment(api, members)
    csv_file = tmp_path / "deaths.csv"
    csv_file.write_text("resident_id,alert,occurred_on\n"
                        f"{members[2].resident_id},death,2026-11-02\n"
                        f"{unique_resident_id(1960)},death,2026-11-02\n", encoding="utf-8")

    imported = await _casework(api_settings, tmp_path, "alerts", "import", str(csv_file),
                               "--source", "殡葬数据比对", "--by", "check-01")
    assert imported.returncode == 0, imported.stderr
    assert imported.stdout.splitlines() == [f"row 1: raised case {case_id}", "row 2: no_active_case"]
    assert members[2].resident_id not in imported.stdout + imported.stderr

    await wait_review_checked(api, case_id)
    decided = await _casework(api_settings, tmp_path, "case", "command", case_id, "--by", "ca-01",
                              "--role", "county_approver", "--jurisdiction", COUNTY,
                              "--json", json.dumps({"type": "decide_review", "reasons": ["成员死亡"]}))
    assert decided.returncode == 0, decided.stderr
    assert json.loads(decided.stdout)["stage"] == "in_payment"
    # S1 Art. 7: the household is who still lives together — the case, the roll and the benefit period agree
    assert (await api.get(case_id))["household_size"] == 2
    refused = await _casework(api_settings, tmp_path, "case", "command", case_id, "--by", "w-01",
                              "--role", "front_office", "--jurisdiction", "532302101",
                              "--json", json.dumps({"type": "stop_benefit", "reason_code": "other",
                                                    "reasons": ["x"]}))
    assert refused.returncode == 1 and "refused" in refused.stderr
