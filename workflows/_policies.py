"""Retry policies and timeouts shared by workflows."""

from datetime import timedelta

from temporalio.common import RetryPolicy

STORE_TIMEOUT = timedelta(seconds=30)
STORE_RETRY = RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(seconds=30))

#: A local activity's attempt (a PostgreSQL transaction or a file read: milliseconds when the database is up) and
#: the window its retries run in before the workflow starts the call again (workflows.case._store_call).
LOCAL_STORE_TIMEOUT = timedelta(seconds=10)
LOCAL_STORE_WINDOW = timedelta(minutes=5)
