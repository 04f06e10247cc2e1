"""The case list and the supervisors' reports, read from the ``cases`` read model (issue 5).

Every query is scoped to a jurisdiction (a 6-digit county, 9-digit township or 12-digit village code): a
filter naming a division outside it narrows the answer to nothing, never to another division's cases. Rows
carry codes, stages, amounts and dates only: no names, no ID numbers.

Definitions used by the reports:

- **open case**: something is still outstanding on it: a pending step (any stage before the decision, the
  公布 of an approval, the refusal notice, an open review, the stop notice) or an overdue escalation. A case
  in payment without an open review, and a closed case, are not open.
- **overdue**: a deadline escalated and its step still pending (``domain.programmes.is_overdue``).
- **approved / rejected in a month**: by the month (China time) of the decision (``decided_at``); a case
  approved and later exited counts as approved in its decision month.
- **active in a month**: the case's benefit period in force that month has an amount above zero and the month
  is before its stop month (the same rule as ``CaseState.amount_for`` and the payment roll).
- **payment total**: the sum of the payment-roll lines (``payment_lines``) of that month and township, less
  the lines withdrawn before they were paid.

SQL is static text with ``$n`` parameters; only fixed fragments (filters) are put together, never values.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

import asyncpg
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from domain.actors import HUMAN_ROLES
from domain.calendar import provisional_year
from domain.divisions import is_jurisdiction_code
from domain.household import Program
from domain.kernel.clock import CHINA_TZ
from domain.programmes import CaseState, all_stages, parse_state, pending_step, programme_of

_STAGES = frozenset(all_stages())
_ROLES = frozenset(r.value for r in HUMAN_ROLES)
_PROGRAMS = frozenset(p.value for p in Program)


# --- what the record activity writes -----------------------------------------------------------------


def outcome_of(state: CaseState) -> str | None:
    """The outcome of the application, as its programme tells it (dibao: approved / rejected / terminated /
    withdrawn / exited), or None."""
    return programme_of(state.program).outcome(state)


def list_columns(state: CaseState) -> tuple[str | None, list[str], date | None, datetime | None, str | None]:
    """The list columns of a case row: pending step, pending roles, its due date, decided_at and outcome.

    Args:
        state: the case state being recorded.

    Returns:
        ``(pending_step, pending_roles, pending_due, decided_at, outcome)`` in the order of the upsert's
        parameters ``$20``-``$24`` in ``adapters.db.cases``.
    """
    pending = pending_step(state)
    outcome = outcome_of(state)
    decided_at = state.stage_since if outcome == "withdrawn" else getattr(state, "decided_at", None)
    return (
        pending.step if pending else None,
        [r.value for r in pending.roles] if pending else [],
        pending.due if pending else None,
        decided_at,
        outcome,
    )


# --- the contract ---------------------------------------------------------------------------------------


class InvalidCursor(ValueError):
    """A cursor that this module did not hand out."""


def encode_cursor(opened_at: datetime, case_id: UUID) -> str:
    """The opaque keyset cursor after the row ``(opened_at, case_id)``."""
    raw = json.dumps({"o": opened_at.isoformat(), "i": str(case_id)}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, UUID]:
    """The position a cursor names.

    Raises:
        InvalidCursor: the text is not a cursor handed out by :func:`encode_cursor`.
    """
    try:
        raw = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        opened_at = datetime.fromisoformat(raw["o"])
        case_id = UUID(raw["i"])
    except (binascii.Error, ValueError, KeyError, TypeError, UnicodeDecodeError):
        raise InvalidCursor("not a cursor returned by this list") from None
    if opened_at.tzinfo is None:
        raise InvalidCursor("not a cursor returned by this list")
    return opened_at, case_id


class CaseQuery(BaseModel):
    """Filters of the case list; every one narrows the caller's jurisdiction further."""

    model_config = ConfigDict(frozen=True)

    township_code: str | None = Field(None, description="9-digit township code", examples=["532302101"])
    village_code: str | None = Field(None, description="12-digit village code", examples=["532302101001"])
    program: str | None = Field(None, description="programme", examples=["dibao"])
    stage: list[str] = Field([], description="stages (any of them); repeat the parameter for several")
    overdue: bool | None = Field(None, description="only overdue (true) or only not overdue (false) cases")
    pending_role: str | None = Field(None, description="cases waiting on this role",
                                     examples=["county_reviewer"])
    opened_from: date | None = Field(None, ge=date(1900, 1, 1), le=date(2100, 12, 31),
                                     description="opened on or after this day (China time)")
    opened_to: date | None = Field(None, ge=date(1900, 1, 1), le=date(2100, 12, 31),
                                   description="opened on or before this day (China time)")
    limit: int = Field(50, ge=1, le=200, description="rows per page")
    cursor: str | None = Field(None, max_length=200, description="next_cursor of the previous page")

    @field_validator("township_code")
    @classmethod
    def _township(cls, v: str | None) -> str | None:
        if v is not None and not (len(v) == 9 and v.isascii() and v.isdigit()):
            raise ValueError("must be a 9-digit township code")
        return v

    @field_validator("village_code")
    @classmethod
    def _village(cls, v: str | None) -> str | None:
        if v is not None and not (len(v) == 12 and v.isascii() and v.isdigit()):
            raise ValueError("must be a 12-digit village code")
        return v

    @field_validator("program")
    @classmethod
    def _program(cls, v: str | None) -> str | None:
        if v is not None and v not in _PROGRAMS:
            raise ValueError(f"unknown programme; one of {', '.join(sorted(_PROGRAMS))}")
        return v

    @field_validator("stage")
    @classmethod
    def _stages(cls, v: list[str]) -> list[str]:
        if any(s not in _STAGES for s in v):
            raise ValueError("unknown stage; see the Stage enumeration (e.g. county_review, in_payment)")
        return v

    @field_validator("pending_role")
    @classmethod
    def _role(cls, v: str | None) -> str | None:
        if v is not None and v not in _ROLES:
            raise ValueError(f"unknown role; one of {', '.join(sorted(_ROLES))}")
        return v

    @field_validator("opened_to")
    @classmethod
    def _range(cls, v: date | None, info: ValidationInfo) -> date | None:
        start = info.data.get("opened_from")
        if v is not None and start is not None and v < start:
            raise ValueError("must not be before opened_from")
        return v

    @field_validator("cursor")
    @classmethod
    def _cursor(cls, v: str | None) -> str | None:
        if v is not None:
            decode_cursor(v)  # InvalidCursor is a ValueError: reported against this field
        return v


