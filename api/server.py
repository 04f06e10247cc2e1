"""How the API is served: the one place ``casework up`` and ``casework api`` take uvicorn's options from."""

from __future__ import annotations

from typing import Any

from adapters.settings import Settings


def server_options(settings: Settings) -> dict[str, Any]:
    """uvicorn's options (``uvicorn.run`` / ``uvicorn.Config`` keywords) under ``settings``.

    The idle keep-alive is the setting's, not uvicorn's 5 s: with the server and the client (httpx's pool: 5 s)
    both closing an idle connection after 5 s, a request sent on a reused connection as the server's timer fired
    was dropped unanswered (``Server disconnected without sending a response``) — rarely, and only when the
    server's event loop was busy enough to run its timer before reading the request.
    """
    return {
        "host": settings.api_host,
        "port": settings.api_port,
        "log_config": None,
        "timeout_keep_alive": settings.api_keep_alive_seconds,
    }
