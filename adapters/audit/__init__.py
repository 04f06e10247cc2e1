"""Audit storage (issue 6): the hash chain, the tamper-evident ledger and its signed checkpoints."""
