"""特困人员救助供养 (tekun), the second programme on the kernel: S3 (《特困人员认定办法》, 2021) with S4 Arts. 14-19
(SPEC §4).

- :mod:`.stages`, :mod:`.state` — its stages and its case state;
- :mod:`.rules` — eligibility per criterion (S3 Arts. 4-9), the self-care tier (Arts. 20-22), the amount
  (basic-living standard + care standard), the county's random check draw (Art. 16), ages;
- :mod:`.procedure` — the shared steps with S3's stages and articles; the termination 公示 (Art. 26) is the
  shared 公示 step run with a second spec;
- :mod:`.handlers` — its own commands; :mod:`.evolve` — their events; :mod:`.deadlines` — its time limits;
- :mod:`.programme` — all of it as one :class:`~domain.kernel.programme.Programme` (``TEKUN``);
- :mod:`.labels`, :mod:`.notices` — zh-CN stage names and its notices.
"""
