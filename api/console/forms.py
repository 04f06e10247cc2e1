"""Forms generated from the API's command models (issue 19 item 2): one form per command a person may send now.

Nothing here is written per step. Each command's strict API model (``api.schemas.ApiCommand``, what
``POST /v1/cases/{id}/commands`` validates) gives its fields through its JSON schema; the widget follows the
type (text, long text, one-per-line list, choice, yes/no, number, date, a table of rows for a list of small
records, JSON for anything deeper); labels come from :mod:`api.console.workbench_labels` by field name, the
field's own ``description`` otherwise, and the legal basis from the command's docstring. A programme's new
command therefore gets a form without any console change. A submitted form is turned back into the command's
JSON and sent to the API itself; the API's 422 names the field, shown next to it in Chinese.
"""

from __future__ import annotations

import json
import re
import typing
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from api.console.citations import basis_of, cite
from api.console.workbench_labels import COMMAND_LABELS, FIELD_LABELS, OPTION_LABELS, RELATION_LABELS
from api.schemas import ApiCommand

#: The API's command models by ``type``.
API_COMMANDS: dict[str, type[BaseModel]] = {
    m.model_fields["type"].default: m for m in typing.get_args(typing.get_args(ApiCommand)[0])
}

#: Rows offered for a list of small records (a 民主评议's attendance, close relatives).
_ROWS = 6


@dataclass
class FormField:
    """One input of a form: its name (its path in the command's JSON), label, hint, widget and value."""

    name: str
    label: str
    hint: str
    widget: str  # text | textarea | lines | select | checkboxes | bool | number | decimal | date | rows | json
    required: bool
    options: list[tuple[str, str]] = field(default_factory=list)
    value: Any = ""
    columns: list[FormField] = field(default_factory=list)  # for rows
    default: str = ""  # what the API takes when the input is left empty (shown as the empty choice)
    integers: bool = False  # checkboxes whose values are integers (members by index)
    rows: int = 0
    error: str = ""


@dataclass
class CommandForm:
    type: str
    title: str
    basis: str
    fields: list[FormField]
    side: bool = False
    error: str = ""


def command_title(command_type: str) -> str:
    model = API_COMMANDS.get(command_type)
    if command_type in COMMAND_LABELS:
        return COMMAND_LABELS[command_type]
    doc = (_doc(model) or command_type).strip().split("\n")[0] if model else command_type
    return cite(doc.split(". ")[0])