class CaseListRow(BaseModel):
    """One case in the list: codes, stage, amount, pending step and dates. No personal data."""

    case_id: UUID
    village_code: str
    township_code: str
    program: str
    stage: str
    household_size: int
    monthly_amount: Decimal | None
    pending_step: str | None
    pending_roles: list[str]
    pending_due: date | None
    overdue: bool
    opened_at: datetime
    stage_since: datetime
    updated_at: datetime
    #: approved / rejected / terminated / withdrawn / exited / forwarded (跨省通办); None while undecided.
    outcome: str | None = None


class CasePage(BaseModel):
    """A page of the list, newest case first; ``next_cursor`` is None on the last page."""

    rows: list[CaseListRow]
    next_cursor: str | None


class TownshipOverdue(BaseModel):
    """Open and overdue cases of a township (see the module docstring for "open")."""

    township_code: str
    open_cases: int
    overdue_cases: int


class SlaBreaches(TownshipOverdue):
    """A township's overdue cases, and how many wait on each step (``by_step``)."""

    by_step: dict[str, int]


class MonthlyCaseload(BaseModel):
    """A township's month: cases opened, applications approved and refused, cases paid, the roll's total."""

    month: str
    township_code: str
    opened: int
    approved: int
    rejected: int
    active: int
    payment_total: Decimal


# --- scope ----------------------------------------------------------------------------------------------

_SCOPE_COLUMN = {6: "county_code", 9: "township_code", 12: "village_code"}


