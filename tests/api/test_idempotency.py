"""Idempotency-Key on every mutating request (issue 7 item 5): the same request sent 2–5 times concurrently
makes exactly one change and gets identical answers — also after the case's workflow continued as new."""

from __future__ import annotations

import asyncio
import uuid
from decimal import Decimal

import asyncpg
import httpx
import pytest

from tests.api.conftest import TokenFactory
from tests.api.test_in_payment_api import in_payment, wait_review_checked
from tests.api.test_lifecycle_api import CASEWORKER, COUNTY_APPROVER, WINDOW, Api, Who, household
from tests.builders import application_body
from tests.workflows.lifecycle import income_per_capita


async def _same_times(n: int, send: object) -> list[httpx.Response]:
    return await asyncio.gather(*(send() for _ in range(n)))  # type: ignore[operator]


def _identical(responses: list[httpx.Response]) -> None:
    first = responses[0]
    for r in responses:
        assert (r.status_code, r.content) == (first.status_code, first.content), (r.status_code, r.text)
        assert r.headers.get("location") == first.headers.get("location")
    assert sum(r.headers.get("idempotent-replayed") != "true" for r in responses) == 1, "one ran, the rest replayed"


@pytest.mark.parametrize("times", [2, 5])
async def test_concurrent_submissions_with_one_key_make_one_case_and_identical_answers(
    http: httpx.AsyncClient, auth: TokenFactory, pg_pool: asyncpg.Pool, times: int,
) -> None:
    api = Api(http, auth)
    body = application_body()
    key = f"form-{uuid.uuid4()}"

    answers = await _same_times(times, lambda: api.create(body, key=key))

    _identical(answers)
    assert answers[0].status_code == 201
    case_id = uuid.UUID(answers[0].json()["case_id"])
    async with asyncio.timeout(20):  # the workflow records the submission shortly after the answer
        while not await pg_pool.fetchval("SELECT count(*) FROM case_events WHERE case_id = $1", case_id):
            await asyncio.sleep(0.1)
    assert await pg_pool.fetchval("SELECT count(*) FROM case_requests WHERE case_id = $1", case_id) <= 1
    assert await pg_pool.fetchval("SELECT count(*) FROM case_events WHERE case_id = $1", case_id) == 1


async def test_concurrent_commands_with_one_key_record_once(
    http: httpx.AsyncClient, auth: TokenFactory, pg_pool: asyncpg.Pool,
) -> None:
    api = Api(http, auth)
    case_id = (await api.create(application_body())).json()["case_id"]
    key = f"accept-{uuid.uuid4()}"

    answers = await _same_times(5, lambda: api.command(case_id, WINDOW, "accept_application", key=key))

    _identical(answers)
    assert answers[0].status_code == 200, answers[0].text
    types = [r["type"] for r in await pg_pool.fetch(
        "SELECT type FROM case_events WHERE case_id = $1 ORDER BY seq", uuid.UUID(case_id))]
    assert types.count("application_accepted") == 1


async def test_a_refusal_is_replayed_too_and_a_reused_key_with_another_request_is_422(
    http: httpx.AsyncClient, auth: TokenFactory,
) -> None:
    """The answer is stored whatever it was (a 409 stays a 409 for that request); a different body under the
    same key is refused and changes nothing."""
    api = Api(http, auth)
    case_id = (await api.create(application_body())).json()["case_id"]
    key = f"k-{uuid.uuid4()}"
    too_early = await _same_times(3, lambda: api.command(case_id, CASEWORKER, "record_home_visit", key=key,
                                                         investigators=["inv-01", "inv-02"], household_signed=True,
                                                         findings="入户"))
    _identical(too_early)
    assert too_early[0].status_code == 409

    other = await api.command(case_id, CASEWORKER, "start_investigation", key=key, investigators=["inv-01", "inv-02"])
    assert other.status_code == 422 and other.json()["detail"][0]["loc"] == ["header", "idempotency-key"]
    assert (await api.get(case_id))["stage"] == "submitted"


async def test_a_command_resent_after_its_review_cycle_continued_as_new_gets_the_first_answer(
    http: httpx.AsyncClient, auth: TokenFactory, pg_pool: asyncpg.Pool,
) -> None:
    """The review decision ends the run (one run per review cycle); its resend reaches the new run, where the
    Temporal update id is unknown — the stored answer is given, not a 409, and nothing is recorded twice."""
    api = Api(http, auth)
    case_id = await in_payment(api, household("韩梅", "李雷"))
    richer = income_per_capita(Decimal("250"), 2).model_dump(mode="json")
    assert (await api.command(case_id, WINDOW, "report_change", declaration=richer, note="收入变化")).status_code == 200
    await wait_review_checked(api, case_id)
    key = f"review-{uuid.uuid4()}"

    first = await api.command(case_id, COUNTY_APPROVER, "decide_review", key=key, reasons=["收入略有增加"])
    assert first.status_code == 200, first.text
    await asyncio.sleep(1.0)  # the run continues as new once its handlers have finished
    again = await _same_times(3, lambda: api.command(case_id, COUNTY_APPROVER, "decide_review", key=key,
                                                     reasons=["收入略有增加"]))

    _identical([first, *again])
    types = [r["type"] for r in await pg_pool.fetch(
        "SELECT type FROM case_events WHERE case_id = $1 ORDER BY seq", uuid.UUID(case_id))]
    assert types.count("review_completed") == 1


async def test_a_payee_written_concurrently_with_one_key_is_written_once_with_identical_answers(
    http: httpx.AsyncClient, auth: TokenFactory, pg_pool: asyncpg.Pool,
) -> None:
    """Not only case commands: every mutating route goes through the same gate (here PUT …/payee)."""
    api = Api(http, auth)
    case_id = (await api.create(application_body(members=household("秦岚", "楚风")))).json()["case_id"]
    async with asyncio.timeout(20):  # the case row is written by the workflow shortly after the answer
        while not await pg_pool.fetchval("SELECT count(*) FROM cases WHERE case_id = $1", uuid.UUID(case_id)):
            await asyncio.sleep(0.1)
    who: Who = CASEWORKER
    key = f"payee-{uuid.uuid4()}"
    payee = {"bank_name": "禄丰农村商业银行", "account_number": "6217001234567890123"}
    answers = await _same_times(4, lambda: http.put(f"/v1/cases/{case_id}/payee", json=payee,
                                                    headers=api.headers(who, key)))
    _identical(answers)
    assert answers[0].status_code in (200, 201), answers[0].text
    assert "6217001234567890123" not in answers[0].text
    assert await pg_pool.fetchval("SELECT count(*) FROM case_payees WHERE case_id = $1", uuid.UUID(case_id)) == 1


async def test_without_a_key_nothing_is_stored(http: httpx.AsyncClient, auth: TokenFactory,
                                               pg_pool: asyncpg.Pool) -> None:
    api = Api(http, auth)
    before = await pg_pool.fetchval("SELECT count(*) FROM idempotent_requests")
    assert (await api.create(application_body())).status_code == 201
    assert await pg_pool.fetchval("SELECT count(*) FROM idempotent_requests") == before
