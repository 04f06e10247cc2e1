"""Activities: the only place where workflows touch the outside world."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import asyncpg
from temporalio.client import Client

from activities.allowance_catch_up import AllowanceCatchUpActivities
from activities.audit import AuditActivities
from activities.calendar import CalendarActivities
from activities.cases import CaseStoreActivities
from activities.links import LinkActivities
from activities.parameters import ParameterActivities
from activities.reserve_fund import ReserveFundActivities
from activities.review_sweep import ReviewSweepActivities
from activities.standard_change import StandardChangeActivities
from activities.verification import VerificationActivities
from adapters.audit.ledger import Ledger
from adapters.db.cases import CaseStore
from adapters.db.economic_records import EconomicRecordsPort
from adapters.db.review_sweep import PgReviewSweepQueries
from adapters.parameters import ParameterFile
from adapters.settings import Settings


def build_activities(
    *, store: CaseStore, pool: asyncpg.Pool, records: EconomicRecordsPort, parameters: ParameterFile,
    client: Client, ledger: Ledger | None = None, settings: Settings | None = None,
) -> list[Callable[..., Any]]:
    """The activity callables a worker registers, wired to their dependencies.

    ``client`` is for activities that talk to other workflows (batch updates of many cases) or read their
    histories; ``settings`` (when given) name where the daily ledger checkpoint is signed and written.
    """
    calendar = CalendarActivities(pool)
    sweep = ReviewSweepActivities(PgReviewSweepQueries(pool), client)
    standard_change = StandardChangeActivities(pool, client, parameters)
    case_links = LinkActivities(pool, client)
    catch_up = AllowanceCatchUpActivities(pool, client)
    return [
        CaseStoreActivities(store).record_case,
        CaseStoreActivities(store).paid_months,
        ParameterActivities(parameters).resolve_parameters,
        calendar.compute_deadline,
        VerificationActivities(records).run_info_check,
        sweep.find_due_reviews,
        sweep.open_due_reviews,
        sweep.overdue_reviews,
        standard_change.list_active_cases,
        standard_change.apply_standard_change_batch,
        AuditActivities(pool, client, ledger or Ledger(), settings).daily_audit,
        case_links.related_cases,
        case_links.deliver_links,
        ReserveFundActivities(pool).draw,
        catch_up.find_allowance_catch_ups,
        catch_up.catch_up_allowances,
    ]
