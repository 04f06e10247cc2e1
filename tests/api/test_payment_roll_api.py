"""``/v1/payment-rolls`` and ``PUT /v1/cases/{id}/payee`` over HTTP against real PostgreSQL.

Cases are seeded in the store as the workflow's record activity writes them (the roll reads the store only).
Each test uses months of its own; see tests/integration/test_payment_roll_pg.py.
"""

from __future__ import annotations

import uuid

import asyncpg
import httpx

from domain.actors import Role
from tests.api.conftest import TokenFactory
from tests.builders import BICHENG, JINSHAN
from tests.integration.test_payment_roll_pg import BICHENG_VILLAGE_1, seed_case

ROLLS = "/v1/payment-rolls"


async def test_a_township_approver_generates_its_roll_once_and_reads_it_as_json(
    http: httpx.AsyncClient, auth: TokenFactory, pg_pool: asyncpg.Pool
) -> None:
    """S1 Arts. 21, 25: 201 when the roll is made, 200 with the same lines when asked again."""
    case = await seed_case(pg_pool, [("2011-01", "480.00", 3)])
    approver = auth(Role.TOWNSHIP_APPROVER, JINSHAN, sub="jinshan-approver")

    first = await http.post(ROLLS, json={"township_code": JINSHAN, "month": "2011-02"}, headers=approver)
    again = await http.post(ROLLS, json={"township_code": JINSHAN, "month": "2011-02"}, headers=approver)
    read = await http.get(f"{ROLLS}/{JINSHAN}/2011-02", headers=auth(Role.AUDITOR, "532302"))

    assert first.status_code == 201, first.text
    assert again.status_code == 200, again.text
    assert first.headers["location"] == f"{ROLLS}/{JINSHAN}/2011-02"
    assert first.headers["cache-control"] == "no-store"
    assert first.json() == again.json() == read.json()
    body = read.json()
    assert body["generated_by"] == "jinshan-approver"
    line = next(x for x in body["lines"] if x["case_id"] == str(case.case_id))
    assert line == {
        "case_id": str(case.case_id), "village_code": case.village_code, "applicant_name": "测试甲",
        "resident_id_masked": case.members[0].resident_id[:6] + "********" + case.members[0].resident_id[-4:],
        "household_size": 3, "amount": "480.00", "account_ref": None, "account_masked": None,
        "program": "dibao",
    }
    assert set(body["totals"]) == {"lines", "households", "persons", "amount", "without_account"}
    assert body["totals_by_program"]["dibao"]["lines"] >= 1  # one roll, every programme's lines, totals per programme
    assert "created" not in body
    assert all(m.resident_id not in read.text for m in case.members)


async def test_a_township_approver_of_jinshan_may_not_make_or_read_bichengs_roll(
    http: httpx.AsyncClient, auth: TokenFactory, pg_pool: asyncpg.Pool
) -> None:
    """Jurisdiction (SPEC §2): a township's staff act on their own township only."""
    await seed_case(pg_pool, [("2011-01", "480.00")], village_code=BICHENG_VILLAGE_1)
    jinshan = auth(Role.TOWNSHIP_APPROVER, JINSHAN)
    made = await http.post(ROLLS, json={"township_code": BICHENG, "month": "2011-04"},
                           headers=auth(Role.COUNTY_APPROVER, "532302"))
    assert made.status_code == 201, made.text

    refused = await http.post(ROLLS, json={"township_code": BICHENG, "month": "2011-04"}, headers=jinshan)
    reads = [await http.get(f"{ROLLS}/{BICHENG}/2011-04{suffix}", headers=jinshan)
             for suffix in ("", ".csv", ".html")]

    assert refused.status_code == 403
    assert refused.json()["code"] == "not_permitted"
    assert [r.status_code for r in reads] == [403, 403, 403]


async def test_roles_without_the_right_are_refused(http: httpx.AsyncClient, auth: TokenFactory) -> None:
    body = {"township_code": JINSHAN, "month": "2011-05"}
    front = await http.post(ROLLS, json=body, headers=auth(Role.FRONT_OFFICE, JINSHAN))
    supervisor_makes = await http.post(ROLLS, json=body, headers=auth(Role.SUPERVISOR, "532302"))
    url = f"{ROLLS}/{JINSHAN}/2011-05"
    caseworker_reads = await http.get(url, headers=auth(Role.TOWNSHIP_CASEWORKER, JINSHAN))
    supervisor_reads = await http.get(url, headers=auth(Role.SUPERVISOR, "532302"))
    anonymous = await http.get(url)

    assert [front.status_code, supervisor_makes.status_code, caseworker_reads.status_code] == [403, 403, 403]
    assert supervisor_reads.status_code == 404  # allowed, but the roll was never generated
    assert supervisor_reads.json() == {"detail": "payment roll not generated"}
    assert anonymous.status_code == 401


async def test_a_bad_month_or_township_is_422_naming_the_field(
    http: httpx.AsyncClient, auth: TokenFactory
) -> None:
    county = auth(Role.COUNTY_REVIEWER, "532302")

    post = await http.post(ROLLS, json={"township_code": JINSHAN, "month": "2027-13"}, headers=county)
    get = await http.get(f"{ROLLS}/{JINSHAN}/2027-13", headers=county)
    csv = await http.get(f"{ROLLS}/{JINSHAN}/2027-13.csv", headers=county)
    township = await http.post(ROLLS, json={"township_code": "5323021", "month": "2027-03"}, headers=county)

    assert [r.status_code for r in (post, get, csv, township)] == [422, 422, 422, 422]
    assert post.json()["detail"][0]["loc"] == ["body", "month"]
    assert "YYYY-MM" in post.json()["detail"][0]["msg"]
    assert get.json()["detail"][0]["loc"] == ["path", "month"]
    assert township.json()["detail"][0]["loc"] == ["body", "township_code"]


