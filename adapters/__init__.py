"""Adapters: the lowest layer over the domain. Settings, logging, tokens, the Temporal client and codec, SQL
(pool, migrations, stores, queries), the audit ledger's storage, rendering. Imports the domain only, never a
layer above it (workflows, activities, services, api, worker, cli, devstack)."""