def _resolve(schema: dict[str, Any], defs: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """The schema without ``$ref`` and without its ``null`` alternative; and whether null was allowed."""
    nullable = False
    if "anyOf" in schema:
        options = [o for o in schema["anyOf"] if o.get("type") != "null"]
        nullable = len(options) < len(schema["anyOf"])
        # Decimal: number or string; keep the number's bounds, mark it decimal.
        if len(options) == 2 and {o.get("type") for o in options} == {"number", "string"}:
            return {**next(o for o in options if o.get("type") == "number"), "decimal": True}, nullable
        schema = {**schema, **options[0]} if len(options) == 1 else schema
        schema.pop("anyOf", None) if len(options) == 1 else None
    if "$ref" in schema:
        ref = defs[schema["$ref"].rsplit("/", 1)[-1]]
        schema = {**ref, **{k: v for k, v in schema.items() if k != "$ref"}}
    return schema, nullable


def _label(name: str, schema: dict[str, Any]) -> tuple[str, str]:
    if name in FIELD_LABELS:
        return FIELD_LABELS[name]
    return schema.get("description") or schema.get("title") or name, ""


def _options(values: list[Any]) -> list[tuple[str, str]]:
    return [(str(v), OPTION_LABELS.get(str(v), str(v))) for v in values]


def _scalar_widget(name: str, schema: dict[str, Any], members: list[tuple[int, str]]) -> tuple[str, list[Any]]:
    kind = schema.get("type")
    if "enum" in schema:
        return "select", _options(schema["enum"])
    if kind == "boolean":
        return "bool", [("true", "是"), ("false", "否")]
    if kind == "integer" and name == "member_index":
        return "select", [(str(i), label) for i, label in members]
    if kind == "integer":
        return "number", []
    if kind == "number" or schema.get("decimal"):
        return "decimal", []
    if kind == "string" and schema.get("format") == "date":
        return "date", []
    if kind == "string":
        return ("textarea" if (schema.get("maxLength") or 0) > 200 else "text"), []
    return "json", []


def _field(name: str, schema: dict[str, Any], defs: dict[str, Any], required: bool,
           members: list[tuple[int, str]]) -> FormField:
    schema, nullable = _resolve(schema, defs)
    label, hint = _label(name, schema)
    required = required and not nullable
    if schema.get("type") == "array":
        items, _ = _resolve(schema.get("items", {}), defs)
        if "enum" in items:
            return FormField(name, label, hint, "checkboxes", required, _options(items["enum"]), value=[])
        if items.get("type") == "string":
            return FormField(name, label, hint or "每行一项", "lines", required)
        if items.get("type") == "integer" and "member" in name:  # members of the household, by name
            return FormField(name, label, hint, "checkboxes", required, [(str(i), t) for i, t in members],
                             value=[], integers=True)
        props = items.get("properties", {})
        if items.get("type") == "object" and props:
            columns = []
            for sub, sub_schema in props.items():
                resolved, _ = _resolve(sub_schema, defs)
                if resolved.get("type") in ("array", "object"):
                    break
                columns.append(_field(sub, sub_schema, defs, sub in items.get("required", []), members))
            else:
                rows = min(int(schema.get("maxItems", _ROWS)), _ROWS)
                return FormField(name, label, hint, "rows", required, columns=columns, rows=rows)
        return FormField(name, label, hint or "JSON 数组", "json", required, value="[]" if not required else "")
    if schema.get("type") == "object":
        return FormField(name, label, hint or ("JSON 对象，可不填" if not required else ""), "json", required)
    widget, options = _scalar_widget(name, schema, members)
    default = schema.get("default")
    shown_default = OPTION_LABELS.get(str(default), str(default)) if widget == "select" and default else ""
    return FormField(name, label, hint, widget, required, options, default=shown_default)


def member_choices(members: list[Any]) -> list[tuple[int, str]]:
    """The household's members as a choice: 第 1 人 张三（申请人本人）. Names only, no ID numbers."""
    return [(i, f"第 {i + 1} 人 {m.name}（{RELATION_LABELS.get(m.relation, m.relation)}）")
            for i, m in enumerate(members)]


def model_fields(model: type[BaseModel], choices: list[tuple[int, str]], skip: frozenset[str] = frozenset({"type"}),
                 expand: frozenset[str] = frozenset()) -> list[FormField]:
    """The inputs of a model: one per field; a field named in ``expand`` (an object of lists, e.g. the
    declaration) gives one input per field of its own, named ``outer.inner``."""
    schema = model.model_json_schema()
    defs = schema.get("$defs", {})
    required = set(schema.get("required", []))
    out: list[FormField] = []
    for name, prop in schema.get("properties", {}).items():
        if name in skip:
            continue
        resolved, _ = _resolve(prop, defs)
        if name in expand and resolved.get("type") == "object":
            inner_required = set(resolved.get("required", []))
            for inner, inner_prop in resolved.get("properties", {}).items():
                f = _field(inner, inner_prop, defs, inner in inner_required, choices)
                f.name = f"{name}.{inner}"
                f.label, f.hint = FIELD_LABELS.get(f.name, (f.label, f.hint))
                out.append(f)
            continue
        out.append(_field(name, prop, defs, name in required, choices))
    return out


def build_form(command_type: str, members: list[Any], side: bool = False) -> CommandForm:
    """The form of one command, from its API model."""
    model = API_COMMANDS[command_type]
    fields = model_fields(model, member_choices(members))
    for f in fields:  # a field one programme's command names differently ("<command>.<field>" in FIELD_LABELS)
        f.label, f.hint = FIELD_LABELS.get(f"{command_type}.{f.name}", (f.label, f.hint))
    return CommandForm(command_type, command_title(command_type), basis_of(_doc(model)), fields, side)


def basis_of_model(model: type[BaseModel]) -> str:
    """The legal basis the model's docstring names, as people cite it."""
    return basis_of(_doc(model))


def _doc(model: type[BaseModel]) -> str:
    """The first docstring up the model's classes (the API's strict copies may have none of their own)."""
    return next((k.__doc__ for k in model.__mro__ if k.__doc__ and k not in (BaseModel, object)), "")


# --- a submitted form → the command's JSON --------------------------------------------------------------


class FormInvalid(Exception):
    """A value the form itself cannot turn into JSON (only the JSON fields): field → message."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(errors)
        self.errors = errors


def _scalar(f: FormField, raw: str) -> Any:
    raw = raw.strip()
    if raw == "":
        return None
    if f.widget == "bool":
        return raw == "true"
    if f.widget in ("number",) or (f.widget == "select" and f.name == "member_index"):
        try:
            return int(raw)
        except ValueError:
            return raw  # the API says what is wrong with it
    if f.widget == "decimal":
        return raw  # Decimal accepts the text exactly as typed
    return raw


def form_body(fields: list[FormField], data: dict[str, list[str]]) -> dict[str, Any]:
    """The JSON of a submitted form (``data``: a parsed urlencoded body). Empty optional inputs
    are left out; everything is validated by the API, not here.

    Raises:
        FormInvalid: a JSON input is not JSON.
    """
    body: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for f in fields:
        first = (data.get(f.name) or [""])[0]
        if f.widget == "checkboxes":
            values: list[Any] = [v for v in data.get(f.name, []) if v]
            if f.integers:
                values = [int(v) if v.isascii() and v.isdigit() else v for v in values]
            if values or f.required:
                body[f.name] = values
        elif f.widget == "lines":
            values = [line.strip() for line in first.splitlines() if line.strip()]
            if values or f.required:
                body[f.name] = values
        elif f.widget == "rows":
            rows = []
            for i in range(f.rows):
                row = {c.name: _scalar(c, (data.get(f"{f.name}.{i}.{c.name}") or [""])[0]) for c in f.columns}
                if any(v not in (None, False) for v in row.values()):
                    rows.append({k: v for k, v in row.items() if v is not None})
            if rows or f.required:
                body[f.name] = rows
        elif f.widget == "json":
            if first.strip():
                try:
                    body[f.name] = json.loads(first)
                except json.JSONDecodeError:
                    errors[f.name] = "不是有效的 JSON。"
        else:
            value = _scalar(f, first)
            if value is not None:
                body[f.name] = value
    if errors:
        raise FormInvalid(errors)
    for key in [k for k in body if "." in k]:  # expanded objects back into their object
        outer, inner = key.split(".", 1)
        body.setdefault(outer, {})[inner] = body.pop(key)
    return body


def command_body(form: CommandForm, data: dict[str, list[str]]) -> dict[str, Any]:
    """The command's JSON from its submitted form (see :func:`form_body`)."""
    return {"type": form.type, **form_body(form.fields, data)}


def keep_values(form: CommandForm, data: dict[str, list[str]]) -> None:
    """Put what was typed back into the form (a refused form is shown again as it was filled in)."""
    for f in form.fields:
        if f.widget == "checkboxes":
            f.value = data.get(f.name, [])
        elif f.widget == "rows":
            f.value = {k: v[0] for k, v in data.items() if k.startswith(f.name + ".") and v}
        else:
            f.value = (data.get(f.name) or [""])[0]


# --- the API's refusal → messages in Chinese, next to the field it names ----------------------------------

_PYDANTIC_ZH: dict[str, str] = {
    "missing": "此项必须填写。",
    "string_too_short": "此项不能为空。",
    "string_too_long": "内容过长。",
    "bool_parsing": "请选择“是”或“否”。",
    "bool_type": "请选择“是”或“否”。",
    "int_parsing": "请填写整数。",
    "int_type": "请填写整数。",
    "decimal_parsing": "请填写数字。",
    "float_parsing": "请填写数字。",
    "decimal_max_places": "最多保留两位小数。",
    "date_from_datetime_parsing": "日期格式不正确。",
    "date_parsing": "日期格式不正确。",
    "literal_error": "请从列表中选择。",
    "enum": "请从列表中选择。",
    "string_pattern_mismatch": "格式不正确。",
    "extra_forbidden": "不接受此项。",
    "greater_than": "数值过小。",
    "greater_than_equal": "数值过小。",
    "less_than": "数值过大。",
    "less_than_equal": "数值过大。",
}

#: Domain refusals (422 invalid_input) seen at the common steps, in Chinese; others are shown as the domain
#: wrote them under a Chinese heading.
_DOMAIN_ZH: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"at least two different investigators"), "须由至少两名不同的工作人员调查（{basis}）。"),
    (re.compile(r"must be signed"), "记录须经参加人员签字。"),
    (re.compile(r"'ineligible' opinion needs reasons"), "不同意的初审意见须写明理由。"),
    (re.compile(r"'eligible' opinion contradicts the assessment"),
     "“符合条件”的意见与家庭经济状况核算结果不一致，请查看核算明细。"),
    (re.compile(r"mandatory"), "按现行程序必须组织民主评议（{basis}）。"),
    (re.compile(r"at most the urgent cap ([\d.]+) yuan"),
     "超过先行救助限额 {0} 元（{basis}）；金额较大的请按一般程序审批。"),
)


