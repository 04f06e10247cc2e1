"""高龄津贴 on the kernel (no national or Yunnan rule found: SPEC §6.3, every value a parameter, UNCONFIRMED)."""