async def test_a_roll_is_drawn_up_at_most_for_next_month(http: httpx.AsyncClient, auth: TokenFactory) -> None:
    """SPEC §8.3: lines fixed months ahead would outlive a later stop, so a roll further ahead is refused."""
    county = auth(Role.COUNTY_REVIEWER, "532302")
    ahead = await http.post(ROLLS, json={"township_code": JINSHAN, "month": "2099-01"}, headers=county)
    assert ahead.status_code == 422
    assert ahead.json()["detail"][0]["loc"] == ["body", "month"]
    assert "next month" in ahead.json()["detail"][0]["msg"]


async def test_the_csv_has_a_bom_chinese_headers_and_no_full_id_or_account_number(
    http: httpx.AsyncClient, auth: TokenFactory, pg_pool: asyncpg.Pool
) -> None:
    """SPEC §9; S4 Art. 61: the file for Excel carries the masked ID and the account's last four digits."""
    case = await seed_case(pg_pool, [("2012-01", "600.00")])
    account = "6217002870012345678"
    put = await http.put(f"/v1/cases/{case.case_id}/payee", json={"bank_name": "禄丰农村商业银行",
                         "account_number": account}, headers=auth(Role.FRONT_OFFICE, JINSHAN))
    assert put.status_code == 200, put.text
    county = auth(Role.COUNTY_REVIEWER, "532302")
    await http.post(ROLLS, json={"township_code": JINSHAN, "month": "2012-03"}, headers=county)

    got = await http.get(f"{ROLLS}/{JINSHAN}/2012-03.csv", headers=county)

    assert got.status_code == 200
    assert got.headers["content-type"].startswith("text/csv")
    assert "attachment" in got.headers["content-disposition"]
    assert got.content.startswith(b"\xef\xbb\xbf")
    text = got.content.decode("utf-8-sig")
    header = text.splitlines()[0]
    for title in ("村(社区)代码", "户主姓名", "身份证号(脱敏)", "保障人数", "月保障金额(元)", "账户引用"):
        assert title in header
    row = next(r for r in text.splitlines() if str(case.case_id) in r)
    assert put.json()["account_ref"] in row
    assert "****5678" in row
    assert account not in text
    assert all(m.resident_id not in text for m in case.members)


async def test_the_printable_roll_is_a_chinese_page_with_its_title_and_totals(
    http: httpx.AsyncClient, auth: TokenFactory, pg_pool: asyncpg.Pool
) -> None:
    case = await seed_case(pg_pool, [("2013-01", "710.00", 4)])
    approver = auth(Role.TOWNSHIP_APPROVER, JINSHAN)
    await http.post(ROLLS, json={"township_code": JINSHAN, "month": "2013-03"}, headers=approver)

    page = await http.get(f"{ROLLS}/{JINSHAN}/2013-03.html", headers=approver)
    missing = await http.get(f"{ROLLS}/{JINSHAN}/2013-04.html", headers=approver)

    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert '<html lang="zh-CN">' in page.text
    assert "<title>禄丰市 金山镇 2013年3月 最低生活保障金发放名册</title>" in page.text
    assert "710.00" in page.text
    assert "合计" in page.text
    assert "@page { size: A4 landscape" in page.text
    assert all(m.resident_id not in page.text for m in case.members)
    assert missing.status_code == 404


async def test_a_payee_put_answers_the_reference_and_the_last_four_digits_only(
    http: httpx.AsyncClient, auth: TokenFactory, pg_pool: asyncpg.Pool
) -> None:
    """S1 Art. 25 (paid into an account); SPEC §9: the number is never sent back; the reference is stable."""
    case = await seed_case(pg_pool, [("2014-01", "500.00")])
    other = await seed_case(pg_pool, [("2014-01", "500.00")], village_code=BICHENG_VILLAGE_1)
    caseworker = auth(Role.TOWNSHIP_CASEWORKER, JINSHAN)
    url = f"/v1/cases/{case.case_id}/payee"

    def payee(number: str, bank: str = "禄丰农村商业银行") -> dict[str, str]:
        return {"bank_name": bank, "account_number": number}

    first = await http.put(url, json=payee("6217002870012345678"), headers=caseworker)
    second = await http.put(url, json=payee("622188990000 4321", "中国邮政储蓄银行"),
                            headers=auth(Role.FRONT_OFFICE, JINSHAN))
    bad = await http.put(url, json=payee("62170028700123abc"), headers=caseworker)
    outside = await http.put(f"/v1/cases/{other.case_id}/payee", json=payee("6217002870012345678"),
                             headers=caseworker)
    approver = await http.put(url, json=payee("6217002870012345678"),
                              headers=auth(Role.TOWNSHIP_APPROVER, JINSHAN))
    unknown = await http.put(f"/v1/cases/{uuid.uuid4()}/payee", json=payee("6217002870012345678"),
                             headers=caseworker)

    assert first.status_code == 200, first.text
    assert set(first.json()) == {"account_ref", "account_masked"}
    assert first.json()["account_masked"] == "****5678"
    assert "6217002870012345678" not in first.text
    assert second.status_code == 200
    assert second.json() == {"account_ref": first.json()["account_ref"], "account_masked": "****4321"}
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"] == ["body", "account_number"]
    assert "62170028700123abc" not in bad.text
    assert outside.status_code == 403
    assert approver.status_code == 403
    assert unknown.status_code == 404
    stored = await pg_pool.fetchrow("SELECT bank_name, account_number FROM case_payees WHERE case_id = $1",
                                    case.case_id)
    assert dict(stored) == {"bank_name": "中国邮政储蓄银行", "account_number": "6221889900004321"}
