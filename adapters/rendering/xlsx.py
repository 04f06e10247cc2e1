"""台账 to Excel (issue 19 item 7): one worksheet per table, Chinese headers, cells written as values.

Free text (names, bank names) is always written as a string cell, never as a formula: a name starting with
``=`` stays text (spreadsheet formula injection). Codes and account numbers are text too, so Excel keeps their
leading zeros and all their digits (a 19-digit account number as a number loses its last digits).
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from urllib.parse import quote

from openpyxl import Workbook
from openpyxl.cell.cell import TYPE_STRING
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

class Sheet:
    """A worksheet to write: its title (≤ 31 characters), the header row and the rows."""

    def __init__(self, title: str, header: Sequence[str], rows: Iterable[Sequence[object]],
                 *, caption: str | None = None) -> None:
        self.title = title[:31]
        self.header = tuple(header)
        self.rows = rows
        self.caption = caption


def _put(ws: Worksheet, row: int, col: int, value: object) -> None:
    cell = ws.cell(row=row, column=col)
    if isinstance(value, str):
        cell.value = value
        cell.data_type = TYPE_STRING  # never a formula, whatever the text starts with
    elif isinstance(value, datetime):
        cell.value = value.replace(tzinfo=None)
        cell.number_format = "yyyy-mm-dd hh:mm"
    elif isinstance(value, date):
        cell.value = value
        cell.number_format = "yyyy-mm-dd"
    elif isinstance(value, Decimal):
        cell.value = value
        cell.number_format = "0.00"
    else:
        cell.value = value


def workbook_bytes(*sheets: Sheet) -> bytes:
    """The .xlsx file of the sheets: a bold header row (frozen), optionally a caption line above it."""
    wb = Workbook()
    wb.remove(wb.active)
    for sheet in sheets:
        ws = wb.create_sheet(sheet.title)
        top = 1
        if sheet.caption:
            _put(ws, 1, 1, sheet.caption)
            ws.cell(row=1, column=1).font = Font(bold=True, size=13)
            top = 2
        widths = [max(6, len(h) * 2 + 2) for h in sheet.header]
        for col, head in enumerate(sheet.header, start=1):
            _put(ws, top, col, head)
            ws.cell(row=top, column=col).font = Font(bold=True)
        for r, row in enumerate(sheet.rows, start=top + 1):
            for col, value in enumerate(row, start=1):
                _put(ws, r, col, value)
                if isinstance(value, str) and col <= len(widths):
                    widths[col - 1] = min(60, max(widths[col - 1], len(value) + 2))
        for col, width in enumerate(widths, start=1):
            ws.column_dimensions[get_column_letter(col)].width = width
        ws.freeze_panes = ws.cell(row=top + 1, column=1)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def attachment(filename: str, fallback: str) -> str:
    """A Content-Disposition for a Chinese file name: ``filename*`` (RFC 5987, UTF-8) with an ASCII fallback."""
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"
