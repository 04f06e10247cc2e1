"""China Standard Time and the instants the law's dates begin and end (no daylight saving)."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

#: China Standard Time: dates in the law are local dates.
CHINA_TZ = timezone(timedelta(hours=8), "Asia/Shanghai")


def start_of_day(day: date) -> datetime:
    """The instant a day starts in China."""
    return datetime(day.year, day.month, day.day, tzinfo=CHINA_TZ)


def end_of_day(day: date) -> datetime:
    """The instant a day ends in China: deadlines and the 公示 window run to the end of their last day."""
    return start_of_day(day) + timedelta(days=1)


def local_date(instant: datetime) -> date:
    """The date in China at ``instant``."""
    return instant.astimezone(CHINA_TZ).date()
