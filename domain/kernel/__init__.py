"""The procedure kernel: what every programme's case shares, and nothing of any one programme.

- :mod:`.clock` — China time and the instants a day starts and ends;
- :mod:`.context` — the :class:`DecisionContext` a decision gets from outside (clock, actor, parameters);
- :mod:`.drafts` — events as handlers draft them, numbered (``seq``) by the kernel, never by hand;
- :mod:`.state` — the case core every programme's state extends, deadlines, the pending step;
- :mod:`.guards` — role, stage, jurisdiction, maker ≠ checker, investigation team;
- :mod:`.deadlines` — one :class:`DeadlineRule` per step (legal basis, what starts it, its length, while it
  stays open);
- :mod:`.mutators` — evolve functions registered per event type;
- :mod:`.programme` — the :class:`Programme` a programme module fills in, and the generic decide / evolve /
  pending / timers over it.

Nothing here imports a programme (``domain.programmes``) or anything outside ``domain``.
"""
