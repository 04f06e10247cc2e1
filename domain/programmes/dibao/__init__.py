"""低保 (dibao), the first programme on the kernel: S1 (《最低生活保障审核确认办法》, 2021) and the in-payment life.

- :mod:`.stages`, :mod:`.state` — its stages and its case state;
- :mod:`.procedure` — the application procedure's handlers; :mod:`.in_payment` — reviews, changes, exit;
- :mod:`.rules` — assessment, payable amount, review schedule, who confirms;
- :mod:`.evolve` — how each event changes the state; :mod:`.deadlines` — its time limits as rules;
- :mod:`.programme` — all of it as one :class:`~domain.kernel.programme.Programme` (``DIBAO``);
- :mod:`.labels` — zh-CN stage names.

Its commands and events are in :mod:`domain.commands` and :mod:`domain.events` (the shared procedure's
vocabulary, which the next programmes reuse); its parameters are the ``ParameterValues`` of
:mod:`domain.parameters`.
"""
