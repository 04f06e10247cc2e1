"""Audit: the tamper-evident ledger, history export, replay verification and as-of re-evaluation (issue 6)."""
