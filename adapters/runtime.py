"""Where a process finds its servers: configured ones, or the embedded ones that ``casework up`` started."""

from __future__ import annotations

from pathlib import Path

from adapters.db.pool import with_database
from adapters.settings import Settings


class NotConfigured(RuntimeError):
    """No server is configured and no embedded server is running."""


def embedded_pg_uri_file(settings: Settings) -> Path:
    return settings.run_dir / "postgres.uri"


def database_dsn(settings: Settings) -> str:
    """The application database URL.

    Returns:
        ``CASEWORK_DATABASE_URL`` when set; otherwise the embedded server's URL recorded by ``casework up``,
        pointed at ``CASEWORK_DATABASE_NAME``.

    Raises:
        NotConfigured: neither is available.
    """
    if settings.database_url is not None:
        return settings.database_url
    uri_file = embedded_pg_uri_file(settings)
    if not uri_file.exists():
        raise NotConfigured(
            "no database: set CASEWORK_DATABASE_URL, or start the embedded stack with `casework up` (make run)"
        )
    return with_database(uri_file.read_text().strip(), settings.database_name)
