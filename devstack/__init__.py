"""The embedded development stack behind ``casework up``: embedded PostgreSQL and Temporal, the processes,
and the supervisor that runs them with a worker and the API."""