def _narrowest(jurisdiction: str, *codes: str | None) -> str | None:
    """The most specific of the jurisdiction and the filter codes, or None when they exclude each other."""
    if not is_jurisdiction_code(jurisdiction):
        raise ValueError("jurisdiction must be a 6-, 9- or 12-digit division code")
    narrowest = jurisdiction
    for code in sorted((c for c in codes if c is not None), key=len):
        if code.startswith(narrowest):
            narrowest = code
        elif not narrowest.startswith(code):
            return None  # e.g. a township outside the caller's county, or a village of another township
    return narrowest


def _scope(code: str, param: int = 1) -> str:
    return f"{_SCOPE_COLUMN[len(code)]} = ${param}"


# --- the list -------------------------------------------------------------------------------------------

_LIST = """
SELECT case_id, village_code, township_code, program, stage, household_size, monthly_amount, pending_step,
       pending_roles, pending_due, overdue, opened_at, stage_since, updated_at, outcome
FROM cases
WHERE {where}
ORDER BY opened_at DESC, case_id DESC
LIMIT {limit}
"""


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time(0, 0), tzinfo=CHINA_TZ)


async def list_cases(pool: asyncpg.Pool, jurisdiction: str, q: CaseQuery) -> CasePage:
    """A page of the cases inside ``jurisdiction`` that match ``q``, newest first (keyset pagination).

    Args:
        pool: the database.
        jurisdiction: the caller's division code; the answer never leaves it.
        q: the filters, the page size and the cursor of the previous page.

    Returns:
        The page, with the cursor of the next one (None on the last page).

    Raises:
        InvalidCursor: ``q.cursor`` was not handed out by this list.
        ValueError: ``jurisdiction`` is not a division code.
    """
    code = _narrowest(jurisdiction, q.township_code, q.village_code)
    if code is None:
        return CasePage(rows=[], next_cursor=None)
    where = [_scope(code)]
    args: list[Any] = [code]

    def add(fragment: str, *values: Any) -> None:
        numbers = range(len(args) + 1, len(args) + 1 + len(values))
        where.append(fragment.format(*(f"${n}" for n in numbers)))
        args.extend(values)

    if q.program is not None:
        add("program = {}", q.program)
    if q.stage:
        add("stage = ANY({}::text[])", list(q.stage))
    if q.overdue is not None:
        add("overdue = {}", q.overdue)
    if q.pending_role is not None:
        add("pending_roles @> ARRAY[{}::text]", q.pending_role)
    if q.opened_from is not None:
        add("opened_at >= {}", _day_start(q.opened_from))
    if q.opened_to is not None:
        add("opened_at < {}", _day_start(q.opened_to + timedelta(days=1)))
    if q.cursor is not None:
        add("(opened_at, case_id) < ({}, {})", *decode_cursor(q.cursor))
    # One row more than the page tells whether another page follows. The limit is a validated int (1..200).
    sql = _LIST.format(where=" AND ".join(where), limit=int(q.limit) + 1)
    records = await pool.fetch(sql, *args)
    rows = [CaseListRow(**{**dict(r), "pending_roles": list(r["pending_roles"])}) for r in records[: q.limit]]
    more = len(records) > q.limit
    next_cursor = encode_cursor(rows[-1].opened_at, rows[-1].case_id) if more else None
    return CasePage(rows=rows, next_cursor=next_cursor)


# --- reports --------------------------------------------------------------------------------------------

_STAGE_COUNTS = "SELECT stage, count(*) AS n FROM cases WHERE {scope} GROUP BY stage"

_OVERDUE_BY_TOWNSHIP = """
SELECT township_code,
       count(*) FILTER (WHERE pending_step IS NOT NULL OR overdue) AS open_cases,
       count(*) FILTER (WHERE overdue) AS overdue_cases
FROM cases
WHERE {scope}
GROUP BY township_code
ORDER BY township_code
"""

_OVERDUE_BY_STEP = """
SELECT township_code, coalesce(pending_step, stage) AS step, count(*) AS n
FROM cases
WHERE {scope} AND overdue
GROUP BY township_code, coalesce(pending_step, stage)
"""


