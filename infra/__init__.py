"""Infrastructure shared by the worker, the API and the CLI: settings, logging, clients, SQL, embedded servers."""
