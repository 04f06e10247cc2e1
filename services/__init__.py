"""Application services: what the API, the CLI and the activities do with a case and its records, above the
adapters — the case gateway, projection rebuild, data alerts, the audit's replay/history/as-of/trail/access,
the review-sweep Schedule, the demo."""
