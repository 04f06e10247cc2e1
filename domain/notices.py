"""Written notices of the dibao procedure, as data (SPEC §3.3 rows 2, 3, 11, 18, 19, 21; §8; §9).

Eight notices, each a frozen model holding exactly what its printed page shows; rendering lives in
:mod:`adapters.rendering.notices`. The models hold dates as fields and never read a clock.

* :class:`DeficiencyNotice` 一次性告知书, one complete list of missing materials [S1 Art. 10];
* :class:`AcceptanceNotice` 受理通知书 [S1 Art. 10];
* :class:`PublicityNotice` 公示 of the township's preliminary opinion, 7 days, with the objection channel
  [S1 Arts. 19, 36];
* :class:`RejectionNotice` 不予确认通知书, with written reasons and the remedy [S1 Arts. 21, 38];
* :class:`ApprovalNotice` 确认通知书, amount and first payment month [S1 Art. 21];
* :class:`PublicationList` 公布 after confirmation [S1 Art. 24];
* :class:`BenefitChangeNotice` 增发/减发通知书 after a review, or a cut of one member's share, with reasons
  and the remedy [S1 Arts. 32, 34, 38];
* :class:`StopNotice` 停发通知书, with reasons, the month from which nothing is paid, and the remedy
  [S1 Arts. 32, 33, 38].

The two in-payment notices go to the household only (never posted), and still hold only a whitelist: the
applicant's name, household size, old and new amount, months, reasons and remedy — no ID number, income item
or health datum. Their reasons are the decision's recorded free text; an ID-like number in it is masked.

Privacy (SPEC §9): the two public notices carry households only as :class:`PublicNoticeEntry`, which can hold
nothing but name, household size and amount. Every model forbids extra fields, so a resident ID, phone number,
address, health or income field passed by mistake is an error, not a silent drop. Names and place names on
public notices may not contain digits, so an ID or phone number cannot be smuggled in through them.

These models have ``extra="forbid"`` on purpose and are therefore not meant to be stored as events or sent as
Temporal payloads (STYLE guideline 6); record a hash of the rendered notice instead.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated, ClassVar, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from domain.household import MAX_MEMBERS

MEASURES = "《最低生活保障审核确认办法》"
"""S1, the national measures every notice cites (document number only partially confirmed, so not cited)."""

HOTLINE = "12349 社会救助服务热线"
"""The county social-assistance hotline, the default objection channel [SPEC §2; S5 item 22; S1 Art. 36]."""

# LOCAL PARAMETER / UNCONFIRMED: the 60-day (行政复议法) and 6-month (行政诉讼法) limits and the
# reconsideration body come from general law, not from the sources of SPEC §0.2 (SPEC §3.3 row 26).
# Check them with the bureau. Callers pass the remedy text explicitly; this is only the suggested default.
DEFAULT_REMEDY_TEXT = (
    "如对本决定不服，可以自收到本通知书之日起六十日内向禄丰市人民政府申请行政复议，"
    "或者在六个月内依法向人民法院提起行政诉讼。"
)

_FEN = Decimal("0.01")
_YYYY_MM = re.compile(r"^([0-9]{4})-(0[1-9]|1[0-2])$")
_ID_LIKE_RUN = re.compile(r"\d{15,}")  # 15- or 18-digit resident ID numbers (any Unicode digit)
_ID_LIKE_NUMBER = re.compile(r"\d{14,}[\dXx]")  # the same, with an 18th check character X


def _no_digits(value: str) -> str:
    if any(ch.isdigit() for ch in value):
        raise ValueError("must not contain digits (public notices carry no ID, phone or house numbers)")
    return value


def _no_id_like_number(value: str) -> str:
    if _ID_LIKE_RUN.search(value):
        raise ValueError("must not contain a run of 15 or more digits (looks like a resident ID number)")
    return value


def _mask_id_like_numbers(value: str) -> str:
    """Free text written by staff may quote an ID number by mistake: show only its first 6 and last 4
    characters (SPEC §9: ``532302********0029``)."""
    return _ID_LIKE_NUMBER.sub(lambda m: m[0][:6] + "*" * (len(m[0]) - 10) + m[0][-4:], value)


def _yyyy_mm(value: str) -> str:
    if not _YYYY_MM.fullmatch(value):
        raise ValueError("must be a month written YYYY-MM")
    return value


Text = Annotated[str, Field(min_length=1, max_length=200)]
PersonName = Annotated[str, Field(min_length=1, max_length=50)]
PublicName = Annotated[str, Field(min_length=1, max_length=50), AfterValidator(_no_digits)]
CaseRef = Annotated[str, Field(min_length=1, max_length=64)]
HouseholdSize = Annotated[int, Field(ge=1, le=MAX_MEMBERS)]
Yuan = Annotated[Decimal, Field(ge=0, max_digits=10, decimal_places=2)]
Channel = Annotated[str, Field(min_length=1, max_length=200), AfterValidator(_no_id_like_number)]
Month = Annotated[str, AfterValidator(_yyyy_mm)]
#: A decision's reason as recorded (commands allow 2,000 characters), with ID-like numbers masked.
Reason = Annotated[str, Field(min_length=1, max_length=2000), AfterValidator(_mask_id_like_numbers)]

_CONFIG = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


def month_label(yyyy_mm: str) -> str:
    """A ``YYYY-MM`` month written the Chinese way.

    Args:
        yyyy_mm: e.g. ``"2026-12"``.

    Returns:
        e.g. ``"2026年12月"`` (``"2027-01"`` gives ``"2027年1月"``, as in official dates).

    Raises:
        ValueError: if the text is not a month written ``YYYY-MM``.
    """
    match = _YYYY_MM.fullmatch(yyyy_mm)
    if match is None:
        raise ValueError("must be a month written YYYY-MM")
    return f"{int(match[1])}年{int(match[2])}月"


def date_label(day: date) -> str:
    """A date written the Chinese way, with Arabic numerals (GB/T 9704-2012): ``"2026年11月29日"``."""
    return f"{day.year}年{day.month}月{day.day}日"


def yuan(amount: Decimal) -> str:
    """An amount in yuan with exactly two decimals and no grouping: ``Decimal("710")`` → ``"710.00"``.

    Args:
        amount: yuan; more than two decimals are rounded half up to the fen.

    Returns:
        The amount as text.
    """
    return f"{amount.quantize(_FEN, rounding=ROUND_HALF_UP):f}"


def first_payment_month(decided_on: date) -> str:
    """The month after the decision, as ``YYYY-MM``: payment starts then [S1 Art. 21].

    Args:
        decided_on: the date of the decision to confirm.

    Returns:
        e.g. ``"2027-01"`` for a decision of 2026-12-15.
    """
    if decided_on.month == 12:
        return f"{decided_on.year + 1:04d}-01"
    return f"{decided_on.year:04d}-{decided_on.month + 1:02d}"


class Issuer(BaseModel):
    """The authority that signs the notice, e.g. ``禄丰市金山镇人民政府`` or ``禄丰市民政局``."""

    model_config = _CONFIG

    name: PublicName


class PublicNoticeEntry(BaseModel):
    """One household on a public notice: the ONLY per-household content allowed there [S1 Art. 24; SPEC §9].

    Attributes:
        name: the applicant's name (no digits).
        household_size: number of household members.
        amount: monthly amount in yuan (proposed on a 公示, confirmed on a 公布).
    """

    model_config = _CONFIG

    name: PublicName
    household_size: HouseholdSize
    amount: Yuan


class DeficiencyNotice(BaseModel):
    """一次性告知书: every missing material, listed once [S1 Art. 10; SPEC §3.3 row 2].

    Materials the township can fetch from a government service platform must not be listed [S1 Art. 10].
    """

    model_config = _CONFIG
    #: Articles cited with the full title of S1 on the printed page (others are cited in brackets).
    legal_basis: ClassVar[tuple[str, ...]] = (f"{MEASURES}第十条",)

    case_ref: CaseRef
    applicant_name: PersonName
    missing_items: Annotated[list[Text], Field(min_length=1, max_length=50)]
    issued_on: date
    issuer: Issuer


class AcceptanceNotice(BaseModel):
    """受理通知书: materials complete, application accepted; T0 of the 30-working-day limit [S1 Art. 10]."""

    model_config = _CONFIG
    legal_basis: ClassVar[tuple[str, ...]] = (f"{MEASURES}第十条", f"{MEASURES}第十五条")

    case_ref: CaseRef
    applicant_name: PersonName
    accepted_on: date
    issuer: Issuer


class PublicityNotice(BaseModel):
    """公示 of the township's preliminary opinion in the applicants' village [S1 Art. 19; SPEC §3.3 row 11].

    ``entries`` are the households the township proposes as eligible, with the proposed amounts. The period
    dates are computed by the caller (calendar or working days is a parameter, SPEC §0.1).
    """

    model_config = _CONFIG
    legal_basis: ClassVar[tuple[str, ...]] = (f"{MEASURES}第十九条",)

    village_name: PublicName
    township_name: PublicName
    entries: Annotated[list[PublicNoticeEntry], Field(min_length=1, max_length=500)]
    period_start: date
    period_end: date
    #: The period in days and whether the posting day was left out of the count (民法典 Art. 201); None for a
    #: notice whose case recorded neither.
    period_days: Annotated[int, Field(ge=1, le=60)] | None = None
    start_day_excluded: bool | None = None
    objection_channel: Channel = HOTLINE
    issuer: Issuer

    @model_validator(mode="after")
    def _period_is_ordered(self) -> PublicityNotice:
        if self.period_end < self.period_start:
            raise ValueError("period_end is before period_start")
        return self


class PublicationList(BaseModel):
    """公布 of confirmed households in their village: name, household size, amount only [S1 Art. 24]."""

    model_config = _CONFIG
    legal_basis: ClassVar[tuple[str, ...]] = (f"{MEASURES}第二十四条",)

    village_name: PublicName
    township_name: PublicName
    entries: Annotated[list[PublicNoticeEntry], Field(min_length=1, max_length=500)]
    published_on: date
    supervision_channel: Channel = HOTLINE
    issuer: Issuer


class RejectionNotice(BaseModel):
    """不予确认通知书: written reasons and the remedy [S1 Arts. 21, 38; SPEC §3.3 row 19].

    ``remedy`` is passed in by the caller (see :data:`DEFAULT_REMEDY_TEXT`, UNCONFIRMED).
    """

    model_config = _CONFIG
    legal_basis: ClassVar[tuple[str, ...]] = (f"{MEASURES}第二十一条", f"{MEASURES}第三十八条")

    case_ref: CaseRef
    applicant_name: PersonName
    reasons: Annotated[list[Reason], Field(min_length=1, max_length=20)]  # as long as Reject allows
    decided_on: date
    issued_on: date
    issuer: Issuer
    remedy: Annotated[str, Field(min_length=1, max_length=500)]

    @model_validator(mode="after")
    def _issued_after_decision(self) -> RejectionNotice:
        if self.issued_on < self.decided_on:
            raise ValueError("issued_on is before decided_on")
        return self


class ApprovalNotice(BaseModel):
    """确认通知书: amount and first payment month, the month after the decision [S1 Art. 21; row 18]."""

    model_config = _CONFIG
    legal_basis: ClassVar[tuple[str, ...]] = (f"{MEASURES}第二十一条",)

    case_ref: CaseRef
    applicant_name: PersonName
    household_size: HouseholdSize
    monthly_amount: Annotated[Decimal, Field(gt=0, max_digits=10, decimal_places=2)]
    first_payment_month: Month
    decided_on: date
    issuer: Issuer

    @model_validator(mode="after")
    def _pays_from_the_month_after_the_decision(self) -> ApprovalNotice:
        if self.first_payment_month != first_payment_month(self.decided_on):
            raise ValueError("first_payment_month must be the month after decided_on (S1 Art. 21)")
        return self


class BenefitChangeNotice(BaseModel):
    """增发/减发通知书: the household's monthly amount changes from a month on [S1 Art. 32].

    A decrease (``direction="decrease"``) must state its reasons [S1 Art. 32; SPEC §8.3]; when it cuts one
    member's share after three refused jobs, ``member_share`` says so [S1 Art. 34] (the member is not
    named). ``remedy`` is passed in by the caller (see :data:`DEFAULT_REMEDY_TEXT`,
    UNCONFIRMED) [S1 Art. 38].
    """

    model_config = _CONFIG
    legal_basis: ClassVar[tuple[str, ...]] = (f"{MEASURES}第三十二条", f"{MEASURES}第三十八条")

    case_ref: CaseRef
    applicant_name: PersonName
    direction: Literal["increase", "decrease"]
    household_size: HouseholdSize
    old_amount: Yuan
    new_amount: Yuan
    from_month: Month
    reasons: Annotated[list[Reason], Field(max_length=20)] = []
    member_share: bool = False
    decided_on: date
    issued_on: date
    issuer: Issuer
    remedy: Annotated[str, Field(min_length=1, max_length=500)]

    @model_validator(mode="after")
    def _coherent(self) -> BenefitChangeNotice:
        if self.direction == "increase" and not self.new_amount > self.old_amount:
            raise ValueError("an increase needs new_amount above old_amount")
        if self.direction == "decrease":
            if self.new_amount > self.old_amount:
                raise ValueError("a decrease cannot raise the amount")
            if not self.reasons:
                raise ValueError("a decrease states its reasons (S1 Art. 32)")
        if self.member_share and self.direction != "decrease":
            raise ValueError("a member's share cut is a decrease (S1 Art. 34)")
        if self.issued_on < self.decided_on:
            raise ValueError("issued_on is before decided_on")
        return self


class StopNotice(BaseModel):
    """停发通知书: nothing is paid from ``effective_month`` on, for the reasons stated [S1 Art. 32].

    ``after_gradual_exit`` marks the stop decided with a 渐退期 and taking effect when it ran out [S1
    Art. 33]; ``decided_on`` is then the day of that decision. ``remedy`` as for :class:`RejectionNotice`
    [S1 Art. 38].
    """

    model_config = _CONFIG
    legal_basis: ClassVar[tuple[str, ...]] = (f"{MEASURES}第三十二条", f"{MEASURES}第三十八条")

    case_ref: CaseRef
    applicant_name: PersonName
    reasons: Annotated[list[Reason], Field(min_length=1, max_length=20)]
    effective_month: Month
    after_gradual_exit: bool = False
    decided_on: date
    issued_on: date
    issuer: Issuer
    remedy: Annotated[str, Field(min_length=1, max_length=500)]

    @model_validator(mode="after")
    def _issued_after_decision(self) -> StopNotice:
        if self.issued_on < self.decided_on:
            raise ValueError("issued_on is before decided_on")
        return self


Notice = (
    DeficiencyNotice | AcceptanceNotice | PublicityNotice | PublicationList | RejectionNotice | ApprovalNotice
    | BenefitChangeNotice | StopNotice
)
