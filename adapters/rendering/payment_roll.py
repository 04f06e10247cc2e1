"""Render a payment roll (发放名册) as CSV for Excel and as a printable HTML page in Chinese.

Both show exactly the fields of :class:`adapters.db.payments.RollLine`: the applicant's name, the masked resident
ID number, the household size, the amount, the account reference and the account's last four digits
(SPEC §9; S4 Art. 61). Neither can show a full ID or account number: the roll never holds one. Lines withdrawn
before they were paid are not in the CSV (the file the bank pays from); the printable page lists them apart,
marked 已撤回, outside the totals.
"""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

from pydantic import BaseModel, ConfigDict

from adapters.db.payments import BankLine, Roll
from adapters.rendering.notices import template_environment
from adapters.rendering.xlsx import Sheet, workbook_bytes
from domain.divisions import KNOWN_TOWNSHIPS, county_of, village_name
from domain.kernel.clock import CHINA_TZ
from domain.notices import month_label, yuan
from domain.parameters import ParameterBook
from domain.programmes import REGISTRY

#: Excel reads a CSV file as the local code page (GBK on Chinese Windows) unless it starts with a BOM.
CSV_ENCODING = "utf-8-sig"

CSV_HEADER = (
    "序号",
    "村(社区)代码",
    "案件编号",
    "户主姓名",
    "身份证号(脱敏)",
    "保障人数",
    "月保障金额(元)",
    "账户引用",
    "银行账号(后四位)",
    # 特困 (S4 Art. 15; S3 Art. 20): the two parts of the amount; empty for other programmes.
    "救助项目",
    "其中基本生活(元)",
    "其中照料护理(元)",
)

# A cell starting with one of these is a formula to a spreadsheet (CSV injection): names are free text.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class RollHeading(BaseModel):
    """The names printed above a roll."""

    model_config = ConfigDict(frozen=True)

    county_name: str
    township_name: str
    month_label: str

    @property
    def title(self) -> str:
        """E.g. ``禄丰市 金山镇 2027年3月 最低生活保障金发放名册``."""
        return f"{self.county_name} {self.township_name} {self.month_label} 最低生活保障金发放名册"


def roll_heading(roll: Roll, book: ParameterBook | None = None) -> RollHeading:
    """The county and township names of a roll, from the parameter book (else the division table, else codes).

    Args:
        roll: the roll.
        book: the county's parameter book, when there is one.
    """
    county_code = county_of(roll.township_code)
    if book is not None and book.county_code == county_code:
        county, township = book.county_name, book.townships.get(roll.township_code)
    else:
        county, township = county_code, None
    township = township or KNOWN_TOWNSHIPS.get(county_code, {}).get(roll.township_code) or roll.township_code
    return RollHeading(county_name=county, township_name=township, month_label=month_label(roll.month))


def _cell(text: str) -> str:
    return f"'{text}" if text.startswith(_FORMULA_START) else text


def render_roll_csv(roll: Roll) -> bytes:
    """The roll's lines as CSV: UTF-8 with a BOM, Chinese headers, one line per household, CRLF line ends.

    Args:
        roll: the roll.

    Returns:
        The file's bytes.
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    for index, line in enumerate(roll.lines, start=1):
        writer.writerow((
            index,
            line.village_code,
            line.case_id,
            _cell(line.applicant_name),
            line.resident_id_masked,
            line.household_size,
            yuan(line.amount),
            line.account_ref or "",
            line.account_masked or "",
            line.program or "dibao",
            yuan(line.basic_amount) if line.basic_amount is not None else "",
            yuan(line.care_amount) if line.care_amount is not None else "",
        ))
    return out.getvalue().encode(CSV_ENCODING)


_ENV = template_environment()


def render_roll_html(roll: Roll, heading: RollHeading, printed_on: date) -> str:
    """The roll as a printable page (A4 landscape), with totals and signature lines.

    Args:
        roll: the roll.
        heading: county, township and month names (:func:`roll_heading`).
        printed_on: the date printed as 制表日期 (passed in: rendering reads no clock).

    Returns:
        The HTML text, ``<html lang="zh-CN">``.
    """
    generated_on = roll.generated_at.astimezone(CHINA_TZ).date()
    return _ENV.get_template("payment_roll.html").render(
        roll=roll, heading=heading, printed_on=printed_on, generated_on=generated_on
    )


_PROGRAM_TITLES = {p.code.value: p.title for p in REGISTRY.values()}

XLSX_HEADER = (
    "序号", "村(社区)", "村(社区)代码", "案件编号", "救助项目", "户主姓名", "身份证号(脱敏)", "保障人数",
    "月保障金额(元)", "其中基本生活(元)", "其中照料护理(元)", "银行账号(后四位)", "账户引用",
)


def render_roll_xlsx(roll: Roll, heading: RollHeading) -> bytes:
    """The roll as an Excel workbook (台账, issue 19 item 7): the same lines and masking as the CSV, with the
    village names and programme titles in Chinese, and a totals row."""
    rows: list[tuple[object, ...]] = [
        (i, village_name(line.village_code) or "", line.village_code, str(line.case_id),
         _PROGRAM_TITLES.get(line.program or "dibao", line.program or ""), line.applicant_name,
         line.resident_id_masked, line.household_size, line.amount, line.basic_amount, line.care_amount,
         line.account_masked or "未登记", str(line.account_ref or ""))
        for i, line in enumerate(roll.lines, start=1)
    ]
    rows.append(("合计", "", "", f"{roll.totals.households}户", "", "", "", roll.totals.persons,
                 roll.totals.amount, None, None, f"未登记账户{roll.totals.without_account}户", ""))
    return workbook_bytes(Sheet("发放名册", XLSX_HEADER, rows, caption=heading.title))


BANK_HEADER = ("序号", "姓名", "身份证号码", "开户银行", "银行账号", "发放金额(元)", "补贴项目", "村(社区)",
               "保障人数", "案件编号")
BANK_MISSING_HEADER = ("序号", "姓名", "村(社区)", "发放金额(元)", "案件编号", "说明")


def render_bank_file_xlsx(lines: list[BankLine], heading: RollHeading) -> bytes:
    """The bank file for 惠民惠农财政补贴资金"一卡通" (issue 19 item 7): one row per payment with the payee's
    name, full ID number, bank and full account number and the amount, a totals row; the lines without a
    recorded account on a second sheet (the bank cannot pay them; the township records the account first)."""
    payable = [x for x in lines if x.account_number]
    missing = [x for x in lines if not x.account_number]
    rows: list[tuple[object, ...]] = [
        (i, x.applicant_name, x.resident_id, x.bank_name or "", x.account_number or "", x.amount,
         _PROGRAM_TITLES.get(x.program, x.program), village_name(x.village_code) or x.village_code,
         x.household_size, str(x.case_id))
        for i, x in enumerate(payable, start=1)
    ]
    rows.append(("合计", f"{len(payable)}笔", "", "", "", sum((x.amount for x in payable), Decimal("0.00")),
                 "", "", sum(x.household_size for x in payable), ""))
    gaps = [(i, x.applicant_name, village_name(x.village_code) or x.village_code, x.amount, str(x.case_id),
             "未登记收款账户，不能发放") for i, x in enumerate(missing, start=1)]
    title = f"{heading.county_name} {heading.township_name} {heading.month_label} 惠民惠农财政补贴资金“一卡通”发放明细"
    return workbook_bytes(Sheet("一卡通发放明细", BANK_HEADER, rows, caption=title),
                          Sheet("未登记账户", BANK_MISSING_HEADER, gaps))
