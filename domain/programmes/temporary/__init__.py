"""临时救助 (temporary assistance) on the kernel: S4 Arts. 47-49, S8 (2018), S5 item 15, S7 §四(三); SPEC §5."""
