"""The forms of the workbench (issue 19 item 2): generated from the API's command models, offered as the domain
allows (role, stage, guards), sent through the API with an Idempotency-Key; a refusal in Chinese next to the field
it names and nothing changed; success shows the new stage."""

from __future__ import annotations

import re

import httpx
from fastapi import FastAPI

from api.console.forms import API_COMMANDS, build_form
from domain.actors import Role
from domain.household import Member
from tests.api.conftest import TokenFactory
from tests.api.test_console import browser, logged_in
from tests.builders import JINSHAN, application_body


def _key(page: str, command: str) -> str:
    block = page[page.index(f'id="form-{command}"'):]
    return re.search(r'name="_idempotency_key" value="([0-9a-f]+)"', block)[1]  # type: ignore[index]


def test_tekun_termination_names_its_ground_not_an_extension_s3_art_24() -> None:
    members = [Member(name="张三", resident_id="532302198001011231", relation="applicant")]
    [ground] = [f for f in build_form("propose_termination", members).fields if f.name == "ground"]
    assert ground.label == "终止事由"
    [extension] = [f for f in build_form("extend_deadline", members).fields if f.name == "ground"]
    assert extension.label == "延期事由"


def test_every_human_command_of_every_programme_has_a_generated_form() -> None:
    members = [Member(name="张三", resident_id="532302198001011231", relation="applicant")]
    for command_type in API_COMMANDS:
        form = build_form(command_type, members)
        assert form.title and not form.title.isascii(), command_type  # a Chinese title
        assert all(f.label for f in form.fields)


async def test_a_caseworker_starts_the_investigation_from_the_form_after_a_refusal_in_chinese(
        app: FastAPI, http: httpx.AsyncClient, auth: TokenFactory) -> None:
    """S1 Arts. 15, 16: the investigation needs at least two investigators; one is refused, next to the field."""
    created = await http.post("/v1/cases", json=application_body(), headers=auth(Role.FRONT_OFFICE, JINSHAN))
    case_id = created.json()["case_id"]
    async with browser(app) as window:
        await logged_in(window, app.state.settings, Role.FRONT_OFFICE, JINSHAN)
        page = (await window.get(f"/console/cases/{case_id}")).text
        assert 'id="form-accept_application"' in page and 'id="form-start_investigation"' not in page
        sent = await window.post(f"/console/cases/{case_id}/commands/accept_application",
                                 data={"_idempotency_key": _key(page, "accept_application")})
        assert sent.status_code == 303, sent.text
        shown = await window.get(sent.headers["location"])
        assert "已办理：受理申请。案件现处于“已受理”阶段" in shown.text
    async with browser(app) as township:
        await logged_in(township, app.state.settings, Role.TOWNSHIP_CASEWORKER, JINSHAN)
        page = (await township.get(f"/console/cases/{case_id}")).text
        assert 'id="form-start_investigation"' in page and 'id="form-accept_application"' not in page
        assert "《最低生活保障审核确认办法》第十五条、第十六条" in page
        refused = await township.post(f"/console/cases/{case_id}/commands/start_investigation",
                                      data={"_idempotency_key": _key(page, "start_investigation"),
                                            "investigators": "inv-01"})
        assert refused.status_code == 422
        field = refused.text[refused.text.index('data-field="investigators"'):]
        assert "须由至少两名不同的工作人员调查" in field[:1500]
        detail = await http.get(f"/v1/cases/{case_id}", headers=auth(Role.TOWNSHIP_CASEWORKER, JINSHAN))
        assert detail.json()["stage"] == "accepted"  # nothing changed
        missing = await township.post(f"/console/cases/{case_id}/commands/start_investigation",
                                      data={"_idempotency_key": _key(refused.text, "start_investigation")})
        assert missing.status_code == 422 and "至少填写 1 项" in missing.text
        ok = await township.post(f"/console/cases/{case_id}/commands/start_investigation",
                                 data={"_idempotency_key": _key(missing.text, "start_investigation"),
                                       "investigators": "inv-01\ninv-02"})
        assert ok.status_code == 303, ok.text
        after = (await township.get(ok.headers["location"])).text
        assert "已办理：启动家庭经济状况调查" in after and 'id="form-record_home_visit"' in after
        # the case-page defect of issue 19: a deadline whose step is done no longer reads 进行中
        started = after[after.index('data-deadline="start_investigation"'):]
        started = started[:started.index("</tr>")]
        assert "已办结" in started and "进行中" not in started
        visit = await township.post(f"/console/cases/{case_id}/commands/record_home_visit", data={
            "_idempotency_key": _key(after, "record_home_visit"), "investigators": "inv-01\ninv-02",
            "household_signed": "true", "findings": "入户核实家庭成员、住房和收入情况"})
        assert visit.status_code == 303, visit.text
    detail = await http.get(f"/v1/cases/{case_id}", headers=auth(Role.TOWNSHIP_CASEWORKER, JINSHAN))
    assert detail.json()["stage"] == "investigating"
    trail = await http.get(f"/v1/cases/{case_id}/trail", headers=auth(Role.TOWNSHIP_CASEWORKER, JINSHAN))
    types = [t.get("type") for t in trail.json()]
    assert "investigation_started" in types and "home_visit_recorded" in types


