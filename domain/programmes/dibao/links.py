"""Dibao's links to the other programmes of its members (docs/programmes.md, "Links").

Out: a death recorded on the case reaches every other case of that person; a stop reaches the other cases of
every member it stops paying (the living subsidy of a disabled member is reviewed, SPEC §6.2). In: a death
another case of a member recorded is recorded here as a data alert (an ad-hoc review and the 3-month limit,
S6 §一(三), §三), unless the member no longer counts; any other effect is recorded for the township to see.
"""

from __future__ import annotations

from typing import Any

from domain import commands as c
from domain import events as e
from domain.kernel import links
from domain.kernel.context import DecisionContext
from domain.kernel.drafts import Draft
from domain.procedure import in_payment as in_payment_step
from domain.programmes.dibao import in_payment
from domain.programmes.dibao.stages import ACTIVE_STAGES


def links_of(state: Any, events: list[Any]) -> list[links.Link]:
    out = links.deaths(state, events)
    for ev in events:
        if isinstance(ev, e.BenefitStopped):
            out += [links.Link(c.LinkEffect.LEFT_PROGRAMME, state.members[i].resident_id, ev.seq, ev.at.date())
                    for i in state.counted_members]
    return out


def on_link(state: Any, cmd: c.ApplyLink, ctx: DecisionContext) -> list[Draft]:
    if cmd.effect is not c.LinkEffect.PERSON_DIED or state.stage not in ACTIVE_STAGES or cmd.occurred_on is None:
        return []
    index = next((i for i, m in enumerate(state.members) if m.resident_id == cmd.resident_id), None)
    if index is None or index not in state.counted_members:
        return []
    alert = c.RaiseDataAlert(alert=c.AlertType.DEATH, member_index=index, occurred_on=cmd.occurred_on,
                             source=f"{links.SOURCE_PREFIX}{cmd.source_program}")
    return in_payment_step.alert_drafts(in_payment.SPEC, state, alert, ctx)
