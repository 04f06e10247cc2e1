"""The activity that draws an urgent grant from the township's reserve fund (临时救助备用金, S8 §三(三))."""

from __future__ import annotations

import asyncpg
import structlog
from temporalio import activity

from activities.models import FundDrawInput, FundDrawResult
from adapters.db import reserve_funds

log = structlog.get_logger(__name__)


class ReserveFundActivities:
    """Draws on a township's reserve fund. Idempotent per ``(case_id, case_seq)``: Temporal may retry freely."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    @activity.defn(name="draw_reserve_fund")
    async def draw(self, inp: FundDrawInput) -> FundDrawResult:
        result = await reserve_funds.draw(self._pool, township_code=inp.township_code, case_id=inp.case_id,
                                          case_seq=inp.case_seq, amount=inp.amount, actor=inp.actor,
                                          reason=inp.reason)
        log.info("reserve_fund.draw", case_id=str(inp.case_id), seq=inp.case_seq, township=inp.township_code,
                 drawn=result.drawn)
        return FundDrawResult(drawn=result.drawn, balance=result.balance)
