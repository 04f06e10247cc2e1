"""The project's custom search attributes, for operators searching in the Temporal UI.

Codes and stages only: never a name, an ID number or anything else personal. Imported by workflows, so this
module imports nothing but ``temporalio``.
"""

from __future__ import annotations

from temporalio.api.enums.v1 import IndexedValueType
from temporalio.common import SearchAttributeKey

#: Custom search attributes. Codes and stages only: never a name, ID number or anything personal.
SA_STAGE = SearchAttributeKey.for_keyword("CaseStage")
SA_PROGRAM = SearchAttributeKey.for_keyword("CaseProgram")
SA_TOWNSHIP = SearchAttributeKey.for_keyword("CaseTownship")
SA_OVERDUE = SearchAttributeKey.for_bool("CaseOverdue")

SEARCH_ATTRIBUTES: dict[str, IndexedValueType.ValueType] = {
    SA_STAGE.name: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
    SA_PROGRAM.name: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
    SA_TOWNSHIP.name: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
    SA_OVERDUE.name: IndexedValueType.INDEXED_VALUE_TYPE_BOOL,
}

_DEV_SERVER_TYPE = {
    IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD: "Keyword",
    IndexedValueType.INDEXED_VALUE_TYPE_BOOL: "Bool",
}


def dev_server_search_attribute_args() -> list[str]:
    """``--search-attribute Name=Type`` arguments registering the attributes on a dev server at start."""
    args: list[str] = []
    for name, kind in SEARCH_ATTRIBUTES.items():
        args += ["--search-attribute", f"{name}={_DEV_SERVER_TYPE[kind]}"]
    return args


