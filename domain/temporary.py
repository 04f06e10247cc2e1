"""The vocabulary of 临时救助 (temporary assistance) that commands, events and the programme share: its types,
causes and severities, how an emergency was reported, in-kind items and planned instalments (S4 Arts. 47-49;
S8 §二; S5 items 14-15; SPEC §5).

Plain value types only (no rule lives here): the rules are in :mod:`domain.programmes.temporary`.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

Yuan = Annotated[Decimal, Field(gt=0, max_digits=12, decimal_places=2)]


class TemporaryType(StrEnum):
    """The two types of S8 §二(一) (S5 item 15)."""

    EMERGENCY = "emergency"  # 急难型: accident, fire, sudden serious illness, other sudden difficulty
    EXPENDITURE = "expenditure"  # 支出型: essential education / medical spending beyond what the family can bear


class TemporaryCause(StrEnum):
    """What caused the difficulty (S4 Art. 47; S8 §二(一)); the cause decides the repeat-assistance rule."""

    FIRE = "fire"
    TRAFFIC_ACCIDENT = "traffic_accident"
    OTHER_ACCIDENT = "other_accident"
    SUDDEN_ILLNESS = "sudden_illness"
    OTHER_SUDDEN_DIFFICULTY = "other_sudden_difficulty"
    EDUCATION_EXPENDITURE = "education_expenditure"
    MEDICAL_EXPENDITURE = "medical_expenditure"
    OTHER_ESSENTIAL_EXPENDITURE = "other_essential_expenditure"


EMERGENCY_CAUSES = frozenset({TemporaryCause.FIRE, TemporaryCause.TRAFFIC_ACCIDENT, TemporaryCause.OTHER_ACCIDENT,
                              TemporaryCause.SUDDEN_ILLNESS, TemporaryCause.OTHER_SUDDEN_DIFFICULTY})


class Severity(StrEnum):
    """困难程度: the tier within a type (S8 §二(三) 分类分档)."""

    ORDINARY = "ordinary"  # 一般
    SERIOUS = "serious"  # 较重
    MAJOR = "major"  # 重大


class ReportSource(StrEnum):
    """How an emergency came to the township (SPEC §5.3; S5 item 14 主动发现)."""

    SELF = "self"
    VILLAGE = "village"
    HOTLINE = "hotline"
    DISCOVERED = "discovered"  # found in data


class InKindItem(BaseModel):
    """Assistance in kind (S8 §二(四)): what, how many, and its value in yuan."""

    model_config = ConfigDict(frozen=True)

    what: Annotated[str, Field(min_length=1, max_length=100)]
    quantity: Annotated[int, Field(ge=1, le=100000)]
    value: Yuan


class TemporaryRequest(BaseModel):
    """What a 临时救助 application (or an emergency report) says about the difficulty.

    Attributes:
        kind: 急难型 or 支出型.
        cause: what caused it.
        severity: how severe (the tier).
        situation: the situation in the reporter's words (no health details beyond what the case needs).
        essential_expenditure: the essential expenditure (支出型: education or medical spending), yuan.
        on_dibao_or_tekun: the household is a dibao or 特困 household: the check looks only at the essential
            expenditure (S8 §二(二)).
        urgent: how the emergency was reported, when it needs 先行救助 at once (S8 §二(二); S5 item 15); None
            for an application on the normal path.
    """

    model_config = ConfigDict(frozen=True)

    kind: TemporaryType
    cause: TemporaryCause
    severity: Severity = Severity.ORDINARY
    situation: Annotated[str, Field(min_length=1, max_length=2000)]
    essential_expenditure: Annotated[Decimal, Field(ge=0, max_digits=12, decimal_places=2)] = Decimal("0")
    on_dibao_or_tekun: bool = False
    urgent: ReportSource | None = None


class Instalment(BaseModel):
    """One planned instalment of an approved assistance (一次审批、分阶段救助, S8 §二(四)): paid on the payment
    roll of the month of ``on``."""

    model_config = ConfigDict(frozen=True)

    on: date
    amount: Yuan
    cancelled: bool = False
    cancel_reason: str | None = None


Form = Literal["cash", "in_kind"]
