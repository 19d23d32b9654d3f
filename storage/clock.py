"""The province's clock: years, dates and deadlines are Beijing time."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

CHINA = ZoneInfo("Asia/Shanghai")


def local_time(moment: datetime, seconds: bool = False) -> str:
    """A moment as the console shows it: Beijing time, to the minute (to the second in the audit log)."""
    return moment.astimezone(CHINA).strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")


def local_date(moment: datetime) -> str:
    """The Beijing day of a moment, as the console dates a filing or a decision."""
    return moment.astimezone(CHINA).strftime("%Y-%m-%d")


def year_end(year: int) -> datetime:
    """The first moment after the year, Beijing time (in UTC, as moments are stored)."""
    return datetime(year + 1, 1, 1, tzinfo=CHINA).astimezone(UTC)
