"""The web console for bureau staff (zh-CN, server-rendered, no build step): see :mod:`api.console.routes`."""

from api.console.routes import router

__all__ = ["router"]
