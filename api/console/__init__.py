"""The web console for bureau staff (zh-CN, server-rendered, no build step): see :mod:`api.console.routes`."""

from api.console.allowances import router as allowances_router
from api.console.one_window import router as one_window_router
from api.console.routes import router
from api.console.urgent import router as urgent_router
from api.console.workbench import router as workbench_router

__all__ = ["allowances_router", "one_window_router", "router", "urgent_router", "workbench_router"]