def _too_short(msg: str) -> str:
    m = re.search(r"at least (\d+) item", msg)
    return f"至少填写 {m[1]} 项。" if m else "填写的项数不够。"


#: A validator's refusal (``value_error``, ``invalid_input``) of these fields, in Chinese.
_FIELD_ZH: dict[str, str] = {
    "resident_id": "身份证号无效：请核对位数、出生日期和校验位（15 位旧号码请换用 18 位号码）。",
    "village_code": "不是区划代码表中本县（市）的村（社区）。",
}


def message_zh(error: dict[str, Any], field_name: str | None = None) -> str:
    """One entry of a 422's ``detail`` in Chinese (``field_name``: the field or column it names)."""
    kind, msg = str(error.get("type", "")), str(error.get("msg", ""))
    if field_name in _FIELD_ZH and kind in ("value_error", "invalid_input"):
        return _FIELD_ZH[field_name]
    if kind == "too_short":
        return _too_short(msg)
    if kind == "too_long":
        m = re.search(r"at most (\d+) item", msg)
        return f"最多填写 {m[1]} 项。" if m else "填写的项数过多。"
    if kind in _PYDANTIC_ZH:
        return _PYDANTIC_ZH[kind]
    basis = "；".join(cite(t) for t in re.findall(r"S\d+ Arts?\. [\d, ]+(?: para \d+)?", msg))
    for pattern, text in _DOMAIN_ZH:
        if found := pattern.search(msg):
            return text.format(*found.groups(), basis=basis or "依法").replace("（依法）", "")
    return f"不符合办理规定：{cite(msg)}"


