"""``casework demo`` (issue 5 item 5) against the in-process API, the real Temporal dev server and PostgreSQL.

The API test app's parameter book closes the 公示 window after ``PUBLICITY_SECONDS`` (tests/api/conftest.py),
so the demo carries cases past 公示 on its first run, as it does against ``make run`` with
``casework demo --fast-publicity``.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import httpx

from adapters.auth import issue_token
from adapters.db.economic_records import PgEconomicRecords
from adapters.settings import Settings
from domain.actors import Role
from domain.divisions import LUFENG_TOWNSHIPS, validate_known_village, validate_village_code
from domain.identity import parse_resident_id
from services.demo import TARGETS, county_villages, make_households, run_demo, summary_lines

HOUSEHOLDS = 30
SEED = 20261102

#: Stages the demo must reach on a first run when 公示 closes in seconds.
MAIN_STAGES = {
    "submitted", "materials_incomplete", "accepted", "investigating", "info_check_negative_notified",
    "democratic_appraisal", "submitted_to_county", "county_review", "approved", "in_payment", "under_review",
    "gradual_exit", "rejected", "terminated_noncooperation", "withdrawn", "stopping",
}


def test_the_demo_county_has_every_township_and_valid_village_codes() -> None:
    villages = county_villages()
    assert {v.township_code for v in villages} == set(LUFENG_TOWNSHIPS)
    assert len({v.code for v in villages}) == len(villages)
    for v in villages:
        assert validate_village_code(v.code) == v.code
        assert validate_known_village(v.code) == v.code  # the real villages (issue 19 item 5)
        assert v.code.startswith(v.township_code)
        assert not v.code.endswith("000")
    assert {v.area_type for v in villages} == {"urban", "rural"}
    assert len(villages) == 168 and any(v.name == "董户村社区" for v in villages)


def test_households_are_reproducible_with_valid_unique_id_numbers() -> None:
    """GB 11643-1999: every number parses (date, check character); none repeats; a smaller run is a prefix
    of a larger one with the same seed (so a re-run re-sends the same applications)."""
    households = make_households(300, SEED)
    ids = [m.resident_id for hh in households for m in hh.members]
    assert len(ids) == len(set(ids))
    for hh in households:
        for m in hh.members:
            rid = parse_resident_id(m.resident_id)
            assert m.resident_id[:6] in {"532302", "532331"}
            assert (int(m.resident_id[16]) % 2 == 1) == m.male
            assert rid.birth_date.year >= 1930
    assert [hh.body() for hh in make_households(20, SEED)] == [hh.body() for hh in households[:20]]
    assert {hh.target.key for hh in households[: len(TARGETS)]} == {t.key for t in TARGETS}


async def test_the_demo_creates_cases_in_every_stage_and_a_rerun_creates_nothing(
    http: httpx.AsyncClient, api_settings: Settings, pg_pool: asyncpg.Pool, tmp_path: Path
) -> None:
    """Through the public API only: 30 households reach the main stages of the procedure and of the
    in-payment life (公示 closes in 2 s here); the information check finds the departmental records loaded
    first; a second run with the same seed finds every case by its Idempotency-Key and sends no command."""

    def token(role: Role, jurisdiction: str, sub: str) -> str:
        return issue_token(api_settings, sub=sub, role=role, jurisdiction=jurisdiction, now=datetime.now(UTC),
                           ttl=timedelta(hours=1))

    lines: list[str] = []
    records = PgEconomicRecords(pg_pool)
    first = await run_demo(http, token, households=HOUSEHOLDS, seed=SEED, concurrency=8, records=records,
                           work_dir=tmp_path, require_fast_publicity=True, out=lines.append,
                           publicity_timeout=30)

    assert first.failures == {}, first.failures
    assert first.conflicts == 0
    assert first.created == HOUSEHOLDS
    assert len(first.case_ids) == HOUSEHOLDS
    assert first.publicity_unit == "second"
    assert first.waiting_publicity == 0
    missing = MAIN_STAGES - set(first.stages)
    assert not missing, f"no case in {missing}: {dict(first.stages)}"
    assert sum(first.stages.values()) == HOUSEHOLDS
    assert any("departmental extract deposit" in line for line in lines)

    # The information check found the undeclared deposit of the household told it is ineligible.
    [negative] = [hh for hh in first.households if hh.target.key == "info_check_negative"][:1]
    reader = {"Authorization": "Bearer " + token(Role.COUNTY_REVIEWER, "532302", "t")}
    trail = (await http.get(f"/v1/cases/{first.case_ids[negative.index]}/trail", headers=reader)).json()
    assert "ineligibility_by_info_check_notified" in [e["type"] for e in trail]

    # A death reported past its 3-month limit (S6 §一(三)) escalates at once: a real overdue case on first run.
    [late] = [hh for hh in first.households if hh.target.key == "death_overdue"][:1]
    async with asyncio.timeout(20):
        while not await pg_pool.fetchval("SELECT overdue FROM cases WHERE case_id = $1", first.case_ids[late.index]):
            await asyncio.sleep(0.1)

    # Issue 19: a re-run under --fast-publicity posts no 公示 of its own: the windows of the first run's 公示
    # do not stand for the book in force (no PublicityNotFast from them), and nothing is refused for it.
    second = await run_demo(http, token, households=HOUSEHOLDS, seed=SEED, concurrency=8, records=records,
                            work_dir=tmp_path, require_fast_publicity=True, out=lines.append)

    assert second.failures == {}, second.failures
    assert second.created == 0
    assert second.existing == HOUSEHOLDS
    assert second.commands == 0
    assert second.case_ids == first.case_ids
    assert any("already imported" in line for line in lines)
    assert second.publicity_unit is None
    # Issue 19: "overdue now" counts as the reports do (any escalated deadline still pending), not pending.overdue.
    overdue = await pg_pool.fetchval("SELECT count(*) FROM cases WHERE overdue AND case_id = ANY($1::uuid[])",
                                     list(second.case_ids.values()))
    assert overdue >= 1
    assert second.overdue == overdue
    assert f"overdue now: {overdue}." in "\n".join(summary_lines(second))
