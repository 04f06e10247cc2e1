"""Policy parameters as data with effective dates (OpenFisca style).

A parameter book holds, for one county, a list of versions; each version applies from its
``effective_from`` date until the next one, and may override values for a township or village
(``overrides`` keyed by division code; the most specific code wins). Nothing here is a constant in code:
every standard, limit, deadline and procedural switch comes from the book, and every decision records the
``version`` it used (SPEC §0.1, §7.4). Values the sources leave open are labelled UNCONFIRMED or LOCAL
PARAMETER in the book itself.

Parsing is pure; reading the file is the caller's job (an activity, so replay never depends on the file).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from domain.errors import DomainError
from domain.household import AreaType, IncomeKind


class Treatment(StrEnum):
    """How an income kind enters household income (S1 Art. 13)."""

    COUNTED = "counted"
    EXCLUDED = "excluded"
    DEDUCTED = "deducted"  # subtracted from counted income (rigid expenditure, transfers paid)


class ProcedureProfile(StrEnum):
    """``2021``: S1 (民主评议 only to resolve a 公示 objection). ``2012``: S2 legacy, 民主评议 mandatory."""

    P2021 = "2021"
    P2012 = "2012"


class PublicityUnit(StrEnum):
    CALENDAR_DAY = "calendar_day"
    WORKING_DAY = "working_day"
    SECOND = "second"  # test and benchmark profiles only: a window that closes in seconds of wall time


class PeriodCounting(StrEnum):
    """How a period counted in days is counted from the day it starts.

    ``exclude_start_day``: the general rule for periods (《中华人民共和国民法典》第二百零一条:
    按照年、月、日计算期间的，开始的当日不计入，自下一日开始计算) — a 7-day 公示 posted on the 6th runs to the
    end of the 13th.
    ``include_start_day``: the posting day is day 1 (the 12th). Resolved parameters recorded before this key
    existed carry no value; that absence means ``include_start_day``, the rule those cases were decided under.
    """

    EXCLUDE_START_DAY = "exclude_start_day"
    INCLUDE_START_DAY = "include_start_day"


class Deadlines(BaseModel):
    """Time limits in working days (S1 Arts. 15, 17, 20, 21, 22; S6 §四(一))."""

    model_config = ConfigDict(frozen=True)

    investigation_start_wd: int = 3  # S1 Art. 15
    info_check_start_wd: int = 3  # S1 Art. 17
    county_decision_wd: int = 10  # S1 Art. 20
    rejection_notice_wd: int = 3  # S1 Art. 21
    total_wd: int = 30  # S1 Art. 22
    total_extended_wd: int = 45  # S1 Art. 22
    total_devolved_wd: int = 20  # S6 §四(一)
    deficiency_overdue_wd: int = 5  # UNCONFIRMED, LOCAL PARAMETER (SPEC §3.3 row 2)
    prelim_opinion_wd: int = 15  # UNCONFIRMED: S6 asks provinces for per-step limits


class PropertyLimits(BaseModel):
    """Property rules (S1 Art. 14). Every value is a LOCAL PARAMETER, UNCONFIRMED for Yunnan."""

    model_config = ConfigDict(frozen=True)

    financial_assets_per_capita_max_months: int = 24  # deposits+securities+insurance ≤ N months of standard
    vehicles_max: int = 0  # non-exempt vehicles
    houses_max: int = 1
    businesses_max: int = 0  # active business registrations


class DynamicManagement(BaseModel):
    """动态管理: reviews, changes and exit (S1 Arts. 30-34; S4 Arts. 13, 45, 68; S6 §一(三), §三; SPEC §8).

    Intervals and the 渐退期 cap come from the sources; the rest are LOCAL PARAMETERS, UNCONFIRMED for Lufeng.
    """

    model_config = ConfigDict(frozen=True)

    review_months_stable: int = Field(default=12, ge=1, le=24)  # S1 Art. 31; S5 item 7
    review_months_irregular: int = Field(default=6, ge=1, le=12)  # S1 Art. 31 (irregular income / able-bodied)
    working_age_min: int = 16  # LOCAL PARAMETER: who counts as "able-bodied" for the review class
    working_age_max: int = 60  # LOCAL PARAMETER
    review_completion_wd: int = 20  # LOCAL PARAMETER, UNCONFIRMED: open review → decision
    death_resolution_months: int = 3  # S6 §一(三): finish the change within 3 months of the death
    gradual_exit_max_months: int = 6  # S1 Art. 33; S6 §一(三): "原则上不超过6个月"
    gradual_exit_amount: Literal["keep", "half"] = "keep"  # UNCONFIRMED (SPEC §7.5)
    change_effective: Literal["this_month", "next_month"] = "next_month"  # SPEC §8.3 recommendation
    material_change_min_yuan: Decimal = Decimal("0")  # LOCAL PARAMETER: smaller differences are "no change"
    job_refusals_to_reduce: int = 3  # S1 Art. 34; S4 Art. 45
    job_refusal_share_cut: Annotated[Decimal, Field(gt=0, le=1)] = Decimal("1")  # 1 = that member's share stops
    recover_overpayment_after_death: bool = True  # local policy flag (SPEC §12 scenario 11)
    stop_notice_wd: int = 3  # LOCAL PARAMETER, by analogy with S1 Art. 21


class AgeBand(BaseModel):
    """One 高龄津贴 band: from ``min_age`` (completed years) on, ``monthly`` yuan (SPEC §6.3: UNCONFIRMED)."""

    model_config = ConfigDict(frozen=True)

    min_age: Annotated[int, Field(ge=60, le=150)]
    monthly: Annotated[Decimal, Field(ge=0, max_digits=8, decimal_places=2)]


class Allowances(BaseModel):
    """残疾人两项补贴 (SPEC §6.2) and 高龄津贴 (SPEC §6.3). Optional in :class:`ParameterValues`: a book or a
    recorded activity result from before these programmes has none, and a decision of theirs refuses to run
    without it."""

    model_config = ConfigDict(frozen=True)

    #: 困难残疾人生活补贴, yuan/person/month: the 2026 Yunnan provincial guide (云民发〔2026〕2号 [S12], a FLOOR;
    #: Chuxiong's own standard UNCONFIRMED, SPEC §13 item 8).
    living_subsidy_monthly: Annotated[Decimal, Field(ge=0)]
    #: 重度残疾人护理补贴 per disability grade (1, 2), yuan/month: the same guide's floors (110 / 100).
    care_subsidy_monthly: dict[int, Annotated[Decimal, Field(ge=0)]]
    #: Whether 特困 recipients are excluded from the care subsidy (other provinces' rule, Yunnan UNCONFIRMED:
    #: SPEC §6.2, default as SPEC says).
    care_excludes_tekun: bool = True
    #: Whether people receiving a work-injury care allowance (工伤护理费) are excluded (idem).
    care_excludes_work_injury: bool = True
    #: Whether the living subsidy may be received together with the care subsidy (SPEC §6.2: yes elsewhere).
    both_together: bool = True
    #: Working days for the township's review of a disability application (no source: UNCONFIRMED).
    township_review_wd: Annotated[int, Field(ge=1, le=60)] = 10
    #: Working days for the township to confirm a 高龄津贴 enrolment found from the hukou data (UNCONFIRMED).
    enrolment_confirmation_wd: Annotated[int, Field(ge=1, le=60)] = 10
    #: 高龄津贴 bands, ascending by age (SPEC §6.3: commonly 80+, 90+, 100+; amounts UNCONFIRMED).
    old_age_bands: Annotated[list[AgeBand], Field(min_length=1, max_length=10)]
    #: Months between survival checks (生存认证; SPEC §6.3: annual) and days of grace after the due day before
    #: payment is held (UNCONFIRMED, LOCAL PARAMETER).
    survival_check_months: Annotated[int, Field(ge=1, le=24)] = 12
    survival_check_grace_days: Annotated[int, Field(ge=0, le=180)] = 30
    #: A stop (death, moved away) takes effect from the month after the fact (SPEC §6.3; local practice).
    stop_effective: Literal["this_month", "next_month"] = "next_month"

    @model_validator(mode="after")
    def _ordered(self) -> Allowances:
        ages = [b.min_age for b in self.old_age_bands]
        if ages != sorted(set(ages)):
            raise ValueError("old_age_bands must be in ascending min_age order, one per age")
        if not {1, 2} <= set(self.care_subsidy_monthly):
            raise ValueError("care_subsidy_monthly needs grades 1 and 2")
        return self


class SupportForm(StrEnum):
    """特困 support form, chosen by the person (S4 Art. 19)."""

    DISPERSED = "dispersed"  # 分散供养: at home
    CENTRALISED = "centralised"  # 集中供养: in a 供养服务机构 (敬老院, regional centre)


class CareTier(StrEnum):
    """照料护理标准档次 from the self-care assessment (S3 Arts. 20-22)."""

    CAPABLE = "capable"  # 具备生活自理能力: all 6 ADL items achieved
    PARTIAL = "partial"  # 部分丧失: 1-3 items not achieved
    COMPLETE = "complete"  # 完全丧失: 4 or more items not achieved


class TekunParameters(BaseModel):
    """特困人员救助供养 (S3; S4 Arts. 14-19). Amounts are LOCAL PARAMETERS set by the province or prefecture
    (S4 Art. 15); the values in the book are labelled there (Yunnan's 2020 floor, UNCONFIRMED for Lufeng)."""

    model_config = ConfigDict(frozen=True)

    #: What the section's values are and how sure (shown with every amount's explanation).
    label: str = ""
    #: 基本生活标准 per month, urban/rural treatment by S3 Art. 19 (S4 Art. 15; S11: Yunnan 2020 floor ≥ 832).
    basic_living_standard_monthly: dict[AreaType, Annotated[Decimal, Field(ge=0)]]
    #: 照料护理标准 per month by support form and care tier (S3 Art. 20; LOCAL PARAMETER, UNCONFIRMED).
    care_standard_monthly: dict[SupportForm, dict[CareTier, Annotated[Decimal, Field(ge=0)]]]
    incapacity_age: int = 60  # S3 Art. 5(1)
    #: S3 Art. 5(2) and S4 Art. 14 say 16; S5 item 5 extends minors' coverage to 18 (SPEC §4.1): 16 by default.
    minor_age_limit: Annotated[int, Field(ge=16, le=18)] = 16
    benefit_continuation_age: int = 18  # S3 Art. 24 note: to 18, beyond while in school
    #: Income kinds not counted (S3 Art. 6 para 2): the basic pension's base amount, 优抚 benefits; 高龄津贴 and
    #: social insurance are declared as ``social_assistance`` (no income kind of their own).
    income_excluded: tuple[str, ...] = ("basic_pension_base", "preferential_benefit", "social_assistance")
    #: 特困 property rule (S3 Art. 7: set by the prefecture; Chuxiong's rule UNCONFIRMED): financial assets at
    #: most this many months of the basic-living standard, non-exempt vehicles, houses, businesses.
    financial_assets_max_months: int = 24
    vehicles_max: int = 0
    houses_max: int = 1
    businesses_max: int = 0
    #: 上年人均可支配收入 per year, for a supporter's inability (S3 Art. 8(3)(4); LOCAL, UNCONFIRMED).
    per_capita_disposable_income_last_year: Annotated[Decimal, Field(gt=0)]
    county_check_rate: Annotated[Decimal, Field(ge=Decimal("0.30"), le=1)] = Decimal("0.30")  # S3 Art. 16: ≥ 30 %
    investigation_wd: int = 15  # S3 Art. 13
    reinvestigation_wd: int = 15  # S3 Arts. 15, 26
    county_decision_wd: int = 15  # S3 Art. 16
    rejection_notice_wd: int = 3  # S3 Art. 18
    reassessment_wd: int = 10  # S3 Art. 23
    deficiency_overdue_wd: int = 5  # LOCAL PARAMETER, UNCONFIRMED (as dibao's)
    review_months: int = 12  # S5 item 7: annual review
    review_completion_wd: int = 20  # LOCAL PARAMETER, UNCONFIRMED
    confirmation_devolved_to_township: bool = False  # S3 Art. 28

    @model_validator(mode="after")
    def _complete(self) -> TekunParameters:
        if set(self.basic_living_standard_monthly) != set(AreaType):
            raise ValueError("basic_living_standard_monthly needs urban and rural")
        for form in SupportForm:
            if set(self.care_standard_monthly.get(form, {})) != set(CareTier):
                raise ValueError(f"care_standard_monthly.{form.value} needs every care tier")
        return self


class TemporaryTier(BaseModel):
    """One row of the 临时救助 tier table (分类分档, S8 §二(三); S5 item 14): for a type and severity, the amount as
    months of the local dibao standard or as a fixed sum, per member (up to ``max_members``) or per household.
    LOCAL PARAMETER; the Yunnan / Lufeng tiers are UNCONFIRMED (SPEC §5.4, §13 item 7)."""

    model_config = ConfigDict(frozen=True)

    kind: Literal["emergency", "expenditure"]
    severity: Literal["ordinary", "serious", "major"]
    months_of_standard: Annotated[Decimal, Field(gt=0)] | None = None
    fixed_yuan: Annotated[Decimal, Field(gt=0)] | None = None
    per_member: bool = True
    max_members: Annotated[int, Field(ge=1, le=30)] = 6

    @model_validator(mode="after")
    def _one_base(self) -> TemporaryTier:
        if (self.months_of_standard is None) == (self.fixed_yuan is None):
            raise ValueError("a tier gives either months_of_standard or fixed_yuan")
        return self


class TemporaryAssistance(BaseModel):
    """临时救助 (S4 Arts. 47-49; S8; S5 item 15; SPEC §5). Every value is a LOCAL PARAMETER and UNCONFIRMED for
    Lufeng (SPEC §13 item 7); the section applies from ``effective_from``."""

    model_config = ConfigDict(frozen=True)

    effective_from: date
    label: str = ""
    #: S4 Art. 48; S8 §二(二): the county delegates approval of amounts up to this cap to the township.
    township_approval_cap: Annotated[Decimal, Field(gt=0)]
    #: S5 item 15 "小金额先行救助"; S8 §二(二): the most a 先行救助 grant may be.
    urgent_cap: Annotated[Decimal, Field(gt=0)]
    #: S5 item 15; S8 §二(三): above this the county coordination mechanism decides (一事一议).
    case_by_case_threshold: Annotated[Decimal, Field(gt=0)]
    #: S8 §二(二): working days after the urgent grant to complete its formalities (LOCAL).
    regularisation_wd: Annotated[int, Field(ge=1, le=60)] = 10
    #: A household assisted for the same cause within this many months needs a justification (UNCONFIRMED).
    repeat_period_months: Annotated[int, Field(ge=0, le=60)] = 12
    #: S8 §二(一): 支出型 needs per-capita income below last year's local per-capita disposable income (yuan/year).
    per_capita_disposable_income_last_year: dict[AreaType, Annotated[Decimal, Field(gt=0)]]
    #: S8 §二(四): at most this many instalments of one approval (UNCONFIRMED).
    max_instalments: Annotated[int, Field(ge=1, le=24)] = 6
    tiers: Annotated[list[TemporaryTier], Field(min_length=1)]

    @model_validator(mode="after")
    def _consistent(self) -> TemporaryAssistance:
        if self.urgent_cap > self.township_approval_cap:
            raise ValueError("urgent_cap above township_approval_cap")
        if self.township_approval_cap > self.case_by_case_threshold:
            raise ValueError("township_approval_cap above case_by_case_threshold")
        if set(self.per_capita_disposable_income_last_year) != set(AreaType):
            raise ValueError("per_capita_disposable_income_last_year needs urban and rural")
        return self


class ParameterValues(BaseModel):
    """The values of one version (after overrides)."""

    model_config = ConfigDict(frozen=True)

    dibao_standard_monthly: dict[AreaType, Annotated[Decimal, Field(gt=0)]]
    near_dibao_multiple: Decimal = Decimal("1.5")  # S1 Art. 8; S6 §一(四)
    reference_period_months: int = 12  # LOCAL PARAMETER
    employment_cost_deduction_rate: Annotated[Decimal, Field(ge=0, lt=1)] = Decimal("0")
    income_treatment: dict[IncomeKind, Treatment]
    property_limits: PropertyLimits = PropertyLimits()
    deadlines: Deadlines = Deadlines()
    publicity_period: int = 7  # S1 Art. 19
    publicity_unit: PublicityUnit = PublicityUnit.CALENDAR_DAY  # UNCONFIRMED (SPEC §0.1)
    # 民法典 Art. 201 in the book; None only in parameters recorded before the key existed (= include the day).
    publicity_counting: PeriodCounting | None = None
    confirmation_devolved_to_township: bool = False  # S1 Art. 2; S6 §四(一)
    procedure_profile: ProcedureProfile = ProcedureProfile.P2021
    republish_after_objection: bool = False  # UNCONFIRMED (SPEC §3.3 row 15)
    # LOCAL PARAMETER (the law is silent): whether a fresh 初审意见 after an amendment that changed the opinion's
    # content is published again (True: the 公示 showed a household or amount that no longer holds).
    republish_after_amendment: bool = True
    # S2 Art. 22 (PROFILE_2012): "不少于三分之二" — a fraction, compared exactly (0.6667 would refuse 2 of 3).
    appraisal_villager_share_min: Annotated[str, Field(pattern=r"^[1-9][0-9]*/[1-9][0-9]*$")] = "2/3"
    close_relatives_of_public_officials: bool = False  # LOCAL PARAMETER (SPEC §3.3 row 3)
    dynamic: DynamicManagement = DynamicManagement()
    #: 残疾人两项补贴 and 高龄津贴 (SPEC §6.2, §6.3); None in books and recorded results from before them.
    allowances: Allowances | None = None
    #: 特困人员救助供养 (S3): optional, so books and recorded parameters from before it still decode.
    tekun: TekunParameters | None = None
    #: 临时救助; optional: parameter books and recorded parameters from before it still decode.
    temporary: TemporaryAssistance | None = None

    @model_validator(mode="after")
    def _complete(self) -> ParameterValues:
        missing = [k.value for k in IncomeKind if k not in self.income_treatment]
        if missing:
            raise ValueError(f"income_treatment lacks {missing}")
        if set(self.dibao_standard_monthly) != set(AreaType):
            raise ValueError("dibao_standard_monthly needs urban and rural")
        return self


class ParameterVersion(BaseModel):
    """One version of the book: values from ``effective_from``, with per-division overrides."""

    model_config = ConfigDict(frozen=True)

    version: str
    effective_from: date
    label: str
    sources: list[str] = []
    values: dict[str, Any]
    overrides: dict[str, dict[str, Any]] = {}


class ParameterBook(BaseModel):
    """All versions for one county.

    The parameter models accept unknown fields because resolved parameters travel in Temporal payloads (an
    activity's result in every case's history); the book itself is the operator's input and is read with
    :meth:`load`, which refuses any field it does not know (a misspelt limit must not pass silently).
    """

    model_config = ConfigDict(frozen=True)

    @classmethod
    def load(cls, raw: Any) -> ParameterBook:
        """The book from its JSON data, refusing unknown fields at every level."""
        return cls.model_validate(raw, extra="forbid")

    county_code: str
    county_name: str
    townships: dict[str, str]
    versions: list[ParameterVersion]

    @model_validator(mode="after")
    def _ordered(self) -> ParameterBook:
        dates = [v.effective_from for v in self.versions]
        if not dates or dates != sorted(dates) or len(set(dates)) != len(dates):
            raise ValueError("versions must be non-empty, in effective_from order, one per date")
        if len({v.version for v in self.versions}) != len(self.versions):
            raise ValueError("version ids must be unique")
        for v in self.versions:  # every version and override must validate on its own
            for code in ("", *v.overrides):
                _merge(v, code)
        return self


class ResolvedParameters(BaseModel):
    """The parameters in force for one division on one date, and the version they came from."""

    model_config = ConfigDict(frozen=True)

    version: str
    effective_from: date
    label: str
    division_code: str
    values: ParameterValues
    #: The digest of the book they were resolved from (set by the resolving activity; None in parameters
    #: recorded before it was): a command that names a different book makes the case resolve them again.
    book_sha256: str | None = None

    def standard(self, area_type: AreaType) -> Decimal:
        return self.values.dibao_standard_monthly[area_type]


class ParametersNotInForce(DomainError):
    code = "parameters_not_in_force"


def _deep_merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in extra.items():
        out[key] = _deep_merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


def _merge(version: ParameterVersion, division_code: str) -> ParameterValues:
    values = dict(version.values)
    # Less specific overrides first, so the most specific code wins.
    for code in sorted(version.overrides, key=len):
        if division_code.startswith(code):
            values = _deep_merge(values, version.overrides[code])
    return ParameterValues.model_validate(values, extra="forbid")


def resolve(book: ParameterBook, division_code: str, on: date) -> ResolvedParameters:
    """The parameters in force for ``division_code`` on ``on``.

    Args:
        book: the county's parameter book.
        division_code: a village, township or county code inside the book's county.
        on: the decision date (local date).

    Returns:
        The version in force, with overrides for the division applied.

    Raises:
        ParametersNotInForce: the division is outside the county, or no version is in force yet.
    """
    if not division_code.startswith(book.county_code):
        raise ParametersNotInForce(f"no parameters for division outside county {book.county_code}")
    in_force = [v for v in book.versions if v.effective_from <= on]
    if not in_force:
        raise ParametersNotInForce(f"no parameter version in force on {on.isoformat()}")
    version = in_force[-1]
    return ResolvedParameters(
        version=version.version,
        effective_from=version.effective_from,
        label=version.label,
        division_code=division_code,
        values=_merge(version, division_code),
    )


