"""Legal basis as people cite it: ``S1 Arts. 15, 16`` → 《最低生活保障审核确认办法》第十五条、第十六条 (issue 19).

The API keeps the tags for machines; pages show the titles and articles."""

from __future__ import annotations

import re

from api.console.workbench_labels import SOURCE_TITLES

_DIGITS = "零一二三四五六七八九"
_ART = r"\d+(?:\(\d+\))?"
_TAG = re.compile(rf"\b(S\d+)\s+(?:Arts?\.\s*({_ART}(?:\s*[-–,]\s*{_ART})*)(?:\s+para\s+(\d+))?"
                  r"|§([一二三四五六七八九十]+)(?:\(([一二三四五六七八九十]+)\))?|item\s+(\d+))")


def chinese_number(n: int) -> str:
    """1-99 the way article numbers are written: 十, 十六, 二十, 三十七."""
    if n < 10:
        return _DIGITS[n]
    tens, units = divmod(n, 10)
    return ("" if tens == 1 else _DIGITS[tens]) + "十" + (_DIGITS[units] if units else "")


def _articles(text: str, para: str | None) -> str:
    out = []
    for part in re.split(r"\s*,\s*", text.strip().strip(",")):
        if not part:
            continue
        if re.fullmatch(r"\d+\s*[-–]\s*\d+", part):
            a, b = re.split(r"\s*[-–]\s*", part)
            out.append(f"第{chinese_number(int(a))}条至第{chinese_number(int(b))}条")
        elif m := re.fullmatch(r"(\d+)(?:\((\d+)\))?", part):
            item = f"第（{chinese_number(int(m[2]))}）项" if m[2] else ""
            out.append(f"第{chinese_number(int(m[1]))}条{item}")
    cited = "、".join(out)
    return cited + (f"第{chinese_number(int(para))}款" if para and len(out) == 1 else "")


def _one(m: re.Match[str]) -> str:
    tag, arts, para, section, subsection, item = m.groups()
    title = SOURCE_TITLES.get(tag)
    if title is None:
        return m.group(0)
    if arts:
        return title + _articles(arts, para)
    if section:
        return f"{title}第{section}部分" + (f"第（{subsection}）项" if subsection else "")
    return f"{title}第{chinese_number(int(item))}项"


def cite(text: str) -> str:
    """Every source tag in ``text`` written as people cite it (unknown tags are left as they are)."""
    return _TAG.sub(_one, text)


def basis_of(doc: str | None) -> str:
    """The legal basis a command's docstring names, as people cite it ('' when it names none)."""
    found = [cite(m.group(0)) for m in _TAG.finditer(doc or "") if m.group(1) in SOURCE_TITLES]
    return "；".join(dict.fromkeys(found))
