"""高龄津贴 proactive enrolment from a hukou extract (SPEC §6.3: 主动发现; bands UNCONFIRMED parameters): everyone
who reached the first band gets a case for the township to confirm; importing the extract twice opens each case
once; people below the band and outside the county are counted, not opened."""

from __future__ import annotations

import uuid
from pathlib import Path

import asyncpg
import pytest
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from adapters.parameters import ParameterFile
from services.enrolment import case_id_for, enrol, read_extract
from tests.builders import JINSHAN_VILLAGE, unique_resident_id

#: The enrolment key (a deployment secret; a fixed one here).
KEY = b"test-enrolment-key-0123456789abcdef"
from tests.workflows.helpers import wait_for_case_row

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_enrolment_import_twice_is_once(ts_env: WorkflowEnvironment, ts_worker: Worker, pg_pool: asyncpg.Pool,
                                              tmp_path: Path) -> None:
    now = await ts_env.get_current_time()
    old = [unique_resident_id(1930), unique_resident_id(1941)]
    young = unique_resident_id(1960)
    lines = ["resident_id,name,village_code", *(f"{rid},测试{i},{JINSHAN_VILLAGE}" for i, rid in enumerate(old)),
             f"{young},测试少,{JINSHAN_VILLAGE}", f"{unique_resident_id(1935)},测试外,110105001001",
             "not-a-number,测试错,532302101001"]
    path = tmp_path / "hukou.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    rows, invalid = read_extract(path)
    assert invalid == [6]
    source = f"户籍数据 {uuid.uuid4().hex[:6]}"
    book = ParameterFile().book()
    first = await enrol(pg_pool, ts_env.client, ts_worker.task_queue, book, rows, source, now, key=KEY, index=False)
    assert first == {"proposed": 2, "below_band": 1, "outside_county": 1}
    for rid in old:
        row = await wait_for_case_row(pg_pool, case_id_for(rid, source, KEY))
        assert row["program"] == "old_age_allowance" and row["stage"] == "proposed"
    again = await enrol(pg_pool, ts_env.client, ts_worker.task_queue, book, rows, source, now, key=KEY, index=False)
    assert again == {"already_enrolled": 2, "below_band": 1, "outside_county": 1}
    count = await pg_pool.fetchval("SELECT count(*) FROM cases WHERE case_id = ANY($1::uuid[])",
                                   [case_id_for(rid, source, KEY) for rid in old])
    assert count == 2