async def stage_counts(pool: asyncpg.Pool, jurisdiction: str) -> dict[str, int]:
    """Cases per stage inside ``jurisdiction``; every stage is present (0 when none)."""
    code = _narrowest(jurisdiction)
    assert code is not None
    counts = dict.fromkeys(all_stages(), 0)
    for r in await pool.fetch(_STAGE_COUNTS.format(scope=_scope(code)), code):
        counts[r["stage"]] = r["n"]
    return counts


async def overdue_by_township(pool: asyncpg.Pool, jurisdiction: str) -> list[TownshipOverdue]:
    """Open and overdue cases per township inside ``jurisdiction``, by township code.

    A township with cases but nothing open is listed with zeros; one without any case is not listed.
    """
    code = _narrowest(jurisdiction)
    assert code is not None
    rows = await pool.fetch(_OVERDUE_BY_TOWNSHIP.format(scope=_scope(code)), code)
    return [TownshipOverdue(township_code=r["township_code"], open_cases=r["open_cases"],
                            overdue_cases=r["overdue_cases"]) for r in rows]


async def sla_breaches(pool: asyncpg.Pool, jurisdiction: str) -> list[SlaBreaches]:
    """The townships with overdue cases, with the number overdue per pending step (the stage when none)."""
    code = _narrowest(jurisdiction)
    assert code is not None
    steps: dict[str, dict[str, int]] = {}
    for r in await pool.fetch(_OVERDUE_BY_STEP.format(scope=_scope(code)), code):
        steps.setdefault(r["township_code"], {})[r["step"]] = r["n"]
    return [SlaBreaches(**t.model_dump(), by_step=steps.get(t.township_code, {}))
            for t in await overdue_by_township(pool, jurisdiction) if t.overdue_cases > 0]


_PAYMENT_SCOPE = {6: "left(township_code, 6) = $1", 9: "township_code = $1", 12: "village_code = $1"}

_MONTHLY = """
WITH months AS (SELECT unnest($2::text[]) AS month),
townships AS (SELECT DISTINCT township_code FROM cases WHERE {scope}),
opened AS (
    SELECT township_code, to_char(opened_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM') AS month, count(*) AS n
    FROM cases
    WHERE {scope} AND opened_at >= $3
    GROUP BY 1, 2
),
decided AS (
    SELECT township_code, to_char(decided_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM') AS month,
           count(*) FILTER (WHERE outcome IN ('approved', 'exited')) AS approved,
           count(*) FILTER (WHERE outcome = 'rejected') AS rejected
    FROM cases
    WHERE {scope} AND decided_at >= $3
    GROUP BY 1, 2
),
active AS (
    SELECT c.township_code, m.month, count(*) AS n
    FROM months m
    JOIN cases c ON c.first_payment_month IS NOT NULL AND c.first_payment_month <= m.month
                AND (c.stop_effective_month IS NULL OR m.month < c.stop_effective_month)
    WHERE c.{scope}
      AND (SELECT bp.monthly_amount FROM benefit_periods bp
           WHERE bp.case_id = c.case_id AND bp.from_month <= m.month
           ORDER BY bp.from_month DESC LIMIT 1) > 0
    GROUP BY 1, 2
),
paid AS (
    SELECT township_code, month, sum(amount) AS total
    FROM payment_lines
    WHERE {payment_scope} AND month = ANY($2::text[]) AND withdrawn_seq IS NULL
    GROUP BY 1, 2
)
SELECT m.month, t.township_code,
       coalesce(o.n, 0) AS opened, coalesce(d.approved, 0) AS approved, coalesce(d.rejected, 0) AS rejected,
       coalesce(a.n, 0) AS active, coalesce(p.total, 0) AS payment_total
FROM months m
CROSS JOIN townships t
LEFT JOIN opened o ON o.township_code = t.township_code AND o.month = m.month
LEFT JOIN decided d ON d.township_code = t.township_code AND d.month = m.month
LEFT JOIN active a ON a.township_code = t.township_code AND a.month = m.month
LEFT JOIN paid p ON p.township_code = t.township_code AND p.month = m.month
ORDER BY m.month, t.township_code
"""


