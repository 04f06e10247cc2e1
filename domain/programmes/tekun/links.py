"""特困's links to the person's other cases (docs/programmes.md, "Links"; issue 17 item 3).

Out: approval (认定) tells the person's other cases that they entered 特困 — the 两项补贴 case applies the care
subsidy's exclusion where the parameters say so (SPEC §6.2); the termination decision tells them the person left
特困 (S3 Art. 26); a death recorded here reaches every other case of the person. In: a death another case recorded
is recorded here as a data alert (in support it opens a review: the township investigates and proposes the
termination, S3 Arts. 24-25; an alert never terminates by itself); any other effect is recorded for the township.
"""

from __future__ import annotations

from typing import Any

from domain import commands as c
from domain import events as e
from domain.kernel import links
from domain.kernel.context import DecisionContext
from domain.kernel.drafts import Draft
from domain.programmes.tekun.handlers import data_alert
from domain.programmes.tekun.stages import ACTIVE_STAGES


def links_of(state: Any, events: list[Any]) -> list[links.Link]:
    out = links.deaths(state, events)
    person = state.members[0].resident_id
    for ev in events:
        if isinstance(ev, e.ApplicationApproved):
            out.append(links.Link(c.LinkEffect.ENTERED_PROGRAMME, person, ev.seq, ev.at.date()))
        elif isinstance(ev, e.SupportTerminated):
            out.append(links.Link(c.LinkEffect.LEFT_PROGRAMME, person, ev.seq, ev.at.date()))
    return out


def on_link(state: Any, cmd: c.ApplyLink, ctx: DecisionContext) -> list[Draft]:
    if (cmd.effect is not c.LinkEffect.PERSON_DIED or state.stage not in ACTIVE_STAGES
            or cmd.occurred_on is None or cmd.resident_id != state.members[0].resident_id):
        return []
    alert = c.RaiseDataAlert(alert=c.AlertType.DEATH, member_index=0, occurred_on=cmd.occurred_on,
                             source=f"{links.SOURCE_PREFIX}{cmd.source_program}")
    return data_alert(state, alert, ctx, checked_role=False)
