"""Household, members and their declared economic situation (SPEC §1, §7; S1 Arts. 7, 9, 13, 14).

Amounts are yuan as ``Decimal``; income amounts are totals over the reference period (a policy parameter,
commonly 12 months). How each income kind is treated (counted, excluded, deducted) is a policy parameter
too, not decided here: see :mod:`domain.parameters` and :mod:`domain.benefit`.
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field


class Program(StrEnum):
    """Assistance programmes (the bureau's five). A code the registry has no programme for yet is refused at
    intake (``domain.programmes.programme_of``); a referral may still name it."""

    DIBAO = "dibao"  # 最低生活保障, S1
    TEKUN = "tekun"  # 特困人员救助供养, S3
    TEMPORARY = "temporary"  # 临时救助, S8
    DISABILITY_SUBSIDIES = "disability_subsidies"  # 残疾人两项补贴
    OLD_AGE_ALLOWANCE = "old_age_allowance"  # 高龄津贴


class AreaType(StrEnum):
    """Urban or rural household: selects the local standard (SPEC §0.1)."""

    URBAN = "urban"
    RURAL = "rural"


class Relation(StrEnum):
    """Relation of a member to the applicant (共同生活的家庭成员, S1 Art. 7)."""

    APPLICANT = "applicant"
    SPOUSE = "spouse"
    CHILD = "child"
    PARENT = "parent"
    SIBLING = "sibling"
    GRANDPARENT = "grandparent"
    GRANDCHILD = "grandchild"
    OTHER_DEPENDANT = "other_dependant"


class LabourCapacity(StrEnum):
    """劳动能力: members who genuinely cannot work are considered realistically (S6 §一(一))."""

    FULL = "full"
    PARTIAL = "partial"
    NONE = "none"


class Member(BaseModel):
    """One household member. ``resident_id`` is normalised (upper-case X) by the domain.

    ``disability_grade`` (1-4, 残疾等级) and ``serious_illness`` (重特大疾病) are health data: they never
    leave the case (no logs, search attributes or public notices).
    """

    model_config = ConfigDict(frozen=True, str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=50)
    resident_id: str
    relation: Relation
    labour_capacity: LabourCapacity = LabourCapacity.FULL
    disability_grade: Annotated[int, Field(ge=1, le=4)] | None = None
    serious_illness: bool = False
    #: Where the member's hukou is registered and where they habitually live: 6-, 9- or 12-digit division
    #: codes. They decide the competent place of application (S1 Arts. 4, 5); unknown when omitted.
    hukou_code: Annotated[str, Field(pattern=r"^(?:[0-9]{6}|[0-9]{9}|[0-9]{12})$")] | None = None
    residence_code: Annotated[str, Field(pattern=r"^(?:[0-9]{6}|[0-9]{9}|[0-9]{12})$")] | None = None


class IncomeKind(StrEnum):
    """Income kinds of S1 Art. 13 (SPEC §7.1). Treatment per kind is a policy parameter."""

    WAGES = "wages"  # 工资性收入 (counted, net of employment costs)
    BUSINESS_NET = "business_net"  # 经营净收入, incl. farming
    PROPERTY_NET = "property_net"  # 财产净收入
    TRANSFER_RECEIVED = "transfer_received"  # 转移性收入: support, pensions, compensation, gifts
    TRANSFER_PAID = "transfer_paid"  # taxes, social-security contributions, support paid (subtracted)
    OTHER = "other"
    PREFERENTIAL_BENEFIT = "preferential_benefit"  # 优待抚恤金 (excluded)
    FAMILY_PLANNING_SUPPORT = "family_planning_support"  # 计划生育奖励与扶助金 (excluded)
    SCHOLARSHIP = "scholarship"  # (excluded)
    BRAVERY_AWARD = "bravery_award"  # 见义勇为 (excluded)
    SOCIAL_ASSISTANCE = "social_assistance"  # government assistance cash/goods (excluded)
    BASIC_PENSION_BASE = "basic_pension_base"  # 城乡居民基础养老金, base part (excluded 2021-2025)
    RIGID_EXPENDITURE = "rigid_expenditure"  # disability/illness rigid expenditure (deducted, 按规定)


class IncomeItem(BaseModel):
    """One declared or found income item, total over the reference period."""

    model_config = ConfigDict(frozen=True)

    kind: IncomeKind
    amount: Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=2)]
    member_index: Annotated[int, Field(ge=0)] | None = None
    #: 不固定收入 (casual, seasonal or otherwise irregular): such a household is reviewed every six months
    #: rather than yearly (S1 Art. 31; S5 item 7).
    irregular: bool = False


class PropertyKind(StrEnum):
    """Property kinds of S1 Art. 14 (SPEC §7.2)."""

    DEPOSIT = "deposit"  # 存款 (incl. internet financial assets)
    SECURITIES = "securities"  # 有价证券、基金
    COMMERCIAL_INSURANCE = "commercial_insurance"
    VEHICLE = "vehicle"
    HOUSE = "house"
    BUSINESS = "business"  # 工商登记 (business registration)


class PropertyItem(BaseModel):
    """One declared or found property item. ``exempt_reason`` records an exemption (e.g. a disability
    mobility vehicle, or property needed for production and daily life, S1 Art. 14)."""

    model_config = ConfigDict(frozen=True)

    kind: PropertyKind
    value: Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=2)] = Decimal("0")
    count: Annotated[int, Field(ge=1, le=1000)] = 1
    exempt_reason: Annotated[str, Field(max_length=200)] | None = None


class Declaration(BaseModel):
    """The household's written declaration of income and property (S1 Art. 9)."""

    model_config = ConfigDict(frozen=True)

    income: Annotated[list[IncomeItem], Field(max_length=200)] = []
    property: Annotated[list[PropertyItem], Field(max_length=200)] = []


MAX_MEMBERS = 30
