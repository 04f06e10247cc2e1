"""The read-model benchmark's harness runs (tiny N, no timing asserted), so ``bench/read_model.py`` never rots."""

from __future__ import annotations

from bench.read_model import _bench


async def test_the_read_model_benchmark_runs_and_reports_every_figure(pg_admin_uri: str) -> None:
    figures = await _bench(pg_admin_uri, cases=700, runs=2)
    names = {f["figure"] for f in figures}
    assert {"read_model_load", "list_county_first_page", "list_county_page_41", "list_township_overdue",
            "report_stage_counts"} <= names
    assert all(f["p95_ms"] >= f["p50_ms"] > 0 for f in figures if "p50_ms" in f)
