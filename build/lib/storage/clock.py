"""The province's clock: years, dates and deadlines are Beijing time."""

from zoneinfo import ZoneInfo

CHINA = ZoneInfo("Asia/Shanghai")
