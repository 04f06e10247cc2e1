"""zh-CN labels of the workbench pages (issue 19): household relations, and what the forms need."""

from __future__ import annotations

from domain.household import Relation

RELATION_LABELS: dict[str, str] = {
    Relation.APPLICANT: "申请人本人",
    Relation.SPOUSE: "配偶",
    Relation.CHILD: "子女",
    Relation.PARENT: "父母",
    Relation.SIBLING: "兄弟姐妹",
    Relation.GRANDPARENT: "祖父母、外祖父母",
    Relation.GRANDCHILD: "孙子女、外孙子女",
    Relation.OTHER_DEPENDANT: "其他共同生活的家庭成员",
}
