"""The daily sync's schedule: a cron expression in a time zone, and its next run times."""

from __future__ import annotations

import os
from datetime import datetime
from itertools import islice
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cronsim import CronSim, CronSimError
from pydantic import BaseModel, ConfigDict

from tracker.errors import UserInputError

DEFAULT_CRON = "0 7 * * *"  # once a day, 07:00 local time
DEPLOYMENT_NAME = "daily-sync"
FLOW_NAME = "tracker-sync"
# Shared storage: the hub merges what the workers exported (nothing new is a quick no-op).
MERGE_FLOW_NAME = "tracker-merge"
MERGE_DEPLOYMENT_NAME = "merge-shared"
MERGE_CRON = "*/30 * * * *"


class ScheduleSpec(BaseModel):
    """A validated cron expression and IANA time zone."""

    model_config = ConfigDict(frozen=True)

    cron: str
    timezone: str

    @classmethod
    def checked(cls, cron: str, timezone: str | None) -> ScheduleSpec:
        zone_name = timezone or local_timezone_name()
        try:
            zone = ZoneInfo(zone_name)
        except (ZoneInfoNotFoundError, ValueError):
            raise UserInputError(
                f"unknown time zone {zone_name!r}", hint="use an IANA name such as Asia/Seoul"
            ) from None
        try:
            next(iter(CronSim(cron, datetime.now(zone))))
        except (CronSimError, StopIteration, ValueError):
            raise UserInputError(
                f"bad cron expression {cron!r}", hint='five fields, e.g. "0 7 * * *"'
            ) from None
        return cls(cron=cron, timezone=zone_name)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def next_runs(self, after: datetime, count: int = 5) -> list[datetime]:
        """The next `count` run times after `after`, in the schedule's time zone."""
        return list(islice(CronSim(self.cron, after.astimezone(self.zone)), count))


def local_timezone_name() -> str:
    """This machine's IANA time zone name, or UTC when it cannot be told."""
    if name := os.environ.get("TZ", "").lstrip(":"):
        return name
    try:
        target = str(Path("/etc/localtime").resolve())
    except OSError:
        return "UTC"
    marker = "zoneinfo/"
    return target.split(marker, 1)[1] if marker in target else "UTC"