async def test_a_double_submission_is_sent_once(app: FastAPI, http: httpx.AsyncClient, auth: TokenFactory) -> None:
    created = await http.post("/v1/cases", json=application_body(), headers=auth(Role.FRONT_OFFICE, JINSHAN))
    case_id = created.json()["case_id"]
    async with browser(app) as window:
        await logged_in(window, app.state.settings, Role.FRONT_OFFICE, JINSHAN)
        page = (await window.get(f"/console/cases/{case_id}")).text
        data = {"_idempotency_key": _key(page, "accept_application")}
        first = await window.post(f"/console/cases/{case_id}/commands/accept_application", data=data)
        again = await window.post(f"/console/cases/{case_id}/commands/accept_application", data=data)
        assert first.status_code == again.status_code == 303
    trail = await http.get(f"/v1/cases/{case_id}/trail", headers=auth(Role.FRONT_OFFICE, JINSHAN))
    assert [t.get("type") for t in trail.json()].count("application_accepted") == 1


async def test_the_window_opens_a_new_application_from_the_console(app: FastAPI, http: httpx.AsyncClient,
                                                                   auth: TokenFactory) -> None:
    """Intake (S1 Arts. 9, 10): members, income and property; an ID number failing its check character is
    refused next to its row, nothing is created; corrected, the case is created and its page shown."""
    body = application_body()
    applicant, child = body["members"]
    bad = applicant["resident_id"][:-1] + ("1" if applicant["resident_id"][-1] != "1" else "2")
    async with browser(app) as window:
        await logged_in(window, app.state.settings, Role.FRONT_OFFICE, JINSHAN)
        page = await window.get("/console/intake")
        assert page.status_code == 200 and "董户村社区" in page.text and "校验位不符" in page.text  # the checker
        assert "碧城镇" not in page.text  # only the villages of the window's township
        key = re.search(r'name="_idempotency_key" value="([0-9a-f]+)"', page.text)[1]  # type: ignore[index]
        data = {"_idempotency_key": key, "program": "dibao", "village_code": "532302101001",
                "area_type": "urban",
                "members.0.name": applicant["name"], "members.0.resident_id": bad,
                "members.0.relation": "applicant",
                "members.1.name": child["name"], "members.1.resident_id": child["resident_id"],
                "members.1.relation": "child",
                "declaration.income.0.kind": "wages", "declaration.income.0.amount": "1200",
                "declaration.income.0.member_index": "0",
                "declaration.property.0.kind": "deposit", "declaration.property.0.value": "3000"}
        refused = await window.post("/console/intake", data=data)
        assert refused.status_code == 422
        members = refused.text[refused.text.index('data-field="members"'):]
        assert "第 1 行“身份证号”：身份证号无效" in members
        assert f'value="{child["resident_id"]}"' in refused.text  # kept as typed
        data["members.0.resident_id"] = applicant["resident_id"]
        data["_idempotency_key"] = re.search(r'name="_idempotency_key" value="([0-9a-f]+)"',  # type: ignore[index]
                                             refused.text)[1]
        created = await window.post("/console/intake", data=data)
        assert created.status_code == 303, created.text
        case_id = created.headers["location"].split("/")[3].split("?")[0]
        shown = await window.get(created.headers["location"])
        assert "已办理：提交申请。案件现处于“已提交申请”阶段" in shown.text
    household = await http.get(f"/v1/cases/{case_id}/household", headers=auth(Role.FRONT_OFFICE, JINSHAN))
    assert [m["resident_id"] for m in household.json()["members"]] == [applicant["resident_id"],
                                                                       child["resident_id"]]


