"""Printable notices: content required by S1, privacy of public notices (SPEC §9), escaping."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from adapters.rendering.notices import render_notice
from domain.divisions import LUFENG_TOWNSHIPS
from domain.notices import (
    DEFAULT_REMEDY_TEXT,
    AcceptanceNotice,
    ApprovalNotice,
    DeficiencyNotice,
    Issuer,
    PublicationList,
    PublicityNotice,
    PublicNoticeEntry,
    RejectionNotice,
    first_payment_month,
    month_label,
    yuan,
)

TOWNSHIP = Issuer(name="禄丰市金山镇人民政府")
COUNTY = Issuer(name="禄丰市民政局")
JINSHAN = LUFENG_TOWNSHIPS["532302101"]
REASON = "家庭人均月收入高于当地最低生活保障标准"


def entry(**kw: Any) -> PublicNoticeEntry:
    return PublicNoticeEntry(**{"name": "李秀英", "household_size": 3, "amount": Decimal("710"), **kw})


ENTRIES = [entry(), entry(name="阿衣·木呷", household_size=1, amount=Decimal("455.5"))]


def deficiency(**kw: Any) -> DeficiencyNotice:
    return DeficiencyNotice(**{"case_ref": "LF-2026-000123", "applicant_name": "李秀英", "issuer": TOWNSHIP,
                               "missing_items": ["户口簿复印件", "赡养义务人的核对授权书"],
                               "issued_on": date(2026, 11, 3), **kw})


def publicity(**kw: Any) -> PublicityNotice:
    return PublicityNotice(**{"village_name": "金山社区", "township_name": JINSHAN, "entries": ENTRIES,
                              "period_start": date(2026, 11, 20), "period_end": date(2026, 11, 26),
                              "issuer": TOWNSHIP, **kw})


def publication(**kw: Any) -> PublicationList:
    return PublicationList(**{"village_name": "金山社区", "township_name": JINSHAN, "entries": ENTRIES,
                              "published_on": date(2026, 12, 20), "issuer": COUNTY, **kw})


def rejection(**kw: Any) -> RejectionNotice:
    return RejectionNotice(**{"case_ref": "LF-2026-000124", "applicant_name": "张国华", "issuer": COUNTY,
                              "reasons": [REASON], "remedy": DEFAULT_REMEDY_TEXT,
                              "decided_on": date(2026, 12, 10), "issued_on": date(2026, 12, 11), **kw})


def approval(**kw: Any) -> ApprovalNotice:
    return ApprovalNotice(**{"case_ref": "LF-2026-000123", "applicant_name": "李秀英", "household_size": 3,
                             "monthly_amount": Decimal("710"), "first_payment_month": "2027-01",
                             "decided_on": date(2026, 12, 15), "issuer": COUNTY, **kw})


ACCEPTANCE = AcceptanceNotice(case_ref="LF-2026-000123", applicant_name="李秀英",
                              accepted_on=date(2026, 11, 5), issuer=TOWNSHIP)
ARTICLES = {"deficiency": "第十条", "acceptance": "第十条", "publicity": "第十九条",
            "publication": "第二十四条", "rejection": "第二十一条", "approval": "第二十一条"}
CASES = {
    "deficiency": (deficiency(), ["最低生活保障申请材料一次性告知书", "李秀英：", "LF-2026-000123",
                                  "户口簿复印件", "赡养义务人的核对授权书", "全部材料", "2026年11月3日"]),
    "acceptance": (ACCEPTANCE, ["最低生活保障申请受理通知书", "李秀英：", "予以受理", "2026年11月5日",
                                "3个工作日内"]),
    "publicity": (publicity(), ["最低生活保障初审意见公示", "金山镇金山社区", "阿衣·木呷", "710.00", "455.50",
                                "自2026年11月20日起至2026年11月26日止", "请于2026年11月26日前",
                                "12349 社会救助服务热线", "保障金额（元/月）"]),
    "publication": (publication(), ["最低生活保障审核确认结果公布", "李秀英", "710.00", "家庭人口",
                                    "2026年12月20日"]),
    "rejection": (rejection(), ["最低生活保障不予确认通知书", "张国华：", "不予确认同意", REASON,
                                "第三十八条", DEFAULT_REMEDY_TEXT, "2026年12月10日决定", "2026年12月11日"]),
    "approval": (approval(), ["最低生活保障确认通知书", "予以确认同意", "保障人口：3人", "710.00元/月",
                              "自2027年1月起", "2026年12月15日"]),
}


def visible_text(html: str) -> str:
    return re.sub(r"\s+", "", re.sub(r"<style.*?</style>|<[^>]+>", "", html, flags=re.S))


@pytest.mark.parametrize("kind", CASES)
def test_each_notice_renders_a_printable_chinese_page_with_its_required_content(kind: str) -> None:
    notice, expected = CASES[kind]

    html = render_notice(notice)

    assert html.startswith('<!DOCTYPE html>\n<html lang="zh-CN">')
    assert '<meta charset="utf-8">' in html and "@page { size: A4;" in html
    assert '"SimSun", "Songti SC", "Noto Serif CJK SC", serif' in html
    text = visible_text(html)
    article = f"《最低生活保障审核确认办法》{ARTICLES[kind]}"
    wanted = [*expected, article, *notice.legal_basis, notice.issuer.name]
    assert [s for s in wanted if re.sub(r"\s", "", s) not in text] == []
    assert re.search(r'<p class="issuer">[^<]+</p>\s*<p class="date">\d{4}年\d{1,2}月\d{1,2}日</p>', html)


@pytest.mark.parametrize(
    ("make", "extra"),
    [(entry, {"resident_id": "532302198001011234"}), (entry, {"phone": "13912345678"}),
     (publicity, {"address": "金山社区3组12号"}), (publication, {"disability_grade": 1})],
)
def test_public_notice_models_reject_any_field_beyond_the_whitelist(make: Any, extra: dict[str, Any]) -> None:
    with pytest.raises(ValidationError, match="Extra inputs are not permitted"):
        make(**extra)


@pytest.mark.parametrize("name", ["532302198001011234", "５３２３０２１９８００１０１１２３４", "李139123"])
def test_public_names_cannot_carry_an_id_or_phone_number(name: str) -> None:
    with pytest.raises(ValidationError, match="must not contain digits"):
        entry(name=name)
    with pytest.raises(ValidationError, match="must not contain digits"):
        publication(village_name=f"金山社区{name}")


def entry_or_none(name: str) -> PublicNoticeEntry | None:
    try:
        return entry(name=name, household_size=30, amount=Decimal("99999999.99"))
    except ValidationError:
        return None


def test_rendered_public_notices_hold_no_id_like_number_even_with_odd_names() -> None:
    """Whatever names get past validation, no 17/18-digit run reaches the page (nor across table cells)."""
    odd = ["阿衣·木呷", "X" * 50, "Ma Xiaoli", "<b>王</b>", "－", "532302198001011234",
           "王 53230219800101123X", "５３２３０２１９８００１０１１２３４"]
    entries = [e for e in map(entry_or_none, odd) if e is not None]
    for notice in (publicity(entries=entries), publication(entries=entries)):
        text = visible_text(render_notice(notice))
        assert "99999999.99" in text
        assert re.search(r"\d{17}", text) is None


def test_names_and_free_text_are_html_escaped() -> None:
    page = render_notice(deficiency(applicant_name="<script>", missing_items=["a & <i>b</i>"]))
    public = render_notice(publicity(entries=[entry(name="<script>")]))

    for html in (page, public):
        assert "&lt;script&gt;" in html and "<script>" not in html
    assert "a &amp; &lt;i&gt;b&lt;/i&gt;" in page


def test_approval_pays_from_the_month_after_the_decision() -> None:
    assert first_payment_month(date(2026, 12, 15)) == "2027-01"
    assert first_payment_month(date(2026, 11, 30)) == "2026-12"
    with pytest.raises(ValidationError, match="month after decided_on"):
        approval(first_payment_month="2026-12")


@pytest.mark.parametrize(
    ("make", "bad"),
    [
        (deficiency, {"missing_items": []}), (rejection, {"reasons": []}),
        (rejection, {"issued_on": date(2026, 12, 9)}), (publicity, {"period_end": date(2026, 11, 19)}),
        (publicity, {"entries": []}), (approval, {"monthly_amount": Decimal("0")}),
        (approval, {"first_payment_month": "2027-1"}), (entry, {"amount": Decimal("710.005")}),
        (entry, {"household_size": 0}),
    ],
)
def test_notices_reject_incoherent_content(make: Any, bad: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        make(**bad)


def test_chinese_month_and_yuan_formatting() -> None:
    assert (month_label("2026-12"), month_label("2027-01")) == ("2026年12月", "2027年1月")
    assert [yuan(Decimal(v)) for v in ("710", "455.5", "0.005")] == ["710.00", "455.50", "0.01"]
    with pytest.raises(ValueError, match="YYYY-MM"):
        month_label("2026-13")


def test_notices_are_immutable_and_unknown_types_are_not_rendered() -> None:
    with pytest.raises(ValidationError, match="frozen"):
        ACCEPTANCE.applicant_name = "王"  # type: ignore[misc]

    class Other(BaseModel):
        issuer: Issuer = COUNTY

    with pytest.raises(TypeError, match="no notice template"):
        render_notice(Other())  # type: ignore[arg-type]


def test_a_refusal_notice_carries_reasons_as_long_as_the_refusal_allows_and_masks_id_numbers() -> None:
    """S1 Arts. 21, 38; SPEC §9: ``Reject`` accepts reasons of up to 2,000 characters, so the notice must too
    (a shorter limit made the notice page fail); an ID number quoted in a reason is masked."""
    long_reason = "家庭财产超过规定标准，" * 150 + "见532302198001011231名下车辆。"
    notice = rejection(reasons=[long_reason])
    assert len(notice.reasons[0]) > 1500
    assert "532302198001011231" not in notice.reasons[0]
    assert "532302********1231" in notice.reasons[0]