def field_of(loc: list[Any], command_type: str) -> tuple[str, int | None, str | None]:
    """The form field a 422's ``loc`` names: (top-level field, row, column), '' when it names none."""
    path = [p for p in loc if p not in ("body", "command", command_type)]
    if path and isinstance(path[0], str) and path[0].startswith("function-"):  # pydantic's validator frames
        path = path[1:]
    if not path:
        return "", None, None
    row = path[1] if len(path) > 1 and isinstance(path[1], int) else None
    column = path[2] if row is not None and len(path) > 2 and isinstance(path[2], str) else None
    return str(path[0]), row, column


def attach_errors(form: CommandForm, detail: list[dict[str, Any]]) -> None:
    """Put each message of a 422 next to the field it names (the form's heading when it names none)."""
    by_name = {f.name: f for f in form.fields}
    loose = []
    for error in detail:
        name, row, column = field_of(list(error.get("loc", [])), form.type)
        loc = [p for p in error.get("loc", []) if p not in ("body", "command", form.type)]
        if name not in by_name and len(loc) > 1 and f"{name}.{loc[1]}" in by_name:  # an expanded object's list
            name = f"{name}.{loc[1]}"
            row = loc[2] if len(loc) > 2 and isinstance(loc[2], int) else None
            column = loc[3] if row is not None and len(loc) > 3 and isinstance(loc[3], str) else None
        text = message_zh(error, column or name)
        target = by_name.get(name)
        if target is None:
            loose.append(text)
            continue
        where = ""
        if row is not None:
            where = f"第 {row + 1} 行" + (f"“{_column_label(target, column)}”" if column else "") + "："
        target.error = (target.error + " " if target.error else "") + where + text
    form.error = " ".join(loose)


def _column_label(f: FormField, column: str | None) -> str:
    return next((c.label for c in f.columns if c.name == column), column or "")
