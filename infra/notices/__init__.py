"""Printable HTML notices (zh-CN) rendered from :mod:`domain.notices` models."""

from infra.notices.render import render_notice

__all__ = ["render_notice"]
