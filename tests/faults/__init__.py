"""Fault injection (issue 7 item 6): worker kill -9, Temporal restarts and PostgreSQL outages under a batch of
cases driven through the API. ``harness`` holds the machinery, ``test_faults`` the small versions run by
``make test``, ``chaos`` the large one run by ``make chaos``."""
