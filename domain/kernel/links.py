"""Links between programmes: how an event one case records reaches the other cases of the same person.

A programme names, from the events of one decision, the effects they have on the person's other cases
(:class:`Link`: the effect, the person, the date) — ``Programme.links``. The workflow then carries them out
through an activity: it finds the person's other active cases in the ``case_members`` read model (any
programme), sends each an ``apply_link`` Update with the system command :class:`domain.commands.ApplyLink`
(keyed by source case, event and target, so a retried delivery never applies twice), and records where each
went on the source case (``links_delivered``). The target records ``link_received`` naming the source case
and event, and whatever its programme makes of the effect (``Programme`` handler of ``ApplyLink``, through
:func:`handlers`): so the link is on both trails, and no programme module ever calls another.

Effects (:class:`domain.commands.LinkEffect`):

- ``person_died``: a death recorded once (a data alert, a reported change) reaches every case of the person;
- ``left_programme``: the source programme stopped (dibao: the living subsidy of its disabled members is
  reviewed, SPEC §6.2);
- ``entered_programme``: the source programme began (特困: the care subsidy's exclusion, if the parameters say
  so — ``domain.programmes.tekun.links`` names this effect when its approval is recorded).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from domain import commands as c
from domain import events as e
from domain.errors import InvalidTransition
from domain.kernel.context import DecisionContext
from domain.kernel.drafts import Draft, draft
from domain.kernel.mutators import Mutators, moved

#: The patch behind which a case delivers the links of its events (histories recorded before it replay without
#: the delivery activity).
LINKS_PATCH = "case-links-v1"
#: The legal basis recorded with a link: the effect is the source decision's consequence, under the source
#: programme's articles; the kernel's own records cite the single-window coordination duty (S4 Art. 60) and the
#: information sharing between assistance programmes (S5 item 23).
BASIS = ("S4 Art. 60", "S5 item 23")
#: The ``source`` of a data alert a link recorded (``link:<programme>``): it is not delivered again.
SOURCE_PREFIX = "link:"


@dataclass(frozen=True, slots=True)
class Link:
    """An effect of a case's event on the other cases of one person.

    Attributes:
        effect: what happened (a death, the programme left or entered).
        resident_id: whose other cases it reaches.
        occurred_on: when it happened (the death's date; the stop's or start's decision day).
        seq: the source event's ``seq`` (the delivery's key and both trails name it).
    """

    effect: c.LinkEffect
    resident_id: str
    seq: int
    occurred_on: date | None = None


#: A programme's link hook: the state before a decision, the events it recorded → the effects on other cases.
LinksOf = Callable[[Any, list[Any]], list[Link]]


def no_links(_state: Any, _events: list[Any]) -> list[Link]:
    return []


def deaths(state: Any, events: Iterable[Any]) -> list[Link]:
    """Deaths a decision records about the case's members: a death data alert, or a reported change in which a
    member left by death (S6 §三; S1 Art. 30)."""
    out: list[Link] = []
    for ev in events:
        if (isinstance(ev, e.DataAlertRaised) and ev.alert is c.AlertType.DEATH and ev.member_index is not None
                and not ev.source.startswith(SOURCE_PREFIX)):  # a death delivered by a link goes no further
            out.append(Link(c.LinkEffect.PERSON_DIED, state.members[ev.member_index].resident_id, ev.seq,
                            ev.occurred_on))
        elif isinstance(ev, e.ChangeReported):
            for leaving in ev.members_leaving:
                if leaving.reason is c.LeaveReason.DEATH:
                    out.append(Link(c.LinkEffect.PERSON_DIED, state.members[leaving.member_index].resident_id,
                                    ev.seq, leaving.on))
    return out


def deliveries_of(seq: int, batch: Iterable[Link], deliveries: Iterable[c.LinkDelivery]) -> list[c.LinkDelivery]:
    """The deliveries of the source event ``seq`` among those of one batch: by the ``source_seq`` each delivery
    names; a delivery recorded without it (before it was kept) by its effect, as then (so an old history
    re-derives its ``links_delivered`` unchanged)."""
    links = list(batch)
    return [d for d in deliveries
            if (d.source_seq == seq if d.source_seq is not None
                else any(x.seq == seq and x.effect is d.effect for x in links))]


def key_of(source_case_id: Any, seq: int, effect: c.LinkEffect, target_case_id: Any) -> str:
    """The delivery's key: one per source event, effect and target (a repeat is the same delivery)."""
    return f"link-{source_case_id}-{seq}-{effect.value}-{target_case_id}"


def already_applied(state: Any, cmd: c.ApplyLink) -> bool:
    return cmd.key in state.links_received


def received(cmd: c.ApplyLink) -> Draft:
    """The target's record of a delivered effect."""
    return draft(e.LinkReceived, *BASIS, key=cmd.key, effect=cmd.effect, source_case_id=cmd.source_case_id,
                 source_program=cmd.source_program, source_seq=cmd.source_seq, resident_id=cmd.resident_id,
                 occurred_on=cmd.occurred_on)


#: What a programme makes of a delivered effect, after ``link_received``: more drafts (or none).
OnLink = Callable[[Any, c.ApplyLink, DecisionContext], list[Draft]]


def handlers(on_link: OnLink) -> dict[type, Callable[[Any, Any, DecisionContext], list[Draft]]]:
    """The kernel's link commands for one programme: receive an effect (then the programme's ``on_link``),
    and record where the effects of one of its events went."""

    def apply(state: Any, cmd: c.ApplyLink, ctx: DecisionContext) -> list[Draft]:
        if already_applied(state, cmd):
            raise InvalidTransition("this link is already applied to the case")
        return [received(cmd), *on_link(state, cmd, ctx)]

    def record(_state: Any, cmd: c.RecordLinkDeliveries, _ctx: DecisionContext) -> list[Draft]:
        return [draft(e.LinksDelivered, *BASIS, source_seq=cmd.source_seq, deliveries=tuple(cmd.deliveries))]

    return {c.ApplyLink: apply, c.RecordLinkDeliveries: record}


def mutators() -> Mutators:
    out = Mutators()

    @out.on(e.LinkReceived)
    def _received(state: Any, event: e.LinkReceived) -> Any:
        return moved(state, event, links_received=(*state.links_received, event.key))

    @out.on(e.LinksDelivered)
    def _delivered(state: Any, event: e.LinksDelivered) -> Any:
        return moved(state, event)

    return out
