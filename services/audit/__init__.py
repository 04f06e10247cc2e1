"""Audit services (issue 6): history export, replay verification, as-of re-evaluation, the trail, access
logging."""
