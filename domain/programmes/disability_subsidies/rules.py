"""Who receives which of the two subsidies, and how much (S12: 云政发〔2016〕5号; 云民发〔2026〕2号; SPEC §6.2).

Pure: the certificate's facts, whether the person's household is in dibao and whether the person is in 特困
(both from this engine's own cases), and the parameters in force.
"""

from __future__ import annotations

from dataclasses import dataclass

from domain.events import Grant
from domain.kernel.state import RelatedCase
from domain.parameters import Allowances


@dataclass(frozen=True, slots=True)
class Facts:
    grade: int
    long_term_care: bool
    work_injury_care: bool
    in_dibao: bool
    in_tekun: bool


def paying(related: tuple[RelatedCase, ...], resident_id: str, program: str) -> bool:
    """Whether another case of the person in ``program`` is paying now (from the ``case_members`` read model)."""
    return any(r.program == program and r.resident_id == resident_id and r.paying for r in related)


def grants(facts: Facts, p: Allowances) -> tuple[tuple[Grant, ...], tuple[str, ...]]:
    """The subsidies the person qualifies for, and why each other one does not (zh-CN reasons).

    - 困难残疾人生活补贴: a disabled person in a dibao household (云政发〔2016〕5号, SPEC §6.2);
    - 重度残疾人护理补贴: grade 1 or 2, needing long-term care, unless excluded as a 特困 recipient or as
      receiving a work-injury care allowance (parameters: other provinces' rule, Yunnan UNCONFIRMED);
    - both at once unless the parameters say only the higher one.
    """
    out: list[Grant] = []
    why: list[str] = []
    if facts.in_dibao:
        out.append(Grant(kind="living", monthly=p.living_subsidy_monthly))
    else:
        why.append("生活补贴：家庭不在低保")
    if facts.grade not in (1, 2):
        why.append("护理补贴：残疾等级非一、二级")
    elif not facts.long_term_care:
        why.append("护理补贴：不需要长期照护")
    elif facts.in_tekun and p.care_excludes_tekun:
        why.append("护理补贴：特困供养人员不享受（参数）")
    elif facts.work_injury_care and p.care_excludes_work_injury:
        why.append("护理补贴：已领取工伤护理费（参数）")
    else:
        out.append(Grant(kind="care", monthly=p.care_subsidy_monthly[facts.grade]))
    if len(out) == 2 and not p.both_together:
        out = [max(out, key=lambda g: g.monthly)]
        why.append("两项补贴不同时享受（参数）：取较高者")
    return tuple(out), tuple(why)