def last_months(today: date, months: int) -> list[str]:
    """The ``months`` months ending with ``today``'s, oldest first, as YYYY-MM."""
    year, month = today.year, today.month
    out: list[str] = []
    for _ in range(months):
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return out[::-1]


# --- deadlines counted provisionally -----------------------------------------------------------------------

_PROVISIONAL = """
SELECT state FROM cases
WHERE {scope}
  AND EXISTS (SELECT 1 FROM jsonb_each(state -> 'deadlines') d
              WHERE d.value ->> 'calendar_version' LIKE '%+provisional-%')
ORDER BY case_id
"""


class ProvisionalDeadline(BaseModel):
    """A pending step's deadline counted provisionally: weekdays only, from ``provisional_from`` on, a year
    whose holiday schedule had not been entered. Codes and dates only."""

    case_id: UUID
    program: str
    township_code: str
    stage: str
    step: str
    #: The article that sets the limit (e.g. ``S1 Art. 20`` for the county's 10 working days).
    legal_basis: list[str]
    due: date
    calendar_version: str
    provisional_from: int
    escalated: bool
    #: ``exact``: the deadline recorded what it counted (start and working days), so the recount is the
    #: original count; ``from_year_start``: recorded before that was kept, recounted from 31 December before
    #: ``provisional_from`` (the same count when the original one started before that year).
    recount: str


async def provisional_deadlines(pool: asyncpg.Pool, jurisdiction: str, *,
                                year: int | None = None) -> list[ProvisionalDeadline]:
    """The deadlines of pending steps inside ``jurisdiction`` that were counted provisionally (only those from
    ``year`` when given), by due date then case. Whether a step is pending is the programme's rule
    (:meth:`domain.kernel.deadlines.DeadlineBook.provisional`), applied to the stored state.

    Raises:
        ValueError: a bad jurisdiction.
    """
    code = _narrowest(jurisdiction)
    assert code is not None
    out: list[ProvisionalDeadline] = []
    for row in await pool.fetch(_PROVISIONAL.format(scope=_scope(code)), code):
        state = parse_state(row["state"])
        book = programme_of(state.program).deadlines
        for d in book.provisional(state, year):
            first = provisional_year(d.calendar_version)
            assert first is not None
            out.append(ProvisionalDeadline(
                case_id=state.case_id, program=state.program.value, township_code=state.township_code,
                stage=str(state.stage), step=d.step, legal_basis=list(book.basis(d.step)), due=d.due,
                calendar_version=d.calendar_version, provisional_from=first, escalated=d.escalated,
                recount="exact" if d.start is not None and d.working_days is not None else "from_year_start"))
    out.sort(key=lambda p: (p.due, str(p.case_id), p.step))
    return out


async def monthly_caseload(pool: asyncpg.Pool, jurisdiction: str, *, months: int = 12,
                           today: date) -> list[MonthlyCaseload]:
    """Per township and month (the last ``months`` months up to ``today``'s): opened, approved, rejected,
    active cases and the payment-roll total. Every township with a case inside ``jurisdiction`` has a row
    for every month, zeros included; rows are ordered by month, then township.

    Args:
        pool: the database.
        jurisdiction: the caller's division code.
        months: how many months (1..120).
        today: the current day in China time (the last month reported).

    Raises:
        ValueError: ``months`` out of range or a bad jurisdiction.
    """
    if not 1 <= months <= 120:
        raise ValueError("months must be between 1 and 120")
    code = _narrowest(jurisdiction)
    assert code is not None
    month_list = last_months(today, months)
    start = _day_start(date.fromisoformat(month_list[0] + "-01"))
    sql = _MONTHLY.format(scope=_scope(code), payment_scope=_PAYMENT_SCOPE[len(code)])
    rows = await pool.fetch(sql, code, month_list, start)
    return [MonthlyCaseload(**dict(r)) for r in rows]