def test_a_command_added_by_another_programme_gets_a_form_with_its_members_by_name() -> None:
    """record_referral (S4 Art. 60) came with the kernel's referrals, after the forms: no console change made
    its form; members are offered by name and sent as their indexes."""
    from api.console.forms import command_body

    members = [Member(name="张三", resident_id="532302198001011231", relation="applicant"),
               Member(name="张小", resident_id="532302202103150029", relation="child")]
    form = build_form("record_referral", members)
    by_name = {f.name: f for f in form.fields}
    assert by_name["member_indexes"].widget == "checkboxes"
    assert [label for _, label in by_name["member_indexes"].options] == ["第 1 人 张三（申请人本人）",
                                                                        "第 2 人 张小（子女）"]
    assert dict(by_name["to_program"].options)["tekun"] == "特困人员救助供养"
    body = command_body(form, {"to_program": ["tekun"], "member_indexes": ["1"], "note": ["无劳动能力，无赡养人"]})
    assert body == {"type": "record_referral", "to_program": "tekun", "member_indexes": [1],
                    "note": "无劳动能力，无赡养人"}


async def test_the_opinion_form_shows_the_assessment_and_is_prefilled_with_it(
        app: FastAPI, http: httpx.AsyncClient, auth: TokenFactory) -> None:
    """S1 Art. 19: the 初审意见 is given on the household's assessment; the form shows it (income, standard,
    property, amount, each criterion with its article) and pre-selects its conclusion."""
    from tests.api.test_lifecycle_api import TOWNSHIP_APPROVER, Api, household

    api = Api(http, auth)
    created = await http.post("/v1/cases", json=application_body(members=household("李春花", "王建国")),
                              headers=auth(Role.FRONT_OFFICE, JINSHAN))
    case_id = created.json()["case_id"]
    await api.investigate(case_id)
    await api.ok(case_id, TOWNSHIP_APPROVER, "decide_village_review", disputed=False, reason="无争议")
    async with browser(app) as township:
        await logged_in(township, app.state.settings, Role.TOWNSHIP_APPROVER, JINSHAN)
        page = (await township.get(f"/console/cases/{case_id}")).text
        assert 'id="form-issue_prelim_opinion"' in page
        panel = page[page.index('id="assessment"'):]
        assert "家庭月人均收入" in panel and "保障标准" in panel and "《最低生活保障审核确认办法》第十三条" in panel
        form = page[page.index('id="form-issue_prelim_opinion"'):]
        assert 'name="eligible" value="true" checked' in form[:3000]


async def test_a_case_stopped_before_its_first_payment_month_does_not_read_as_paid(
        app: FastAPI, http: httpx.AsyncClient, auth: TokenFactory) -> None:
    """Issue 19 defect: a case stopped before any payment showed '330.00 元（自 2027-01 起发放）'."""
    from tests.api.test_in_payment_api import COUNTY_APPROVER, Api, household, in_payment

    api = Api(http, auth)
    case_id = await in_payment(api, household("周大", "吴二"))
    stopped = await api.ok(case_id, COUNTY_APPROVER, "stop_benefit", reason_code="voluntary_exit",
                           reasons=["本人申请退出"])
    assert stopped["stop_effective_month"] <= stopped["first_payment_month"]
    async with browser(app) as county:
        await logged_in(county, app.state.settings, Role.COUNTY_APPROVER, "532302")
        page = (await county.get(f"/console/cases/{case_id}")).text
        header = page[page.index('id="header"'):page.index('id="pending"')]
        assert "未曾发放" in header and "起发放）" not in header
