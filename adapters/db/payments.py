"""Monthly payment rolls (发放名册) per township and month, and the payee accounts they pay into.

Paid monthly, through bank or credit-union accounts, from the month after the approval [S1 Arts. 21, 25];
stopped from the stop's effective month [SPEC §8.3]. A month ``M`` is payable for a case when:

* the case is in payment (``in_payment``, ``under_review``, ``gradual_exit``) or has exited (an exited case is
  still paid for the months before its stop);
* it has a benefit period from a month ≤ ``M`` — the latest such period gives the amount and household size —
  and that amount is above zero;
* ``M`` ≥ its first payment month, and ``M`` < its stop's effective month when it has one.

A roll is generated in one transaction by a single ``INSERT … SELECT``; a line is keyed by
``(case_id, month)`` and inserted with ``ON CONFLICT``, so generating a roll twice, or concurrently, never
pays a case twice in a month. Generating it again adds the cases that became payable since (a late approval)
and changes no line on it (a withdrawn line is not on it: see below).

**Withdrawn lines.** A stop decided after a roll was drawn up for a month it no longer covers withdraws that
month's line when it was not paid yet (the case's ``payment_lines_withdrawn`` event, which the case store applies
in the transaction that records it, :func:`withdraw_lines`). There is no payment confirmation from the bank: a
line counts as paid once its month has begun (a roll is drawn up at most for next month and paid within its
month, S1 Art. 25); a line for a month not begun yet is unpaid. A withdrawn line stays under its key but is
no longer on the roll: the roll lists it under ``withdrawn``, its totals and the CSV leave it out, and the months
paid for the case (what a later decision may order back) do not count it. A later generation draws it again only
if the case has become payable for that month again (a 渐退期, whose stop was decided with it, resumed by a
review); a stopped case never is.

Privacy (SPEC §9; S4 Art. 61): a roll shows the applicant's name, a masked resident ID number and the last
four digits of the account only. The full account number never leaves PostgreSQL (only its last four
digits are selected); the full ID number is masked as soon as it is read. The one exception is the bank file
(:func:`bank_file`, issue 19 item 7): the 惠民惠农财政补贴资金"一卡通" payment file the bank pays from, with
the full account and ID numbers, read only for the role that sends the payment (api/policy.py
``payment_bank_file``), and every read of it is in the audit ledger.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

import asyncpg
from pydantic import BaseModel, ConfigDict, Field

from domain.divisions import KNOWN_TOWNSHIPS, county_of
from domain.errors import InvalidInput
from domain.events import PaymentLinesWithdrawn
from domain.identity import ResidentId
from domain.months import month_after
from domain.programmes import REGISTRY

_MONTH = re.compile(r"^[0-9]{4}-(0[1-9]|1[0-2])$")
_TOWNSHIP = re.compile(r"^[0-9]{9}$")
_ACCOUNT_NUMBER = re.compile(r"^[0-9]{8,30}$")

#: Stages whose cases can be on a roll, of every programme (its programme says which: dibao's in payment, and
#: an exited case for the months before its stop).
PAYABLE_STAGES: tuple[str, ...] = tuple(sorted({s.value for p in REGISTRY.values() for s in p.payable_stages}))

FieldPath = tuple[str | int, ...]


def check_month(month: str, *, field: FieldPath = ("month",)) -> str:
    """Validate a payment month.

    Args:
        month: the month as given.
        field: where it came from, for the error.

    Returns:
        The month, ``YYYY-MM``.

    Raises:
        InvalidInput: not a month written ``YYYY-MM`` with a month 01-12.
    """
    if not _MONTH.fullmatch(month):
        raise InvalidInput("must be a month written YYYY-MM (month 01-12)", field=field)
    return month


def check_not_ahead(month: str, today: date, *, field: FieldPath = ("month",)) -> str:
    """A roll is drawn up at most for next month: lines fixed further ahead would survive a later stop.

    Raises:
        InvalidInput: ``month`` lies after the month after ``today`` (a China date).
    """
    if month > month_after(today):
        raise InvalidInput(f"a roll can be drawn up at most for next month ({month_after(today)})", field=field)
    return month


def check_township(code: str, *, field: FieldPath = ("township_code",)) -> str:
    """Validate a 9-digit township code (against the county's township table when the county is known).

    Raises:
        InvalidInput: wrong shape, or not a township of its (known) county.
    """
    if not _TOWNSHIP.fullmatch(code):
        raise InvalidInput("must be a 9-digit township code (统计用区划代码)", field=field)
    townships = KNOWN_TOWNSHIPS.get(county_of(code))
    if townships is not None and code not in townships:
        raise InvalidInput("is not a township of its county", field=field)
    return code


def check_account_number(number: str, *, field: FieldPath = ("account_number",)) -> str:
    """Validate a bank or credit-union account number: 8 to 30 digits (spaces allowed and removed).

    Raises:
        InvalidInput: naming the reason, never echoing the number.
    """
    digits = number.replace(" ", "")
    if not _ACCOUNT_NUMBER.fullmatch(digits):
        raise InvalidInput("must be 8 to 30 digits", field=field)
    return digits


def mask_account(last4: str | None) -> str | None:
    """An account number shown by its last four digits only: ``****1234``."""
    return f"****{last4}" if last4 else None


def _mask_resident_id(raw: str | None) -> str:
    return ResidentId(raw).masked() if raw and len(raw) == 18 else ""


class RollLine(BaseModel):
    """One household on a roll: what the township checks and the bank pays, nothing more."""

    model_config = ConfigDict(frozen=True)

    case_id: UUID
    village_code: str
    applicant_name: str
    resident_id_masked: str = Field(description="first 6 and last 4 characters (SPEC §9)")
    household_size: int
    amount: Decimal
    account_ref: UUID | None = Field(description="the payee account's reference; null when none is recorded")
    account_masked: str | None = Field(description="the last 4 digits of the account number only")
    program: str | None = Field(default=None, description="the programme the line pays (one roll per township "
                                "and month carries every programme's lines)")
    #: 特困: the two parts of the amount (basic-living standard + care standard, S4 Art. 15; S3 Art. 20), where
    #: the case's current parts make up the line's amount; absent otherwise.
    basic_amount: Decimal | None = Field(default=None, exclude_if=lambda v: v is None)
    care_amount: Decimal | None = Field(default=None, exclude_if=lambda v: v is None)


class RollTotals(BaseModel):
    model_config = ConfigDict(frozen=True)

    lines: int
    households: int
    persons: int
    amount: Decimal
    without_account: int = Field(description="lines with no payee account recorded (cannot be paid yet)")


class Roll(BaseModel):
    """A township's payment roll for a month: lines ordered by village and case.

    ``created`` and ``added`` describe the call that returned the roll (whether it created the roll, how
    many lines it added); they are not part of the roll and never serialised.
    """

    model_config = ConfigDict(frozen=True)

    township_code: str
    month: str
    generated_by: str
    generated_at: datetime
    lines: list[RollLine]
    totals: RollTotals
    totals_by_program: dict[str, RollTotals] = Field(default={}, description="the totals per programme")
    withdrawn: list[RollLine] = Field(
        default=[], description="lines withdrawn before they were paid (a stop decided after the roll was drawn "
        "up): not to be paid, not in the totals")
    created: bool = Field(default=False, exclude=True)
    added: int = Field(default=0, exclude=True)


_INSERT_ROLL = """
INSERT INTO payment_rolls (township_code, month, generated_by) VALUES ($1, $2, $3)
ON CONFLICT (township_code, month) DO NOTHING
RETURNING true
"""

# The payability rule of the module docstring, in one statement. The primary key (case_id, month) with
# DO NOTHING is what guarantees one payment per case and month, whatever the race between generators.
_INSERT_LINES = """
INSERT INTO payment_lines (case_id, month, township_code, village_code, amount, household_size, account_ref,
                           period_seq)
SELECT c.case_id, $2, c.township_code, c.village_code, bp.monthly_amount, bp.household_size, p.account_ref,
       bp.seq
FROM cases c
JOIN LATERAL (
    SELECT b.monthly_amount, b.household_size, b.seq
    FROM benefit_periods b
    WHERE b.case_id = c.case_id AND b.from_month <= $2
    ORDER BY b.from_month DESC
    LIMIT 1
) bp ON true
LEFT JOIN case_payees p ON p.case_id = c.case_id
WHERE c.township_code = $1
  AND c.stage = ANY($3::text[])
  AND c.first_payment_month <= $2
  AND (c.stop_effective_month IS NULL OR $2 < c.stop_effective_month)
  AND bp.monthly_amount > 0
ORDER BY c.case_id
ON CONFLICT (case_id, month) DO UPDATE SET
    amount = EXCLUDED.amount, household_size = EXCLUDED.household_size, account_ref = EXCLUDED.account_ref,
    period_seq = EXCLUDED.period_seq, withdrawn_seq = NULL, withdrawn_at = NULL
WHERE payment_lines.withdrawn_seq IS NOT NULL
"""

_GET_ROLL = """
SELECT township_code, month, generated_by, generated_at
FROM payment_rolls WHERE township_code = $1 AND month = $2
"""

# Only the last four digits of an account number are ever selected.
_GET_LINES = """
SELECT l.case_id, l.village_code, l.household_size, l.amount, l.account_ref, c.program,
       l.withdrawn_seq IS NOT NULL AS withdrawn,
       a.name AS applicant_name, a.resident_id AS applicant_resident_id,
       right(p.account_number, 4) AS account_last4,
       c.state ->> 'basic_amount' AS basic_amount, c.state ->> 'care_amount' AS care_amount,
       (SELECT cr -> 'parameters' ->> 'basic_living_standard_monthly'
        FROM jsonb_array_elements(c.state -> 'decision_assessment' -> 'criteria') AS cr
        WHERE cr ->> 'code' = 'amount' LIMIT 1) AS approved_basic,
       (SELECT cr -> 'parameters' ->> 'care_standard_monthly'
        FROM jsonb_array_elements(c.state -> 'decision_assessment' -> 'criteria') AS cr
        WHERE cr ->> 'code' = 'amount' LIMIT 1) AS approved_care
FROM payment_lines l
JOIN cases c ON c.case_id = l.case_id
LEFT JOIN LATERAL (
    SELECT m ->> 'name' AS name, m ->> 'resident_id' AS resident_id
    FROM jsonb_array_elements(c.state -> 'members') AS m
    WHERE m ->> 'relation' = 'applicant'
    LIMIT 1
) a ON true
LEFT JOIN case_payees p ON p.account_ref = l.account_ref
WHERE l.township_code = $1 AND l.month = $2
ORDER BY l.village_code, l.case_id
"""

_UPSERT_PAYEE = """
INSERT INTO case_payees (case_id, account_ref, bank_name, account_number, updated_by)
VALUES ($1, gen_random_uuid(), $2, $3, $4)
ON CONFLICT (case_id) DO UPDATE SET
    bank_name = EXCLUDED.bank_name,
    account_number = EXCLUDED.account_number,
    updated_by = EXCLUDED.updated_by,
    updated_at = now()
RETURNING account_ref
"""


class UnknownCase(LookupError):
    """No case with that id in the store."""


async def _read_roll(conn: asyncpg.Connection, township_code: str, month: str) -> Roll | None:
    head = await conn.fetchrow(_GET_ROLL, township_code, month)
    if head is None:
        return None
    rows = await conn.fetch(_GET_LINES, township_code, month)
    lines = [_line(r) for r in rows if not r["withdrawn"]]
    programs = sorted({line.program or "" for line in lines})
    return Roll(township_code=head["township_code"], month=head["month"], generated_by=head["generated_by"],
                generated_at=head["generated_at"], lines=lines, totals=_totals(lines),
                totals_by_program={p: _totals([x for x in lines if (x.program or "") == p]) for p in programs},
                withdrawn=[_line(r) for r in rows if r["withdrawn"]])


def _totals(lines: list[RollLine]) -> RollTotals:
    return RollTotals(
        lines=len(lines),
        households=len({line.case_id for line in lines}),
        persons=sum(line.household_size for line in lines),
        amount=sum((line.amount for line in lines), Decimal("0.00")),
        without_account=sum(1 for line in lines if line.account_ref is None),
    )


def _parts(r: asyncpg.Record) -> tuple[Decimal | None, Decimal | None]:
    """特困's two parts of a line's amount, when the case's parts (the last change's, else the approval's) make
    it up; otherwise none (the amount is shown whole)."""
    basic = r["basic_amount"] or r["approved_basic"]
    care = r["care_amount"] or r["approved_care"]
    if r["program"] != "tekun" or basic is None or care is None or Decimal(basic) + Decimal(care) != r["amount"]:
        return None, None
    return Decimal(basic), Decimal(care)


def _line(r: asyncpg.Record) -> RollLine:
    basic, care = _parts(r)
    return RollLine(
        basic_amount=basic,
        care_amount=care,
        case_id=r["case_id"],
        village_code=r["village_code"],
        applicant_name=r["applicant_name"] or "",
        resident_id_masked=_mask_resident_id(r["applicant_resident_id"]),
        household_size=r["household_size"],
        amount=r["amount"],
        account_ref=r["account_ref"],
        account_masked=mask_account(r["account_last4"]),
        program=r["program"],
    )


_BANK_LINES = """
SELECT l.case_id, l.village_code, l.household_size, l.amount, c.program,
       a.name AS applicant_name, a.resident_id AS applicant_resident_id,
       p.bank_name, p.account_number
FROM payment_lines l
JOIN cases c ON c.case_id = l.case_id
LEFT JOIN LATERAL (
    SELECT m ->> 'name' AS name, m ->> 'resident_id' AS resident_id
    FROM jsonb_array_elements(c.state -> 'members') AS m
    WHERE m ->> 'relation' = 'applicant'
    LIMIT 1
) a ON true
LEFT JOIN case_payees p ON p.account_ref = l.account_ref
WHERE l.township_code = $1 AND l.month = $2 AND l.withdrawn_seq IS NULL
ORDER BY l.village_code, l.case_id
"""


class BankLine(BaseModel):
    """One payment of the bank file: who is paid, into which account, how much. Full numbers: see the module
    docstring."""

    model_config = ConfigDict(frozen=True)

    case_id: UUID
    village_code: str
    program: str
    applicant_name: str
    resident_id: str
    household_size: int
    amount: Decimal
    bank_name: str | None
    account_number: str | None


async def bank_file(pool: asyncpg.Pool, township_code: str, month: str) -> list[BankLine] | None:
    """The lines of a township's roll for a month with the payee's full account number (withdrawn lines left
    out), or None when the roll has not been generated. A line without a recorded account has no bank name
    or number: the bank cannot pay it (the file lists it apart)."""
    check_township(township_code)
    check_month(month)
    async with pool.acquire() as conn:
        if await conn.fetchrow(_GET_ROLL, township_code, month) is None:
            return None
        rows = await conn.fetch(_BANK_LINES, township_code, month)
    return [BankLine(case_id=r["case_id"], village_code=r["village_code"], program=r["program"],
                     applicant_name=r["applicant_name"] or "", resident_id=r["applicant_resident_id"] or "",
                     household_size=r["household_size"], amount=r["amount"], bank_name=r["bank_name"],
                     account_number=r["account_number"]) for r in rows]


_WITHDRAW_LINES = """
UPDATE payment_lines SET withdrawn_seq = $3, withdrawn_at = $4
WHERE case_id = $1 AND month = ANY($2::text[]) AND withdrawn_seq IS NULL
"""


async def withdraw_lines(conn: asyncpg.Connection, event: PaymentLinesWithdrawn) -> None:
    """Mark a case's unpaid roll lines withdrawn, as its ``payment_lines_withdrawn`` event says (run by the case
    store in the transaction that records the event; a line withdrawn already keeps its first withdrawal, so a
    retried write changes nothing)."""
    await conn.execute(_WITHDRAW_LINES, event.case_id, list(event.months), event.seq, event.at)


async def generate_roll(pool: asyncpg.Pool, township_code: str, month: str, generated_by: str) -> Roll:
    """Generate (or top up) a township's roll for a month, in one transaction, and return it.

    Idempotent: every payable case of the township gets exactly one line for the month, however often and
    however concurrently this runs. A line on the roll is never changed; a case that became payable after the
    first generation is added by the next one (and a withdrawn line of a case payable again is drawn anew).

    Args:
        pool: the database (not owned).
        township_code: 9-digit township code.
        month: ``YYYY-MM``.
        generated_by: the staff id recorded on a new roll (an existing roll keeps its first generator).

    Returns:
        The roll, with ``created`` / ``added`` telling what this call did.

    Raises:
        InvalidInput: a malformed month or township code.
    """
    check_township(township_code)
    check_month(month)
    async with pool.acquire() as conn, conn.transaction():
        created = bool(await conn.fetchval(_INSERT_ROLL, township_code, month, generated_by))
        status = await conn.execute(_INSERT_LINES, township_code, month, list(PAYABLE_STAGES))
        roll = await _read_roll(conn, township_code, month)
    assert roll is not None  # inserted or already there, in this transaction
    return roll.model_copy(update={"created": created, "added": int(status.rsplit(" ", 1)[-1])})


async def get_roll(pool: asyncpg.Pool, township_code: str, month: str) -> Roll | None:
    """A township's roll for a month, or None when it has not been generated.

    Raises:
        InvalidInput: a malformed month or township code.
    """
    check_township(township_code)
    check_month(month)
    async with pool.acquire() as conn:
        return await _read_roll(conn, township_code, month)


async def set_payee(
    pool: asyncpg.Pool, case_id: UUID, bank_name: str, account_number: str, updated_by: str
) -> UUID:
    """Record (or replace) the account a case's benefit is paid into.

    The account reference stays the same when the account changes, so the lines of rolls already generated
    keep pointing at the case's payee.

    Args:
        pool: the database (not owned).
        case_id: the case.
        bank_name: the bank or credit union (开户银行).
        account_number: 8 to 30 digits.
        updated_by: staff id.

    Returns:
        The account reference (never the number).

    Raises:
        InvalidInput: a malformed account number or an empty bank name.
        UnknownCase: no such case.
    """
    number = check_account_number(account_number)
    bank = bank_name.strip()
    if not bank:
        raise InvalidInput("must not be empty", field=("bank_name",))
    try:
        ref: UUID = await pool.fetchval(_UPSERT_PAYEE, case_id, bank, number, updated_by)
    except asyncpg.ForeignKeyViolationError:
        raise UnknownCase(str(case_id)) from None
    return ref
