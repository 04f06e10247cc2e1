"""Geometry of the console's inline SVG pictures (pure): the templates only draw what these compute."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from api.console.labels import PROCEDURE_ORDER, STAGE_LABELS
from domain.kernel.clock import CHINA_TZ
from domain.kernel.programme import Programme

#: Width of the bar area of the horizontal bar charts, in SVG units.
BAR_AREA = 420


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    width: float
    y: float
    href: str | None = None
    key: str = ""


def _scale(value: float, top: float, area: float) -> float:
    return round(area * value / top, 1) if top > 0 else 0.0


def horizontal_bars(items: Iterable[tuple[str, str, int, str | None]], row: int = 26) -> list[Bar]:
    """Bars of (key, label, value, link) one under the other, scaled to the largest value."""
    items = list(items)
    top = max((v for _, _, v, _ in items), default=0)
    return [Bar(key=k, label=lbl, value=v, width=_scale(v, top, BAR_AREA), y=i * row, href=href)
            for i, (k, lbl, v, href) in enumerate(items)]


def funnel(counts: Mapping[str, int]) -> list[Bar]:
    """One bar per stage in the procedure's order, zero included (a gap in the funnel is information)."""
    return horizontal_bars((s, STAGE_LABELS[s], int(counts.get(s, 0)), f"/console/cases?stage={s}")
                           for s in PROCEDURE_ORDER)


@dataclass(frozen=True)
class TrendMonth:
    month: str
    opened: int
    approved: int
    rejected: int
    active: int
    payment_total: Decimal
    x: float
    opened_h: float
    approved_h: float
    rejected_h: float
    active_y: float


TREND_HEIGHT = 160
TREND_STEP = 48


def _month_key(month: Any) -> str:
    return month.strftime("%Y-%m") if hasattr(month, "strftime") else str(month)[:7]


def trend(rows: Iterable[Any]) -> tuple[list[TrendMonth], str]:
    """Per month, summed over the townships: bars of opened / approved / rejected cases and a line of the
    active caseload, each scaled to its own maximum. Returns the months and the line's SVG points."""
    sums: dict[str, dict[str, Any]] = {}
    for r in rows:
        m = sums.setdefault(_month_key(r.month), {"opened": 0, "approved": 0, "rejected": 0, "active": 0,
                                                 "payment_total": Decimal("0")})
        for k in ("opened", "approved", "rejected", "active"):
            m[k] += int(getattr(r, k) or 0)
        m["payment_total"] += Decimal(str(r.payment_total or 0))
    flows = max((max(m["opened"], m["approved"], m["rejected"]) for m in sums.values()), default=0)
    active = max((m["active"] for m in sums.values()), default=0)
    out = []
    for i, month in enumerate(sorted(sums)):
        m = sums[month]
        out.append(TrendMonth(
            month=month, **m, x=i * TREND_STEP,
            opened_h=_scale(m["opened"], flows, TREND_HEIGHT), approved_h=_scale(m["approved"], flows, TREND_HEIGHT),
            rejected_h=_scale(m["rejected"], flows, TREND_HEIGHT),
            active_y=TREND_HEIGHT - _scale(m["active"], active, TREND_HEIGHT),
        ))
    points = " ".join(f"{t.x + TREND_STEP / 2:.1f},{t.active_y:.1f}" for t in out)
    return out, points


@dataclass(frozen=True)
class TimelineNode:
    stage: str
    label: str
    x: float
    status: str  # "current" | "visited" | "ahead"
    entered: str  # China date the case first entered the stage, "" if never


TIMELINE_STEP = 100


def stage_history(states: Sequence[tuple[str, datetime]]) -> dict[str, datetime]:
    """The first time the case entered each stage, from (stage, instant) after each of its events."""
    first: dict[str, datetime] = {}
    for stage, at in states:
        first.setdefault(stage, at)
    return first


def timeline(entered: Mapping[str, datetime], current: str, programme: Programme) -> list[TimelineNode]:
    """The programme's stages as nodes on a line: its main path and every stage this case went through, in
    the procedure's order; a case that ended on a branch (refused, terminated, withdrawn) stops there."""
    shown = set(entered) | {current}
    if current not in programme.end_branches:
        shown |= set(programme.main_path)
    stages = [s for s in programme.stages if s in shown]
    nodes = []
    for i, s in enumerate(stages):
        status = "current" if s == current else "visited" if s in entered else "ahead"
        at = entered.get(s)
        name = programme.stage_labels.get(s, STAGE_LABELS[s])  # the programme's own name (特困: 认定)
        nodes.append(TimelineNode(stage=s.value, label=name, x=40 + i * TIMELINE_STEP, status=status,
                                  entered=at.astimezone(CHINA_TZ).strftime("%Y-%m-%d") if at else ""))
    return nodes
