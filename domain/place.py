"""The competent place of application (S1 Arts. 4, 5; SPEC §2 "Place of application").

- Default (S1 Art. 4): the township of the household's hukou (户籍所在地).
- Members' hukou in different provinces (S1 Art. 5 para 1): a member whose hukou and habitual residence
  coincide applies at that hukou; if no member's do, any member may apply at their own hukou.
- Same province, different counties (S1 Art. 5 para 2): the provincial rule decides; the Yunnan rule is
  UNCONFIRMED, so any member's hukou township is accepted.
- Residence-permit applications (S1 Art. 5 para 3, "有条件的地区") are a LOCAL PARAMETER not yet supported.

Hukou codes may be 6 (county), 9 (township) or 12 (village) digits; places are compared at the precision the
codes give (a village code's township, or a county).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from domain.household import Member, Relation


@dataclass(frozen=True, slots=True)
class Competence:
    """Where the household may apply: division prefixes, and the rule that says so."""

    places: frozenset[str]
    rule: str
    legal_basis: tuple[str, ...]

    def allows(self, village_code: str) -> bool:
        return any(village_code.startswith(p) for p in self.places)


def _place(code: str) -> str:
    return code[:9] if len(code) >= 9 else code


def _coincide(m: Member) -> bool:
    if m.hukou_code is None or m.residence_code is None:
        return False
    a, b = _place(m.hukou_code), _place(m.residence_code)
    return a.startswith(b) or b.startswith(a)


def competent_place(members: Sequence[Member]) -> Competence | None:
    """Where this household may apply, or None when no member's hukou is known (nothing to check).

    Args:
        members: the household members, with ``hukou_code`` / ``residence_code`` where known.

    Returns:
        The competence, with the rule and the articles it comes from.
    """
    with_hukou = [m for m in members if m.hukou_code]
    if not with_hukou:
        return None
    provinces = {m.hukou_code[:2] for m in with_hukou if m.hukou_code}
    if len(provinces) > 1:
        coinciding = [m for m in with_hukou if _coincide(m)]
        chosen = coinciding or with_hukou
        rule = "cross_province_hukou_matches_residence" if coinciding else "cross_province_any_hukou"
        return Competence(frozenset(_place(m.hukou_code) for m in chosen if m.hukou_code), rule, ("S1 Art. 5",))
    counties = {m.hukou_code[:6] for m in with_hukou if m.hukou_code}
    if len(counties) > 1:
        return Competence(frozenset(_place(m.hukou_code) for m in with_hukou if m.hukou_code),
                          "same_province_other_county_unconfirmed", ("S1 Art. 5 para 2",))
    applicant = next((m for m in with_hukou if m.relation is Relation.APPLICANT), with_hukou[0])
    assert applicant.hukou_code is not None
    return Competence(frozenset({_place(applicant.hukou_code)}), "household_hukou", ("S1 Art. 4",))
