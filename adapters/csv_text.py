"""Reading a CSV file an operator hands to a command: one decoder for every import (departmental extracts for
the information check, data-comparison alerts), so each answers an unreadable file the same way.

Accepted: UTF-8, with or without a byte-order mark (Excel's "CSV UTF-8"). Refused with a message saying how to
re-save: anything else — above all GBK/ANSI, the encoding Excel picks for plain "CSV" on a Chinese Windows, which
cannot be told apart reliably from other legacy encodings and would import garbled names.
"""

from __future__ import annotations

import csv
import io

NOT_UTF8 = "not UTF-8 text (a GBK/ANSI file?): save the file as CSV UTF-8 (请另存为“CSV UTF-8（逗号分隔）”格式)"


class CsvUnreadable(ValueError):
    """The file is not UTF-8 text or not a readable CSV; the message never quotes its content."""


def decode_csv_text(data: bytes) -> str:
    """The file's text.

    Raises:
        CsvUnreadable: not UTF-8 (with or without a byte-order mark).
    """
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise CsvUnreadable(NOT_UTF8) from None


def read_csv_rows(data: bytes) -> list[list[str]]:
    """The file's rows, header included.

    Raises:
        CsvUnreadable: not UTF-8, or not a readable CSV.
    """
    text = decode_csv_text(data)
    try:
        return list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error:
        raise CsvUnreadable("not a readable CSV file (unbalanced quotes?)") from None


def read_csv_dicts(data: bytes) -> list[dict[str | None, str | None]]:
    """The rows after the header, as :class:`csv.DictReader` gives them.

    Raises:
        CsvUnreadable: not UTF-8, or not a readable CSV.
    """
    text = decode_csv_text(data)
    try:
        return list(csv.DictReader(io.StringIO(text, newline="")))  # type: ignore[arg-type]
    except csv.Error:
        raise CsvUnreadable("not a readable CSV file (unbalanced quotes?)") from None
