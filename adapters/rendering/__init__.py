"""Rendering: printable HTML notices (zh-CN) from :mod:`domain.notices` models, and the payment roll
(HTML, CSV).

The templates live in ``templates/`` (shipped as package data)."""
